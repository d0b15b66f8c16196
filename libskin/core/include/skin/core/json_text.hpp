// skin/core/json_text.hpp: JSON serialisation that never throws on file names that are not valid
// UTF-8 (legal on Linux): invalid bytes become U+FFFD instead of aborting a whole run.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace skin {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `text` with each invalid UTF-8 byte replaced by U+FFFD, for documents that must be valid UTF-8
// (JUnit XML, Markdown).
inline std::string valid_utf8(const std::string& text) {
  return nlohmann::json::parse(json_text(nlohmann::json(text))).get<std::string>();
}

}  // namespace skin
