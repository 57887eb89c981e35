// Structured logging: one JSON object per line on stderr, so log shippers
// (Fluent Bit, Loki, Cloud Logging) parse it without rules.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace iop::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug" | "info" | "warn" | "error"; false on anything else.
bool ParseLevel(std::string_view text, Level* out);
void SetLevel(Level level);
bool Enabled(Level level);

// Renders the line without writing it (kept separate so it is testable).
std::string Format(Level level, std::string_view message, const nlohmann::json& fields);
void Write(Level level, std::string_view message, const nlohmann::json& fields = {});

inline void Debug(std::string_view m, const nlohmann::json& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const nlohmann::json& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const nlohmann::json& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const nlohmann::json& f = {}) { Write(Level::kError, m, f); }

}  // namespace iop::log
