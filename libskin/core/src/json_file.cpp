// json_file.cpp: JSON documents to and from files (reports, thresholds, shard sidecars, manifests).
#include "skin/core/json_file.hpp"

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/json_text.hpp"
#include "skin/core/output_file.hpp"

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

void write_json(const std::string& destination, const nlohmann::json& document) {
  const std::string text = json_text(document, 2) + "\n";
  if (destination != "-") {
    write_file_atomically(destination, text);
    return;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace skin
