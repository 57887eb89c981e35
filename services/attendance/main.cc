// iop-attendance: reads the environment, applies migrations, serves until
// SIGTERM. Everything else lives in app.h and the layers below it.
#include "attendance/app.h"

int main() { return iop::server::RunService<iop::attendance::AttendanceApp>(iop::attendance::kDefaults); }
