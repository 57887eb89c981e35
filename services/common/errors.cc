#include "common/errors.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace iop::errors {
namespace {

grpc::Status WithDetails(grpc::StatusCode code, const std::string& message,
                         const google::protobuf::Message& detail) {
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(code));
  rich.set_message(message);
  rich.add_details()->PackFrom(detail);
  return grpc::Status(code, message, rich.SerializeAsString());
}

}  // namespace

grpc::Status InvalidArgument(const std::string& field, const std::string& description) {
  return InvalidArguments({{field, description}});
}

grpc::Status InvalidArguments(const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest detail;
  std::string message;
  for (const auto& v : violations) {
    auto* fv = detail.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
    if (!message.empty()) message += "; ";
    message += v.field + ": " + v.description;
  }
  return WithDetails(grpc::StatusCode::INVALID_ARGUMENT, message, detail);
}

grpc::Status FailedPrecondition(const std::string& summary,
                                const std::vector<Violation>& violations) {
  google::rpc::PreconditionFailure detail;
  std::string message = summary;
  for (const auto& v : violations) {
    auto* pv = detail.add_violations();
    pv->set_type(v.type);
    pv->set_subject(v.subject);
    pv->set_description(v.description);
    message += (&v == &violations.front() ? ": " : "; ") + v.description;
  }
  return WithDetails(grpc::StatusCode::FAILED_PRECONDITION, message, detail);
}

grpc::Status NotFound(const std::string& resource_type, const std::string& id) {
  google::rpc::ResourceInfo detail;
  detail.set_resource_type(resource_type);
  detail.set_resource_name(id);
  detail.set_description("not found");
  return WithDetails(grpc::StatusCode::NOT_FOUND, resource_type + " \"" + id + "\" not found",
                     detail);
}

grpc::Status AlreadyExists(const std::string& resource_type, const std::string& id,
                           const std::string& why) {
  google::rpc::ResourceInfo detail;
  detail.set_resource_type(resource_type);
  detail.set_resource_name(id);
  detail.set_description(why);
  return WithDetails(grpc::StatusCode::ALREADY_EXISTS, why, detail);
}

grpc::Status Aborted(const std::string& m) { return {grpc::StatusCode::ABORTED, m}; }
grpc::Status Unavailable(const std::string& m) { return {grpc::StatusCode::UNAVAILABLE, m}; }
grpc::Status Internal(const std::string& m) { return {grpc::StatusCode::INTERNAL, m}; }
grpc::Status Unauthenticated(const std::string& m) {
  return {grpc::StatusCode::UNAUTHENTICATED, m};
}
grpc::Status PermissionDenied(const std::string& m) {
  return {grpc::StatusCode::PERMISSION_DENIED, m};
}

const char* CodeLabel(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "Canceled";
    case grpc::StatusCode::UNKNOWN: return "Unknown";
    case grpc::StatusCode::INVALID_ARGUMENT: return "InvalidArgument";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DeadlineExceeded";
    case grpc::StatusCode::NOT_FOUND: return "NotFound";
    case grpc::StatusCode::ALREADY_EXISTS: return "AlreadyExists";
    case grpc::StatusCode::PERMISSION_DENIED: return "PermissionDenied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "ResourceExhausted";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FailedPrecondition";
    case grpc::StatusCode::ABORTED: return "Aborted";
    case grpc::StatusCode::OUT_OF_RANGE: return "OutOfRange";
    case grpc::StatusCode::UNIMPLEMENTED: return "Unimplemented";
    case grpc::StatusCode::INTERNAL: return "Internal";
    case grpc::StatusCode::UNAVAILABLE: return "Unavailable";
    case grpc::StatusCode::DATA_LOSS: return "DataLoss";
    case grpc::StatusCode::UNAUTHENTICATED: return "Unauthenticated";
    default: return "Unknown";
  }
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

}  // namespace iop::errors
