// Handlers of the instrument RPCs: the built-in library and org definitions.
#include <algorithm>

#include "common/audit_rpc.h"
#include "common/errors.h"
#include "common/paging.h"
#include "outcomes/api/outcomes_api.h"
#include "outcomes/api/validation.h"
#include "outcomes/domain/builtin.h"
#include "outcomes/domain/definition.h"
#include "outcomes/store/convert.h"

namespace iop::outcomes::api {

using auth::Permission;
using server::Call;

ServerUnaryReactor* OutcomesApi::ListInstruments(CallbackServerContext* ctx, const v1::ListInstrumentsRequest* req,
                                                 v1::ListInstrumentsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListInstruments", Permission::kOutcomesSubmit}, [=, this](Call& call) {
    const bool built_in = !req->has_include_built_in() || req->include_built_in();
    const std::string filters = std::string("instruments|") + (built_in ? "all" : "own");
    // Built-ins and the org's own merge into one list ordered by code, so the
    // token holds a position in that list rather than a row sequence.
    paging::Page page = paging::Parse(req->page_size(), req->page_token(), filters);
    std::vector<v1::Instrument> all = instruments_.ListOwn(call.caller());
    if (built_in) {
      for (const auto& i : domain::BuiltInInstruments()) all.push_back(store::ToProto(i));
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.code() < b.code(); });
    const size_t begin = std::min<size_t>(page.after, all.size());
    const size_t end = std::min<size_t>(begin + page.size, all.size());
    for (size_t i = begin; i < end; ++i) *resp->add_instruments() = all[i];
    if (end < all.size()) resp->set_next_page_token(paging::NextToken(static_cast<int64_t>(end), filters));
  });
}

ServerUnaryReactor* OutcomesApi::GetInstrument(CallbackServerContext* ctx, const v1::GetInstrumentRequest* req,
                                               v1::Instrument* resp) {
  return runner_.Unary(ctx, *req, {"GetInstrument", Permission::kOutcomesSubmit}, [=, this](Call& call) {
    if (req->code().empty()) errors::Throw(errors::InvalidArgument("code", "is required"));
    *resp = instruments_.Get(call.caller(), req->code());
  });
}

ServerUnaryReactor* OutcomesApi::CreateInstrument(CallbackServerContext* ctx, const v1::CreateInstrumentRequest* req,
                                                  v1::Instrument* resp) {
  return runner_.Unary(ctx, *req, {"CreateInstrument", Permission::kOutcomesManage}, [=, this](Call& call) {
    domain::Instrument definition = store::FromProto(req->instrument());
    definition.built_in = false;
    errors::Validator v;
    for (const auto& problem : domain::CheckDefinition(definition)) v.Add(problem.field, problem.description);
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    // Output-only fields (totals, built_in, org) are recomputed, not trusted.
    *resp = instruments_.Create(call.caller(), store::ToProto(definition),
                                {"CreateInstrument", *req, req->request_id()});
  });
}

ServerUnaryReactor* OutcomesApi::ListAuditEvents(CallbackServerContext* ctx,
                                                 const iop::common::v1::ListAuditEventsRequest* req,
                                                 iop::common::v1::ListAuditEventsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListAuditEvents", Permission::kAuditRead, /*client_data=*/true}, [=, this](Call& call) {
    *resp = audit::ListAuditEvents(audit_, call.caller(), *req);
  });
}

}  // namespace iop::outcomes::api
