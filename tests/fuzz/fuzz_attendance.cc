#include "attendance/app.h"
#include "fuzz_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* fuzzer = new iop::fuzz::ServiceFuzzer<iop::attendance::AttendanceApp>(
      "fuzz_atte", iop::attendance::v1::AttendanceRecord::descriptor()->file()->service(0));
  fuzzer->Run(data, size);
  return 0;
}
