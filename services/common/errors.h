// Error helpers: every failure a handler reports goes through these, so the
// code, the message and the rich details (google.rpc.Status in the
// `grpc-status-details-bin` trailer) are always consistent.
#pragma once

#include <grpcpp/support/status.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace iop::errors {

// Thrown by domain, store and api code; the call wrapper turns it into the
// call's status. Keeps handlers linear: validate, throw, or carry on.
class RpcError : public std::runtime_error {
 public:
  explicit RpcError(grpc::Status status)
      : std::runtime_error(status.error_message()), status_(std::move(status)) {}
  const grpc::Status& status() const { return status_; }

 private:
  grpc::Status status_;
};

struct FieldViolation {
  std::string field;        // request path, e.g. "group.max_size"
  std::string description;  // why it is wrong
};

struct Violation {
  std::string type;         // e.g. "FACILITATOR_CONFLICT"
  std::string subject;      // e.g. "sessions/abc"
  std::string description;  // human readable
};

// INVALID_ARGUMENT "field: description" with BadRequest details.
grpc::Status InvalidArgument(const std::string& field, const std::string& description);
grpc::Status InvalidArguments(const std::vector<FieldViolation>& violations);
// FAILED_PRECONDITION: message lists every violation; PreconditionFailure details.
grpc::Status FailedPrecondition(const std::string& summary, const std::vector<Violation>& violations);
// NOT_FOUND, phrased the same whether the id is missing or another org's.
grpc::Status NotFound(const std::string& resource_type, const std::string& id);
grpc::Status AlreadyExists(const std::string& resource_type, const std::string& id,
                           const std::string& why);
grpc::Status Aborted(const std::string& message);
grpc::Status Unavailable(const std::string& message);
grpc::Status Internal(const std::string& message);
grpc::Status Unauthenticated(const std::string& message);
grpc::Status PermissionDenied(const std::string& message);

[[noreturn]] inline void Throw(grpc::Status status) { throw RpcError(std::move(status)); }

// Collects field problems so one response names all of them.
class Validator {
 public:
  void Require(bool ok, const std::string& field, const std::string& description) {
    if (!ok) violations_.push_back({field, description});
  }
  void Add(const std::string& field, const std::string& description) {
    violations_.push_back({field, description});
  }
  bool ok() const { return violations_.empty(); }
  // Throws INVALID_ARGUMENT when any check failed.
  void ThrowIfInvalid() const {
    if (!violations_.empty()) Throw(InvalidArguments(violations_));
  }

 private:
  std::vector<FieldViolation> violations_;
};

// go-grpc-prometheus spelling of a code: "OK", "NotFound", "InvalidArgument".
const char* CodeLabel(grpc::StatusCode code);
// Upper snake name of a code: "OK", "NOT_FOUND" (audit records, logs).
const char* CodeName(grpc::StatusCode code);

}  // namespace iop::errors
