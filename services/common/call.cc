#include "common/call.h"

#include <mutex>
#include <optional>
#include <stdexcept>

#include "common/audit.h"
#include "common/db.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/nul_check.h"

namespace iop::server {
namespace {

std::string_view Metadata(grpc::CallbackServerContext* context, std::string_view key) {
  const auto& md = context->client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

// One unary call from admission to its answer. Shared by the thread
// running a part of it and any Later that will run the next part.
struct Ongoing : std::enable_shared_from_this<Ongoing> {
  Ongoing(CallRunner* runner, grpc::CallbackServerContext* context, const google::protobuf::Message* request,
          CallSpec spec, grpc::ServerUnaryReactor* reactor, std::shared_ptr<Drain::Ticket> ticket)
      : runner(runner), context(context), request(request), spec(spec), reactor(reactor), ticket(std::move(ticket)) {}

  CallRunner* runner;
  grpc::CallbackServerContext* context;
  const google::protobuf::Message* request;
  CallSpec spec;
  grpc::ServerUnaryReactor* reactor;  // null: CallRunner::Run, which returns the status
  std::shared_ptr<Drain::Ticket> ticket;
  auth::Caller caller;
  std::optional<Call> call;
  // The call's audit event; a write of this call carries it into its own
  // transaction (see audit::CallAudit), current while a part runs.
  std::optional<audit::CallAudit> audit;
  grpc::Status status;

  std::mutex mu;
  int deferrals = 0;   // Defer() calls so far
  bool ended = false;  // answered
};

Later Call::Defer() {
  if (ongoing_ == nullptr || ongoing_->reactor == nullptr) {
    throw std::logic_error("this call is answered when its handler returns and cannot be deferred");
  }
  std::lock_guard lock(ongoing_->mu);
  ++ongoing_->deferrals;
  return Later(ongoing_->shared_from_this());
}

void Later::Finish(std::function<void(Call&)> rest) {
  std::shared_ptr<Ongoing> o = std::move(ongoing_);
  {
    std::lock_guard lock(o->mu);
    if (o->ended) return;  // the deferring handler failed after deferring: answered then
  }
  // The part may run while the deferring handler is still returning on its
  // thread: a handler touches nothing of its call once it has handed the
  // Later on.
  o->runner->RunPartAndEnd(o, std::move(rest));
}

void Later::FinishOnPool(std::function<void(Call&)> rest) {
  std::shared_ptr<Ongoing> o = std::move(ongoing_);
  o->runner->pool_.Post([o, rest = std::move(rest)]() mutable { Later(o).Finish(std::move(rest)); });
}

grpc::Status CallRunner::Run(grpc::CallbackServerContext* context, const google::protobuf::Message& request,
                             const CallSpec& spec,
                             const std::function<void(Call&)>& work) {
  auto o = std::make_shared<Ongoing>(this, context, &request, spec, nullptr, nullptr);
  Start(o, work);
  return o->status;
}

void CallRunner::Start(const std::shared_ptr<Ongoing>& o, const std::function<void(Call&)>& work) {
  if (o->context->IsCancelled()) return End(*o, {grpc::StatusCode::CANCELLED, "call cancelled"});
  try {
    o->caller = authenticator_.Verify(Metadata(o->context, "authorization"));
  } catch (const auth::AuthError& e) {
    // No verified identity: nothing to attribute an audit record to.
    return End(*o, errors::Unauthenticated(e.message));
  }
  Call& call = o->call.emplace(o->caller, o->context, std::string(Metadata(o->context, "authorization")), o.get());
  if (o->spec.client_data && audit_ != nullptr) {
    o->audit.emplace(audit::AuditEvent{.org = o->caller.org, .subject = o->caller.subject,
                                       .roles = o->caller.RoleNames(),
                                       .method = "/" + service_ + "/" + o->spec.method},
                     call.resource_ids(), call.audit_detail(), audit::CallAudit::Detached{});
  }
  RunPartAndEnd(o, [&](Call& c) {
    if (!o->caller.Has(o->spec.permission)) {
      throw auth::AuthError{auth::AuthError::kPermissionDenied,
                            std::string("roles of this token do not allow ") + o->spec.method};
    }
    errors::RejectNul(*o->request);
    work(c);
  });
}

void CallRunner::RunPartAndEnd(const std::shared_ptr<Ongoing>& o, std::function<void(Call&)> part) {
  int deferrals = 0;
  {
    std::lock_guard lock(o->mu);
    deferrals = o->deferrals;
  }
  const grpc::Status status = RunPart(*o, part);
  {
    std::lock_guard lock(o->mu);
    // Deferred and returned: its Later ends the call (maybe already has).
    // A part that failed ends the call, deferred or not, unless its Later
    // was first.
    if ((o->deferrals != deferrals && status.ok()) || o->ended) return;
    o->ended = true;
  }
  End(*o, status);
}

grpc::Status CallRunner::RunPart(Ongoing& o, const std::function<void(Call&)>& part) {
  audit::CallAudit::Scope current(o.audit ? &*o.audit : nullptr);
  const char* method = o.spec.method;
  try {
    part(*o.call);
    return grpc::Status::OK;
  } catch (const errors::RpcError& e) {
    return e.status();
  } catch (const auth::AuthError& e) {
    return e.code == auth::AuthError::kUnauthenticated ? errors::Unauthenticated(e.message)
                                                       : errors::PermissionDenied(e.message);
  } catch (const pqxx::transaction_rollback& e) {
    // Still conflicting after the pool's retries: the client may retry.
    return errors::Aborted("the write conflicted with concurrent writes; retry with the same request_id");
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "57014") {  // query_canceled: statement_timeout
      log::Warn("statement timeout", {{"method", method}, {"error", db::ErrorSummary(e)}});
      return errors::Unavailable("the database took too long; retry with the same request_id");
    }
    log::Error("database error", {{"method", method}, {"error", db::ErrorSummary(e)}});
    return errors::Internal("internal error");
  } catch (const db::Unavailable& e) {
    log::Warn("database unavailable", {{"method", method}, {"error", db::ErrorSummary(e)}});
    return errors::Unavailable("the database is unavailable; retry with the same request_id");
  } catch (const std::exception& e) {
    log::Error("internal error", {{"method", method}, {"error", db::ErrorSummary(e)}});
    return errors::Internal("internal error");
  }
}

void CallRunner::End(Ongoing& o, const grpc::Status& status) {
  if (o.audit && !o.audit->committed()) {
    audit_->Record(o.audit->Event(errors::CodeName(status.error_code())));
  }
  o.status = status;
  if (o.reactor == nullptr) return;
  o.reactor->Finish(status);
  o.ticket.reset();  // the call is answered: no longer in flight for the drain
}

bool CallRunner::Admit(grpc::ServerUnaryReactor* reactor, std::shared_ptr<Drain::Ticket>* ticket) {
  if (drain_ == nullptr) return true;
  auto admitted = drain_->Admit();
  if (!admitted) {
    reactor->Finish(errors::Unavailable("the service is shutting down; retry, another replica will answer"));
    return false;
  }
  *ticket = std::make_shared<Drain::Ticket>(std::move(*admitted));
  return true;
}

grpc::ServerUnaryReactor* CallRunner::Unary(grpc::CallbackServerContext* context,
                                            const google::protobuf::Message& request, const CallSpec& spec,
                                            std::function<void(Call&)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<Drain::Ticket> ticket;
  if (!Admit(reactor, &ticket)) return reactor;
  auto o = std::make_shared<Ongoing>(this, context, &request, spec, reactor, std::move(ticket));
  pool_.Post([this, o, work = std::move(work)] { Start(o, work); });
  return reactor;
}

grpc::ServerUnaryReactor* CallRunner::UnaryRead(grpc::CallbackServerContext* context,
                                                const google::protobuf::Message& request,
                                                const CallSpec& spec, const Peek& peek,
                                                std::function<void(Call&)> work) {
  if (spec.client_data && audit_ != nullptr) return Unary(context, request, spec, std::move(work));
  // Verifying is CPU only (a token seen before is a map lookup), so it may
  // run here; a refusal is left to Run, which reports and audits it.
  std::shared_ptr<const auth::Caller> caller;
  try {
    caller = authenticator_.VerifyShared(Metadata(context, "authorization"));
  } catch (const auth::AuthError&) {
  }
  if (!caller || !caller->Has(spec.permission)) return Unary(context, request, spec, std::move(work));
  bool answered = false;
  try {
    answered = peek(*caller);
  } catch (const std::exception& e) {
    log::Warn("near read failed, reading through", {{"method", spec.method}, {"error", db::ErrorSummary(e)}});
  }
  if (!answered) return Unary(context, request, spec, std::move(work));
  // A draining service refuses it like any other call.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<Drain::Ticket> ticket;
  if (Admit(reactor, &ticket)) reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace iop::server
