// Runs a service binary as a real child process, for tests of start-up,
// configuration errors and SIGTERM handling.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace iop::testing {

class ChildProcess {
 public:
  // Starts `path` with exactly `env` (nothing inherited); stderr goes to
  // `stderr_file`.
  ChildProcess(const std::string& path, const std::map<std::string, std::string>& env,
               const std::string& stderr_file) {
    std::vector<std::string> pairs;
    for (const auto& [k, v] : env) pairs.push_back(k + "=" + v);
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      std::vector<char*> envp;
      for (auto& p : pairs) envp.push_back(p.data());
      envp.push_back(nullptr);
      char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
      ::execve(path.c_str(), argv, envp.data());
      std::_Exit(127);
    }
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  // Exit code, or -1 if still running after `timeout`.
  int Wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

}  // namespace iop::testing
