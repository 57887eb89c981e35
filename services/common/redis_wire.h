// What the two Redis clients (the blocking pool and the pipeline) share:
// opening an authenticated connection and turning hiredis replies into ours.
#pragma once

#include <chrono>
#include <string>

#include "common/redis_client.h"

struct redisContext;
struct redisReply;

namespace iop::cache {

// Connects, authenticates and selects the database. Returns nullptr and sets
// `error` (naming the endpoint, never the password) on failure. The context
// has `op_timeout` as its send and receive timeout.
redisContext* OpenRedis(const RedisEndpoint& endpoint, std::chrono::milliseconds connect_timeout,
                        std::chrono::milliseconds op_timeout, std::string* error);

RedisReply ConvertReply(const redisReply* raw);

// hiredis reports a socket timeout as EAGAIN's text; this says what it means.
std::string DescribeIoError(const redisContext* ctx, std::chrono::milliseconds timeout);

}  // namespace iop::cache
