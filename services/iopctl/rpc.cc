#include "iopctl/rpc.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "common/raw_call.h"
#include "iopctl/iopctl.h"

ABSL_FLAG(bool, json, false, "print responses as JSON (for scripts) instead of tables");

namespace iopctl {

namespace sched = iop::scheduling::v1;

grpc::Status CallUnary(const std::string& service_prefix, const std::string& method,
                       const google::protobuf::Message& request, google::protobuf::Message* response) {
  std::string path = service_prefix + method;
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + ResolveToken());
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  std::string bytes;
  grpc::Status status = iop::client::RawUnaryCall(Connect(ResolveAddress(path)), &context, path,
                                                  request.SerializeAsString(), &bytes);
  if (status.ok() && !response->ParseFromString(bytes)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "the response of " + method + " could not be parsed");
  }
  return status;
}

bool Invoke(const std::string& service_prefix, const std::string& method,
            const google::protobuf::Message& request, google::protobuf::Message* response) {
  grpc::Status status = CallUnary(service_prefix, method, request, response);
  if (!status.ok()) {
    std::fprintf(stderr, "iopctl: %s failed at %s\n", method.c_str(),
                 ResolveAddress(service_prefix + method).c_str());
    PrintStatus(status);
  }
  return status.ok();
}

bool JsonOutput() { return absl::GetFlag(FLAGS_json); }

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  while (!json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

void PrintJson(const google::protobuf::Message& message) { std::printf("%s\n", ToJson(message).c_str()); }

namespace {

// Follows next_page_token until the last page.
template <class Req, class Resp, class Items, class Out>
bool LoadAll(const char* method, Req request, Items items, Out* out) {
  request.set_page_size(500);
  for (;;) {
    Resp response;
    if (!Invoke(kScheduling, method, request, &response)) return false;
    for (const auto& item : items(response)) (*out)[item.id()] = item;
    if (response.next_page_token().empty()) return true;
    request.set_page_token(response.next_page_token());
  }
}

}  // namespace

bool LoadSites(std::map<std::string, sched::Site>* sites) {
  return LoadAll<sched::ListSitesRequest, sched::ListSitesResponse>(
      "ListSites", sched::ListSitesRequest(), [](const auto& r) -> const auto& { return r.sites(); }, sites);
}

bool LoadGroups(const sched::ListGroupsRequest& filter, std::map<std::string, sched::Group>* groups) {
  return LoadAll<sched::ListGroupsRequest, sched::ListGroupsResponse>(
      "ListGroups", filter, [](const auto& r) -> const auto& { return r.groups(); }, groups);
}

bool LoadClients(std::map<std::string, sched::Client>* clients) {
  return LoadAll<sched::ListClientsRequest, sched::ListClientsResponse>(
      "ListClients", sched::ListClientsRequest(), [](const auto& r) -> const auto& { return r.clients(); }, clients);
}

absl::TimeZone SiteZone(const std::map<std::string, sched::Site>& sites, const std::string& site_id) {
  absl::TimeZone zone = absl::UTCTimeZone();
  auto it = sites.find(site_id);
  if (it != sites.end() && !absl::LoadTimeZone(it->second.time_zone(), &zone)) {
    std::fprintf(stderr, "iopctl: note: time zone \"%s\" of site %s is unknown here; showing UTC\n",
                 it->second.time_zone().c_str(), site_id.c_str());
  }
  return zone;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "iopctl: %s\n", message.c_str());
  return kUsage;
}

}  // namespace iopctl
