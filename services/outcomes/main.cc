// iop-outcomes: reads the environment, applies migrations, serves until
// SIGTERM. Everything else lives in app.h and the layers below it.
#include "outcomes/app.h"

int main() { return iop::server::RunService<iop::outcomes::OutcomesApp>(iop::outcomes::kDefaults); }
