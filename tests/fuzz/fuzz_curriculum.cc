#include "curriculum/app.h"
#include "fuzz_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iop::fuzz::ServiceFuzzer<iop::curriculum::CurriculumApp>::Instance(
      "fuzz_curr", iop::curriculum::v1::Lesson::descriptor()->file()->service(0))
      .Run(data, size);
  return 0;
}
