#include "outcomes/app.h"
#include "fuzz_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iop::fuzz::ServiceFuzzer<iop::outcomes::OutcomesApp>::Instance(
      "fuzz_outc", iop::outcomes::v1::Assessment::descriptor()->file()->service(0))
      .Run(data, size);
  return 0;
}
