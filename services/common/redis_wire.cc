#include "common/redis_wire.h"

#include <hiredis/hiredis.h>

#include <vector>

namespace iop::cache {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// Sends one command during connection set-up; empty string on success.
std::string SetupCommand(redisContext* ctx, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(args.size()), args.data(), lens.data()));
  if (raw == nullptr) return argv[0] + ": " + DescribeIoError(ctx, timeout);
  std::string error;
  if (raw->type == REDIS_REPLY_ERROR) error = argv[0] + ": " + std::string(raw->str, raw->len);
  freeReplyObject(raw);
  return error;
}

}  // namespace

redisContext* OpenRedis(const RedisEndpoint& ep, std::chrono::milliseconds connect_timeout,
                        std::chrono::milliseconds op_timeout, std::string* error) {
  redisContext* ctx = redisConnectWithTimeout(ep.host.c_str(), ep.port, ToTimeval(connect_timeout));
  std::string why;
  if (ctx == nullptr) {
    why = "out of memory";
  } else if (ctx->err != 0) {
    why = DescribeIoError(ctx, connect_timeout);
  } else {
    redisSetTimeout(ctx, ToTimeval(op_timeout));
    redisEnableKeepAlive(ctx);
    if (!ep.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!ep.user.empty()) auth.push_back(ep.user);
      auth.push_back(ep.password);
      why = SetupCommand(ctx, auth, op_timeout);
    }
    if (why.empty() && ep.db != 0) {
      why = SetupCommand(ctx, {"SELECT", std::to_string(ep.db)}, op_timeout);
    }
  }
  if (why.empty()) return ctx;
  if (ctx != nullptr) redisFree(ctx);
  *error = "connect to " + ep.host + ":" + std::to_string(ep.port) + ": " + why;
  return nullptr;
}

RedisReply ConvertReply(const redisReply* raw) {
  RedisReply out;
  switch (raw->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  if (raw->str != nullptr) out.str.assign(raw->str, raw->len);
  out.integer = raw->integer;
  for (size_t i = 0; i < raw->elements; ++i) out.elements.push_back(ConvertReply(raw->element[i]));
  return out;
}

std::string DescribeIoError(const redisContext* ctx, std::chrono::milliseconds timeout) {
  std::string text = ctx->errstr;
  if (text.empty()) return "connection lost";
  if (text.find("temporarily unavailable") != std::string::npos) {
    return "timed out after " + std::to_string(timeout.count()) + "ms";
  }
  return text;
}

}  // namespace iop::cache
