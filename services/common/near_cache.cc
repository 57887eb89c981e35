#include "common/near_cache.h"

#include <mutex>
#include <stdexcept>

namespace iop::cache {

NearCache::NearCache(std::chrono::milliseconds ttl, std::size_t max_entries, Clock clock)
    : ttl_(ttl), max_entries_(max_entries), clock_(std::move(clock)) {
  if (ttl_.count() <= 0) throw std::invalid_argument("near cache ttl must be positive");
  if (max_entries_ == 0) throw std::invalid_argument("near cache needs room for an entry");
}

void NearCache::Enable() {
  std::unique_lock lock(mu_);
  enabled_ = true;
  // A read that began while off may predate a write whose invalidation
  // nobody heard: it must not store.
  epoch_.fetch_add(1);
}

void NearCache::Disable() {
  std::unique_lock lock(mu_);
  enabled_ = false;
  epoch_.fetch_add(1);
  entries_.clear();
}

bool NearCache::enabled() const {
  std::shared_lock lock(mu_);
  return enabled_;
}

NearCache::Ticket NearCache::Begin(const std::string& key) const {
  // Taken without the lock: a bump that lands after these loads is seen by
  // Store, which compares under the exclusive lock.
  return {epoch_.load(), GenerationOf(key).load()};
}

void NearCache::Store(const std::string& key, const Ticket& ticket, std::string value) {
  std::unique_lock lock(mu_);
  if (!enabled_ || epoch_.load() != ticket.epoch ||
      GenerationOf(key).load() != ticket.key_generation) {
    return;
  }
  if (entries_.size() >= max_entries_ && entries_.find(key) == entries_.end()) {
    // Full: start over rather than track recency on every hit. Hot keys
    // come back with their next read.
    entries_.clear();
  }
  entries_[key] = Entry{std::move(value), clock_() + ttl_};
}

std::optional<std::string> NearCache::Get(const std::string& key) const {
  std::shared_lock lock(mu_);
  if (!enabled_) return std::nullopt;
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires <= clock_()) return std::nullopt;
  return it->second.value;
}

void NearCache::Invalidate(const std::string& key) {
  std::unique_lock lock(mu_);
  GenerationOf(key).fetch_add(1);
  entries_.erase(key);
}

void NearCache::InvalidateAll() {
  std::unique_lock lock(mu_);
  epoch_.fetch_add(1);
  entries_.clear();
}

std::size_t NearCache::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

std::atomic<std::uint64_t>& NearCache::GenerationOf(const std::string& key) {
  return generations_[std::hash<std::string>{}(key) % generations_.size()];
}

const std::atomic<std::uint64_t>& NearCache::GenerationOf(const std::string& key) const {
  return generations_[std::hash<std::string>{}(key) % generations_.size()];
}

namespace {

void AppendPart(std::string& out, std::string_view part) {
  out += std::to_string(part.size());
  out += ':';
  out += part;
}

// Splits "<length>:<bytes>..." into its parts; nullopt when malformed.
std::optional<std::vector<std::string>> SplitParts(std::string_view message) {
  std::vector<std::string> parts;
  while (!message.empty()) {
    const auto colon = message.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon > 9) return std::nullopt;
    std::size_t length = 0;
    for (char c : message.substr(0, colon)) {
      if (c < '0' || c > '9') return std::nullopt;
      length = length * 10 + static_cast<std::size_t>(c - '0');
    }
    message.remove_prefix(colon + 1);
    if (length == 0 || length > message.size()) return std::nullopt;
    parts.emplace_back(message.substr(0, length));
    message.remove_prefix(length);
  }
  return parts;
}

}  // namespace

std::string EncodeInvalidation(std::string_view sender, const std::vector<std::string>& keys) {
  std::string out;
  AppendPart(out, sender);
  for (const auto& k : keys) AppendPart(out, k);
  return out;
}

Invalidation DecodeInvalidation(std::string_view message) {
  auto parts = SplitParts(message);
  if (!parts || parts->empty()) return {};
  Invalidation out;
  out.sender = std::move(parts->front());
  out.keys.assign(std::make_move_iterator(parts->begin() + 1), std::make_move_iterator(parts->end()));
  return out;
}

}  // namespace iop::cache
