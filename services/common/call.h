// The one way a unary handler runs: authenticate, authorize, refuse NUL
// bytes in the request's strings, do the work on the worker pool, map
// exceptions to statuses, write the audit record.
// Handlers state what the call needs (CallSpec) and never forget a step.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/auth.h"
#include "common/drain.h"
#include "common/worker_pool.h"

namespace iop::audit {
class AuditLog;
}

namespace iop::server {

struct CallSpec {
  const char* method;            // "GetSite": audit records and logs
  auth::Permission permission;   // what the caller's roles must allow
  bool client_data = false;      // true: leaves an audit record
};

struct Ongoing;  // call.cc: one unary call from admission to its answer
class Later;

// What a handler sees of its call.
class Call {
 public:
  Call(const auth::Caller& caller, grpc::CallbackServerContext* context, std::string authorization,
       Ongoing* ongoing = nullptr)
      : caller_(caller), context_(context), authorization_(std::move(authorization)), ongoing_(ongoing) {}
  const auth::Caller& caller() const { return caller_; }
  // The caller's "Bearer <jwt>", forwarded on calls to other services.
  const std::string& authorization() const { return authorization_; }
  grpc::CallbackServerContext* context() const { return context_; }
  // Ids the call touched, for its audit record.
  void Touch(const std::string& id) {
    if (!id.empty()) resource_ids_.push_back(id);
  }
  const std::vector<std::string>& resource_ids() const { return resource_ids_; }
  void SetAuditDetail(std::string detail) { audit_detail_ = std::move(detail); }
  const std::string& audit_detail() const { return audit_detail_; }

  // For a handler whose answer comes from another thread (a write waiting
  // for a group commit): once deferred, the handler's return does not end
  // the call, the returned Later does. A call run by CallRunner::Run
  // cannot be deferred (std::logic_error).
  Later Defer();

 private:
  const auth::Caller& caller_;
  grpc::CallbackServerContext* context_;
  std::string authorization_;
  std::vector<std::string> resource_ids_;
  std::string audit_detail_;
  Ongoing* ongoing_;
};

// The rest of a deferred call. Exactly one Finish or FinishOnPool per
// Later; until then the call stays open (and holds the drain).
class Later {
 public:
  Later() = default;
  explicit Later(std::shared_ptr<Ongoing> ongoing) : ongoing_(std::move(ongoing)) {}
  // Runs `rest` as the end of the call's work on this thread: it may fill
  // the response or throw, as a handler does; then the call is answered
  // and audited (unless it ended already). It may run while the deferring
  // handler is still returning, so a handler touches nothing of its call
  // once it has handed its Later on.
  void Finish(std::function<void(Call&)> rest);
  // The same on the worker pool, for a `rest` that blocks.
  void FinishOnPool(std::function<void(Call&)> rest);

 private:
  std::shared_ptr<Ongoing> ongoing_;
};

class CallRunner {
 public:
  // `drain`, when given, admits each unary call (refused once it closes).
  CallRunner(const auth::Authenticator& authenticator, WorkerPool& pool, audit::AuditLog* audit,
             std::string service, Drain* drain = nullptr)
      : authenticator_(authenticator),
        pool_(pool),
        audit_(audit),
        service_(std::move(service)),
        drain_(drain) {}

  // Lifecycle: the returned reactor belongs to gRPC. The work runs on the
  // pool; Finish() is called exactly once from there (or, for a deferred
  // call, from the thread that ends it), after which gRPC may free the
  // request, response and context, so nothing touches them later.
  // `request` is checked before `work` runs (nul_check.h) and must outlive
  // the call, as gRPC's own request does.
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, const google::protobuf::Message& request,
                                  const CallSpec& spec, std::function<void(Call&)> work);

  // A read that an in-process copy can often answer (cache::Cache::Peek).
  // Once the caller is verified and allowed, `peek` runs on gRPC's thread:
  // it must not block, and returns true when it has filled the response
  // (the call ends OK right there, no pool hop) or false to run `work` on
  // the pool exactly as Unary would. Calls that leave an audit record, and
  // callers who would be refused, go the Unary way from the start. `peek`
  // sees the request before its NUL check: an id holding a NUL matches
  // nothing there, since only checked requests ever fill the copy.
  using Peek = std::function<bool(const auth::Caller&)>;
  grpc::ServerUnaryReactor* UnaryRead(grpc::CallbackServerContext* context,
                                      const google::protobuf::Message& request, const CallSpec& spec,
                                      const Peek& peek, std::function<void(Call&)> work);

  // Unary's steps on this thread, for a handler that answers otherwise (a
  // stream): returns the final status. A refused call with a verified
  // caller is audited like any other.
  grpc::Status Run(grpc::CallbackServerContext* context, const google::protobuf::Message& request,
                   const CallSpec& spec, const std::function<void(Call&)>& work);

 private:
  friend class Later;
  // Verifies and authorizes, then runs `work` as the call's first part.
  void Start(const std::shared_ptr<Ongoing>& ongoing, const std::function<void(Call&)>& work);
  // Runs a part of the call, then ends the call unless the part deferred.
  void RunPartAndEnd(const std::shared_ptr<Ongoing>& ongoing, std::function<void(Call&)> part);
  // One part, with the call's audit event current; its exception as a status.
  grpc::Status RunPart(Ongoing& ongoing, const std::function<void(Call&)>& part);
  // Audits (unless a committed write carried the event) and answers.
  void End(Ongoing& ongoing, const grpc::Status& status);

  // Admits the call for the drain: false when refused (then it is already
  // finished with UNAVAILABLE).
  bool Admit(grpc::ServerUnaryReactor* reactor, std::shared_ptr<Drain::Ticket>* ticket);

  const auth::Authenticator& authenticator_;
  WorkerPool& pool_;
  audit::AuditLog* audit_;
  std::string service_;
  Drain* drain_;
};

}  // namespace iop::server
