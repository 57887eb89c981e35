#include "h2_channel.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace iop::bench {

// One call: its framed request, how much of it nghttp2 has taken, and what
// came back.
struct H2Channel::Stream {
  std::string body;
  std::size_t taken = 0;
  std::string received;  // DATA frames' payload: the framed response
  UnaryResult result;
  Done done;
};

namespace {

std::runtime_error Failure(const std::string& what) { return std::runtime_error("h2: " + what); }

int Connect(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) throw Failure("address needs host:port: " + host_port);
  const std::string host = host_port.substr(0, colon), port = host_port.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    throw Failure("cannot resolve " + host_port);
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) throw Failure("cannot connect to " + host_port);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// gRPC's length-prefixed message: not compressed, 4-byte big-endian length.
std::string Framed(const std::string& message) {
  const auto n = static_cast<std::uint32_t>(message.size());
  std::string out(5, '\0');
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((n >> (8 * (3 - i))) & 0xff);
  return out + message;
}

std::string Unframed(const std::string& framed) {
  if (framed.size() < 5) return {};
  std::uint32_t n = 0;
  for (int i = 1; i < 5; ++i) n = (n << 8) | static_cast<unsigned char>(framed[i]);
  return framed.substr(5, n);
}

nghttp2_nv Header(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

// nghttp2's callbacks reach the channel through the session's user data
// and a call through its stream's.
struct Callbacks {
  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                          nghttp2_data_source* source, void*) {
    auto* s = static_cast<H2Channel::Stream*>(source->ptr);
    const std::size_t n = std::min(length, s->body.size() - s->taken);
    std::memcpy(buf, s->body.data() + s->taken, n);
    s->taken += n;
    if (s->taken == s->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  // Response headers and trailers alike: a failing call may answer with
  // headers only.
  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_len, const uint8_t* value, size_t value_len, uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* s = static_cast<H2Channel::Stream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
    if (s == nullptr) return 0;
    const std::string_view n(reinterpret_cast<const char*>(name), name_len);
    const std::string v(reinterpret_cast<const char*>(value), value_len);
    if (n == "grpc-status") s->result.grpc_status = std::atoi(v.c_str());
    if (n == "grpc-message") s->result.grpc_message = v;
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                    void*) {
    auto* s = static_cast<H2Channel::Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
    if (s != nullptr) s->received.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  // The call is over: its callback runs once nghttp2 has returned (it may
  // start the next call).
  static int OnClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
    auto* channel = static_cast<H2Channel*>(user);
    auto it = channel->streams_.find(stream_id);
    if (it == channel->streams_.end()) return 0;
    auto& s = *it->second;
    s.result.message = Unframed(s.received);
    if (error_code != NGHTTP2_NO_ERROR && s.result.grpc_status < 0) {
      s.result.grpc_message = std::string("stream reset: ") + nghttp2_http2_strerror(error_code);
    }
    channel->ended_.push_back(std::move(it->second));
    channel->streams_.erase(it);
    return 0;
  }
};

H2Channel::H2Channel(const std::string& host_port, std::string authorization)
    : fd_(Connect(host_port)), authority_(host_port), authorization_(std::move(authorization)) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks::OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::OnClose);
  const int rv = nghttp2_session_client_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) {
    close(fd_);
    throw Failure("cannot start a session");
  }
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
}

H2Channel::~H2Channel() {
  nghttp2_session_del(session_);
  close(fd_);
}

void H2Channel::Call(const std::string& path, const std::string& request, Done done) {
  auto stream = std::make_unique<Stream>();
  stream->body = Framed(request);
  stream->done = std::move(done);
  const nghttp2_nv headers[] = {
      Header(":method", "POST"),          Header(":scheme", "http"),
      Header(":path", path),              Header(":authority", authority_),
      Header("content-type", "application/grpc"), Header("te", "trailers"),
      Header("authorization", authorization_),
  };
  nghttp2_data_provider body{};
  body.source.ptr = stream.get();
  body.read_callback = Callbacks::ReadBody;
  const int32_t id = nghttp2_submit_request(session_, nullptr, headers, std::size(headers), &body, stream.get());
  if (id < 0) throw Failure(std::string("cannot start a call: ") + nghttp2_strerror(id));
  streams_.emplace(id, std::move(stream));
}

void H2Channel::OnReadable() {
  char buf[16384];
  for (;;) {
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n == 0) throw Failure("the server closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      throw Failure(std::string("read: ") + std::strerror(errno));
    }
    const ssize_t used = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buf), n);
    if (used < 0) throw Failure(std::string("protocol error: ") + nghttp2_strerror(static_cast<int>(used)));
  }
  // Callbacks run outside nghttp2 (and may add calls, sent by Flush below).
  std::vector<std::unique_ptr<Stream>> ended;
  ended.swap(ended_);
  for (auto& s : ended) s->done(s->result);
  Flush();
}

void H2Channel::Flush() {
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) throw Failure(std::string("cannot send: ") + nghttp2_strerror(static_cast<int>(n)));
    if (n == 0) break;
    unsent_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  while (!unsent_.empty()) {
    const ssize_t n = write(fd_, unsent_.data(), unsent_.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // poll says when to go on
      if (errno == EINTR) continue;
      throw Failure(std::string("write: ") + std::strerror(errno));
    }
    unsent_.erase(0, static_cast<std::size_t>(n));
  }
}

bool H2Channel::WantsWrite() const { return !unsent_.empty(); }

void Serve(const std::vector<H2Channel*>& channels, const std::function<bool()>& finished) {
  for (H2Channel* c : channels) c->Flush();
  std::vector<pollfd> fds(channels.size());
  while (!finished()) {
    for (std::size_t i = 0; i < channels.size(); ++i) {
      fds[i] = {channels[i]->fd_, static_cast<short>(POLLIN | (channels[i]->WantsWrite() ? POLLOUT : 0)), 0};
    }
    if (poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) {
      throw Failure(std::string("poll: ") + std::strerror(errno));
    }
    for (std::size_t i = 0; i < channels.size(); ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) channels[i]->OnReadable();
      if (fds[i].revents & POLLOUT) channels[i]->Flush();
    }
  }
}

}  // namespace iop::bench
