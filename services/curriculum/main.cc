// iop-curriculum: reads the environment, applies migrations, serves until
// SIGTERM. Everything else lives in app.h and the layers below it.
#include "curriculum/app.h"

int main() { return iop::server::RunService<iop::curriculum::CurriculumApp>(iop::curriculum::kDefaults); }
