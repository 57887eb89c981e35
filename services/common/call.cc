#include "common/call.h"

#include <optional>

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

grpc::Status CallRunner::Run(grpc::CallbackServerContext* context, const google::protobuf::Message& request,
                             const CallSpec& spec,
                             const std::function<void(Call&)>& work) {
  if (context->IsCancelled()) return {grpc::StatusCode::CANCELLED, "call cancelled"};
  auth::Caller caller;
  try {
    caller = authenticator_.Verify(Metadata(context, "authorization"));
  } catch (const auth::AuthError& e) {
    // No verified identity: nothing to attribute an audit record to.
    return errors::Unauthenticated(e.message);
  }
  Call call(caller, context, std::string(Metadata(context, "authorization")));
  // The call's audit event; a write of this call carries it into its own
  // transaction (see audit::CallAudit). Uninstalled when this block ends.
  std::optional<audit::CallAudit> audit_event;
  if (spec.client_data && audit_ != nullptr) {
    audit_event.emplace(audit::AuditEvent{.org = caller.org, .subject = caller.subject,
                                          .roles = caller.RoleNames(),
                                          .method = "/" + service_ + "/" + spec.method},
                        call.resource_ids(), call.audit_detail());
  }
  grpc::Status status;
  try {
    if (!caller.Has(spec.permission)) {
      throw auth::AuthError{auth::AuthError::kPermissionDenied,
                            std::string("roles of this token do not allow ") + spec.method};
    }
    errors::RejectNul(request);
    work(call);
  } catch (const errors::RpcError& e) {
    status = e.status();
  } catch (const auth::AuthError& e) {
    status = e.code == auth::AuthError::kUnauthenticated ? errors::Unauthenticated(e.message)
                                                         : errors::PermissionDenied(e.message);
  } catch (const pqxx::transaction_rollback& e) {
    // Still conflicting after the pool's retries: the client may retry.
    status = errors::Aborted("the write conflicted with concurrent writes; retry with the same request_id");
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "57014") {  // query_canceled: statement_timeout
      log::Warn("statement timeout", {{"method", spec.method}, {"error", db::ErrorSummary(e)}});
      status = errors::Unavailable("the database took too long; retry with the same request_id");
    } else {
      log::Error("database error", {{"method", spec.method}, {"error", db::ErrorSummary(e)}});
      status = errors::Internal("internal error");
    }
  } catch (const db::Unavailable& e) {
    log::Warn("database unavailable", {{"method", spec.method}, {"error", db::ErrorSummary(e)}});
    status = errors::Unavailable("the database is unavailable; retry with the same request_id");
  } catch (const std::exception& e) {
    log::Error("internal error", {{"method", spec.method}, {"error", db::ErrorSummary(e)}});
    status = errors::Internal("internal error");
  }
  if (audit_event && !audit_event->committed()) {
    audit_->Record(audit_event->Event(errors::CodeName(status.error_code())));
  }
  return status;
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
  pool_.Post([this, context, &request, spec, reactor, work = std::move(work), ticket]() mutable {
    reactor->Finish(Run(context, request, spec, work));
    ticket.reset();  // the call is answered: no longer in flight for the drain
  });
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
