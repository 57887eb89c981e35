// gRPC unary calls written straight as HTTP/2 frames with libnghttp2, as
// h2load sends them, for a load driver whose calls must each differ (h2load
// sends one body for every request). One connection carries many calls at
// once; everything runs on the thread that calls Serve, callbacks included.
// A call costs this process a few microseconds, where gRPC's own client,
// with its threads and hand-offs, costs tens: on a machine shared with what
// is measured, the driver's CPU is taken from it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct nghttp2_session;

namespace iop::bench {

struct UnaryResult {
  int grpc_status = -1;  // -1: the call ended without one (reset, or not gRPC)
  std::string grpc_message;
  std::string message;  // the response message, without its 5-byte frame header
};

class H2Channel {
 public:
  using Done = std::function<void(const UnaryResult&)>;

  // Connects (plain TCP, "host:port"); every call carries `authorization`.
  // Throws std::runtime_error when the connection cannot be made.
  H2Channel(const std::string& host_port, std::string authorization);
  ~H2Channel();
  H2Channel(const H2Channel&) = delete;
  H2Channel& operator=(const H2Channel&) = delete;

  // Starts a call of `path` ("/pkg.Service/Method") with the serialized
  // request; `done` runs on Serve's thread once the call has ended. The
  // bytes leave when Serve next runs.
  void Call(const std::string& path, const std::string& request, Done done);

 private:
  friend void Serve(const std::vector<H2Channel*>&, const std::function<bool()>&);
  friend struct Callbacks;  // nghttp2's, in h2_channel.cc
  struct Stream;

  // Reads what arrived, runs the callbacks of ended calls, writes what is
  // due. Throw std::runtime_error when the connection fails.
  void OnReadable();
  void Flush();
  bool WantsWrite() const;

  int fd_ = -1;
  std::string authority_, authorization_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int, std::unique_ptr<Stream>> streams_;
  std::vector<std::unique_ptr<Stream>> ended_;
  std::string unsent_;
};

// Runs the channels' reads and writes, and the callbacks, until `finished`
// holds (checked after each round of I/O).
void Serve(const std::vector<H2Channel*>& channels, const std::function<bool()>& finished);

}  // namespace iop::bench
