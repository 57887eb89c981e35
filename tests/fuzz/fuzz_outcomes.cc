#include "outcomes/app.h"
#include "fuzz_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* fuzzer = new iop::fuzz::ServiceFuzzer<iop::outcomes::OutcomesApp>(
      "fuzz_outc", iop::outcomes::v1::Assessment::descriptor()->file()->service(0));
  fuzzer->Run(data, size);
  return 0;
}
