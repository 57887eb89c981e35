// iop-scheduling: reads the environment, applies migrations, serves until
// SIGTERM. Everything else lives in app.h and the layers below it.
#include "scheduling/app.h"

int main() { return iop::server::RunService<iop::scheduling::SchedulingApp>(iop::scheduling::kDefaults); }
