// Runs a write exactly once per request_id: the claim, the work and the
// stored response share one transaction, so a retry after a lost answer
// returns the first result, and a rolled-back attempt leaves no trace.
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <string>

#include "common/db.h"
#include "common/errors.h"
#include "common/idempotency.h"

namespace iop::idempotency {

// Fingerprint of `request` without its `request_id` field.
std::string RequestFingerprint(const google::protobuf::Message& request);

// `work` fills the response inside the transaction; `after_commit` runs only
// when this call did the work (cache invalidation, events), never on a replay.
template <class Response>
Response WriteOnce(db::Pool& pool, const std::string& org, const std::string& method,
                   const google::protobuf::Message& request, const std::string& request_id,
                   const std::function<Response(pqxx::work&)>& work,
                   const std::function<void(const Response&)>& after_commit = nullptr) {
  const std::string fingerprint = RequestFingerprint(request);
  bool replayed = false;
  Response response = pool.Transact(
      [&](pqxx::work& tx) {
        replayed = false;
        try {
          if (auto done = Claim(tx, org, method, request_id, fingerprint)) {
            Response first;
            if (!first.ParseFromString(*done)) throw std::runtime_error("stored response unreadable");
            replayed = true;
            return first;
          }
        } catch (const RequestIdReused&) {
          errors::Throw(errors::InvalidArgument(
              "request_id", "was already used for a different request; use a new request_id"));
        }
        Response fresh = work(tx);
        Complete(tx, org, method, request_id, fresh.SerializeAsString());
        return fresh;
      },
      method);
  if (!replayed && after_commit) after_commit(response);
  return response;
}

}  // namespace iop::idempotency
