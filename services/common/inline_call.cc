#include "common/inline_call.h"

namespace iop::server {
namespace {
thread_local bool running_inline = false;
}  // namespace

InlineScope::InlineScope() { running_inline = true; }
InlineScope::~InlineScope() { running_inline = false; }

bool RunningInline() { return running_inline; }

void ThrowIfInline() {
  if (running_inline) throw WouldBlock{};
}

}  // namespace iop::server
