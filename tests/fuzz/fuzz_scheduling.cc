#include "fuzz_service.h"
#include "scheduling/app.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iop::fuzz::ServiceFuzzer<iop::scheduling::SchedulingApp>::Instance(
      "fuzz_sched", iop::scheduling::v1::Site::descriptor()->file()->service(0))
      .Run(data, size);
  return 0;
}
