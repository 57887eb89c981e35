// Process metrics in the names the Go and Python clients use, so standard
// dashboards (memory, CPU, file descriptors) work unchanged.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/metrics.h"

namespace iop::metrics {
namespace {

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(m);
  return f;
}

int CountOpenFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n > 2 ? n - 3 : 0;  // ".", ".." and the directory's own descriptor
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    std::ifstream in("/proc/self/stat");
    std::string line;
    std::getline(in, line);
    // Fields after the parenthesised command name, which may hold spaces.
    auto close = line.rfind(')');
    if (close == std::string::npos) return out;
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> f;
    for (std::string tok; rest >> tok;) f.push_back(tok);
    // Numbering of proc(5) minus 3 (pid, comm and state come first).
    if (f.size() < 22) return out;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    double start = BootTimeSeconds() + std::stod(f[19]) / ticks;
    out.push_back(Gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                        cpu, prometheus::MetricType::Counter));
    out.push_back(Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                        std::stod(f[20])));
    out.push_back(Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                        std::stod(f[21]) * page));
    out.push_back(Gauge("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.", start));
    out.push_back(Gauge("process_open_fds", "Number of open file descriptors.", CountOpenFds()));
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
      out.push_back(Gauge("process_max_fds", "Maximum number of open file descriptors.",
                          static_cast<double>(lim.rlim_cur)));
    }
    out.push_back(Gauge("process_threads", "Number of OS threads in the process.", std::stod(f[16])));
    return out;
  }
};

}  // namespace

std::shared_ptr<prometheus::Collectable> MakeProcessCollector() {
  return std::make_shared<ProcessCollector>();
}

}  // namespace iop::metrics
