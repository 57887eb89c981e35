#include "common/redis_subscriber.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/redis_wire.h"

namespace iop::cache {

RedisSubscriber::RedisSubscriber(RedisClientOptions options, std::string channel,
                                 OnMessage on_message, OnState on_state)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      on_message_(std::move(on_message)),
      on_state_(std::move(on_state)) {
  thread_ = std::thread([this] { Loop(); });
}

RedisSubscriber::~RedisSubscriber() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    // Wakes a blocked read; the thread still owns and frees the context.
    if (listening_ != nullptr) shutdown(listening_->fd, SHUT_RDWR);
  }
  cv_.notify_all();
  thread_.join();
}

void RedisSubscriber::Loop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (redisContext* ctx = Subscribe()) {
      Listen(ctx);
      on_state_(false);
      {
        std::lock_guard lock(mu_);
        listening_ = nullptr;
      }
      redisFree(ctx);
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.retry_after, [this] { return stopping_; });
  }
}

redisContext* RedisSubscriber::Subscribe() {
  std::string error;
  redisContext* ctx =
      OpenRedis(options_.endpoint, options_.connect_timeout, options_.op_timeout, &error);
  if (ctx == nullptr) return nullptr;
  const char* argv[] = {"SUBSCRIBE", channel_.c_str()};
  const size_t lens[] = {9, channel_.size()};
  auto* reply = static_cast<redisReply*>(redisCommandArgv(ctx, 2, argv, lens));
  const bool subscribed = reply != nullptr && reply->type == REDIS_REPLY_ARRAY &&
                          reply->elements == 3 &&
                          reply->element[0]->type == REDIS_REPLY_STRING &&
                          std::string(reply->element[0]->str, reply->element[0]->len) == "subscribe";
  if (reply != nullptr) freeReplyObject(reply);
  if (!subscribed) {
    log::Debug("cache subscription failed", {{"channel", channel_}});
    redisFree(ctx);
    return nullptr;
  }
  // Messages come whenever others write: wait for them without a timeout
  // (keepalive, set when connecting, still finds a dead peer).
  redisSetTimeout(ctx, timeval{0, 0});
  std::lock_guard lock(mu_);
  if (stopping_) {
    redisFree(ctx);
    return nullptr;
  }
  listening_ = ctx;
  return ctx;
}

void RedisSubscriber::Listen(redisContext* ctx) {
  on_state_(true);
  while (true) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) return;
    auto* reply = static_cast<redisReply*>(raw);
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
        reply->element[0]->type == REDIS_REPLY_STRING &&
        std::string(reply->element[0]->str, reply->element[0]->len) == "message" &&
        reply->element[2]->type == REDIS_REPLY_STRING) {
      on_message_(std::string(reply->element[2]->str, reply->element[2]->len));
    }
    freeReplyObject(reply);
  }
}

}  // namespace iop::cache
