#include "common/idempotent.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <memory>

#include "common/sql.h"

namespace iop::idempotency {

namespace {

constexpr const char* kCompleteAuditedName = "iop_idempotency_complete_audited";
// The UPDATE runs whether or not the INSERT reads its result (a data-changing
// WITH always runs once); RETURNING reports how many claims it completed.
const std::string kCompleteAuditedSql =
    "WITH completed AS (UPDATE idempotency_keys SET response = $4"
    " WHERE org_id = $1 AND method = $2 AND request_id = $3 RETURNING 1) " +
    audit::InsertEventSql(5) + " RETURNING (SELECT count(*) FROM completed)";

bool Visible(const auth::Caller& caller, const google::protobuf::Message& m, int depth) {
  using google::protobuf::FieldDescriptor;
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->type() == FieldDescriptor::TYPE_STRING && f->name() == "site_id" && !f->is_repeated()) {
      const std::string site = r->GetString(m, f);
      if (!site.empty() && !caller.SeesSite(site)) return false;
    } else if (f->type() == FieldDescriptor::TYPE_STRING && f->name() == "site_ids" && f->is_repeated()) {
      const int n = r->FieldSize(m, f);
      bool any = n == 0;  // no sites: the resource belongs to every site
      for (int k = 0; k < n && !any; ++k) any = caller.SeesSite(r->GetRepeatedString(m, f, k));
      if (!any) return false;
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE && depth < 3) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k) {
          if (!Visible(caller, r->GetRepeatedMessage(m, f, k), depth + 1)) return false;
        }
      } else if (r->HasField(m, f) && !Visible(caller, r->GetMessage(m, f), depth + 1)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool ReplayVisible(const auth::Caller& caller, const google::protobuf::Message& response) {
  return !caller.site_limited() || Visible(caller, response, 0);
}

std::vector<std::string> ResponseIds(const google::protobuf::Message& response) {
  using google::protobuf::FieldDescriptor;
  constexpr int kMaxIds = 200;  // an audit record names what was touched, not a dump
  std::vector<std::string> ids;
  const auto* d = response.GetDescriptor();
  const auto* r = response.GetReflection();
  auto id_of = [](const google::protobuf::Message& m) -> std::string {
    const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName("id");
    if (f == nullptr || f->is_repeated() || f->type() != FieldDescriptor::TYPE_STRING) return {};
    return m.GetReflection()->GetString(m, f);
  };
  if (auto id = id_of(response); !id.empty()) ids.push_back(std::move(id));
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_map()) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(response, f) && static_cast<int>(ids.size()) < kMaxIds; ++k) {
          if (auto id = id_of(r->GetRepeatedMessage(response, f, k)); !id.empty()) ids.push_back(std::move(id));
        }
      } else if (r->HasField(response, f)) {
        if (auto id = id_of(r->GetMessage(response, f)); !id.empty()) ids.push_back(std::move(id));
      }
    }
  }
  return ids;
}

std::string RequestFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  if (const auto* field = copy->GetDescriptor()->FindFieldByName("request_id")) {
    copy->GetReflection()->ClearField(copy.get(), field);
  }
  // Deterministic: map order must not change the fingerprint of a retry.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  return Fingerprint(bytes);
}

void Finish(pqxx::work& tx, const std::string& org, const std::string& method,
            const std::string& request_id, const google::protobuf::Message& response) {
  const std::string response_bytes = response.SerializeAsString();
  auto* audit = audit::CallAudit::Current();
  auto event = audit ? audit->TakeForWrite(ResponseIds(response)) : std::nullopt;
  if (!event || request_id.empty()) {
    Complete(tx, org, method, request_id, response_bytes);
    if (event) audit::InsertEvent(tx, *event);
    return;
  }
  tx.conn().prepare(kCompleteAuditedName, kCompleteAuditedSql);
  const pqxx::row done = tx.exec_prepared1(
      kCompleteAuditedName, org, method, request_id, pqxx::binarystring(response_bytes), event->org,
      event->subject, sql::TextArray(event->roles), event->method, sql::TextArray(event->resource_ids),
      event->outcome, event->detail);
  if (done[0].as<int>() != 1) {
    throw std::logic_error("Complete without Claim for " + method + "/" + request_id);
  }
}

std::optional<Answered> Answer(const auth::Caller& caller, const std::string& method,
                               const google::protobuf::Message& request, const std::string& request_id,
                               const google::protobuf::Message& answer) {
  auto* audit = audit::CallAudit::Current();
  if (audit == nullptr || audit->committed()) return std::nullopt;
  auto event = audit->TakeForWrite(ResponseIds(answer));
  if (!event) return std::nullopt;
  return Answered{{caller.org, method, request_id, RequestFingerprint(request), answer.SerializeAsString()},
                  std::move(*event)};
}

void AnswerCommitted() {
  if (auto* audit = audit::CallAudit::Current()) audit->Committed();
}

}  // namespace iop::idempotency
