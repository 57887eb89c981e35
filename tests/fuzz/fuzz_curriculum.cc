#include "curriculum/app.h"
#include "fuzz_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* fuzzer = new iop::fuzz::ServiceFuzzer<iop::curriculum::CurriculumApp>(
      "fuzz_curr", iop::curriculum::v1::Lesson::descriptor()->file()->service(0));
  fuzzer->Run(data, size);
  return 0;
}
