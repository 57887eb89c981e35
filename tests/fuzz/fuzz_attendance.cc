#include "attendance/app.h"
#include "fuzz_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iop::fuzz::ServiceFuzzer<iop::attendance::AttendanceApp>::Instance(
      "fuzz_atte", iop::attendance::v1::AttendanceRecord::descriptor()->file()->service(0))
      .Run(data, size);
  return 0;
}
