#include "common/nul_check.h"

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

namespace iop::errors {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr const char* kWhy = "must not contain NUL characters";

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

void Walk(Validator& v, const Message& message, const std::string& prefix) {
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // set fields only
  for (const FieldDescriptor* f : fields) {
    const std::string path = prefix + f->name();
    const bool text = f->type() == FieldDescriptor::TYPE_STRING;
    const bool nested = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!text && !nested) continue;
    if (!f->is_repeated()) {
      std::string scratch;
      if (text && HasNul(reflection->GetStringReference(message, f, &scratch))) v.Add(path, kWhy);
      if (nested) Walk(v, reflection->GetMessage(message, f), path + ".");
      continue;
    }
    for (int i = 0, n = reflection->FieldSize(message, f); i < n; ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      std::string scratch;
      if (text && HasNul(reflection->GetRepeatedStringReference(message, f, i, &scratch))) {
        v.Add(item, kWhy);
      }
      if (nested) Walk(v, reflection->GetRepeatedMessage(message, f, i), item + ".");
    }
  }
}

}  // namespace

void CheckNoNul(Validator& v, const Message& message) { Walk(v, message, ""); }

void RejectNul(const Message& request) {
  Validator v;
  CheckNoNul(v, request);
  v.ThrowIfInvalid();
}

}  // namespace iop::errors
