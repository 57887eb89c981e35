// Runs a write exactly once per request_id: the claim, the work and the
// stored response share one transaction, so a retry after a lost answer
// returns the first result, and a rolled-back attempt leaves no trace.
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/audit.h"
#include "common/auth.h"
#include "common/db.h"
#include "common/errors.h"
#include "common/idempotency.h"

namespace iop::idempotency {

// Whether `caller` may see a stored response: every `site_id` (or
// `site_ids`) in it, down to nested messages, must be one of a site-limited
// caller's sites. A replay is answered only then, so a request_id cannot
// be used to read what another site wrote.
bool ReplayVisible(const auth::Caller& caller, const google::protobuf::Message& response);

// Ids of what a write returned, for its audit record: the response's `id`
// and the `id` of each message in its repeated fields.
std::vector<std::string> ResponseIds(const google::protobuf::Message& response);

// Fingerprint of `request` without its `request_id` field.
std::string RequestFingerprint(const google::protobuf::Message& request);

// The end of a write's work in its transaction: stores the response for
// replays and writes the call's audit event (audit::CallAudit), in one
// statement when there is a request_id.
void Finish(pqxx::work& tx, const std::string& org, const std::string& method,
            const std::string& request_id, const google::protobuf::Message& response);

// A write whose answer is known before it runs (the service chose its ids
// and times) can store its key already answered (InsertAnsweredSql) and the
// call's audit event (audit::InsertEventSql) in the statement that does the
// write: one statement where WriteOnce spends a claim, the work and a
// completion. That statement must write nothing unless the key and the
// write are both new; the caller then goes the WriteOnce way, which replays,
// refuses or merges. A call without a request_id stores no key (its
// request_id is empty) and only its write must be new.
struct AnsweredKey {
  std::string org, method, request_id, fingerprint, response;
};
struct Answered {
  AnsweredKey key;
  audit::AuditEvent event;
};

// The key and audit event of such a write, the event counted as written;
// nullopt when the call has no audit event to carry.
std::optional<Answered> Answer(const auth::Caller& caller, const std::string& method,
                               const google::protobuf::Message& request, const std::string& request_id,
                               const google::protobuf::Message& answer);
// The transaction that stored the call's Answered has committed.
void AnswerCommitted();

// What a write does besides answering, once its own work has committed.
template <class Response>
struct AfterCommit {
  // Drops cached copies of what the write changed. Runs when the commit
  // succeeded and also when its outcome is unknown (the connection broke
  // during COMMIT): the write may have landed, and a needless delete costs
  // one cache miss, while a missing one leaves a stale entry until its TTL.
  std::function<void(const Response&)> invalidate;
  // Events, metrics, in-process memos: only when the commit is known.
  std::function<void(const Response&)> announce;
};

// `work` fills the response inside the transaction. A replay (the request_id
// was already done) returns the stored response and runs no `after`: the
// call that did the work ran it. The audit event of the call being served
// (audit::CallAudit) is written in the same transaction, for a replay as for
// the first answer.
template <class Response>
Response WriteOnce(db::Pool& pool, const auth::Caller& caller, const std::string& method,
                   const google::protobuf::Message& request, const std::string& request_id,
                   const std::function<Response(pqxx::work&)>& work,
                   const AfterCommit<Response>& after = {}) {
  const std::string fingerprint = RequestFingerprint(request);
  bool replayed = false;
  // The response of the attempt whose COMMIT was sent, for `invalidate`
  // when that COMMIT's outcome is unknown. Kept only when needed.
  std::optional<Response> attempted;
  Response response;
  try {
    response = pool.Transact(
        [&](pqxx::work& tx) {
          replayed = false;
          try {
            if (auto done = Claim(tx, caller.org, method, request_id, fingerprint)) {
              Response first;
              if (!first.ParseFromString(*done)) throw std::runtime_error("stored response unreadable");
              if (!ReplayVisible(caller, first)) {
                errors::Throw(errors::NotFound(first.GetDescriptor()->full_name(), request_id));
              }
              replayed = true;
              if (auto* audit = audit::CallAudit::Current()) audit->WriteWithin(tx, ResponseIds(first));
              return first;
            }
          } catch (const RequestIdReused&) {
            errors::Throw(errors::InvalidArgument(
                "request_id", "was already used for a different request; use a new request_id"));
          }
          Response fresh = work(tx);
          Finish(tx, caller.org, method, request_id, fresh);
          if (after.invalidate) attempted = fresh;
          return fresh;
        },
        method);
  } catch (const db::CommitUnknown&) {
    if (attempted && !replayed) after.invalidate(*attempted);
    throw;
  }
  if (auto* audit = audit::CallAudit::Current()) audit->Committed();
  if (!replayed) {
    if (after.invalidate) after.invalidate(response);
    if (after.announce) after.announce(response);
  }
  return response;
}

}  // namespace iop::idempotency
