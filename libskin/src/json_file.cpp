// json_file.cpp: JSON documents from files (reports, thresholds, shard sidecars).
#include "skin/json_file.hpp"

#include <fstream>

#include <fmt/format.h>

#include "skin/error.hpp"

namespace skin {

nlohmann::json read_json_file(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open {}", path, what));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::input, fmt::format("{}: invalid JSON", path));
  }
}

}  // namespace skin
