// Listens on one Redis pub/sub channel, on its own connection and thread,
// and says whether it is listening: a message published while it was not
// is lost, so its user must treat "not subscribed" as "may have missed
// something".
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/redis_client.h"

struct redisContext;

namespace iop::cache {

class RedisSubscriber {
 public:
  using OnMessage = std::function<void(const std::string& payload)>;
  // true once subscribed; false when the subscription is lost (it then
  // reconnects every retry_after).
  using OnState = std::function<void(bool subscribed)>;

  // Both callbacks run on the subscriber's thread.
  RedisSubscriber(RedisClientOptions options, std::string channel, OnMessage on_message,
                  OnState on_state);
  // Closes the connection and joins the thread.
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

 private:
  void Loop();
  // Subscribes on a new connection; nullptr when it could not.
  redisContext* Subscribe();
  void Listen(redisContext* ctx);

  const RedisClientOptions options_;
  const std::string channel_;
  const OnMessage on_message_;
  const OnState on_state_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  redisContext* listening_ = nullptr;  // shut down by the destructor to wake Listen
  std::thread thread_;
};

}  // namespace iop::cache
