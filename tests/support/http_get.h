// A tiny blocking HTTP/1.0 GET for loopback endpoints (the /metrics page).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace iop::testing {

// Returns the response body, or "" when nothing answered.
inline std::string HttpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)::write(fd, request.data(), request.size());
  std::string response;
  char buf[8192];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// Value of the first sample line starting with `series` (name plus labels
// as printed), or -1 when absent.
inline double MetricValue(const std::string& page, const std::string& series) {
  size_t pos = 0;
  while ((pos = page.find(series, pos)) != std::string::npos) {
    if (pos == 0 || page[pos - 1] == '\n') {
      auto space = page.find(' ', pos + series.size());
      if (space != std::string::npos) return std::stod(page.substr(space + 1));
    }
    pos += series.size();
  }
  return -1;
}

}  // namespace iop::testing
