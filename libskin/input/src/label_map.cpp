// label_map.cpp: parsing and applying a class-column map.
#include "skin/input/label_map.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/strings.hpp"

namespace skin {
namespace {

// Map entries and file lines may carry a CR (files written on Windows).
std::string trim_entry(const std::string& s) { return trim(s, " \t\r"); }

void add_entry(LabelMap& map, const std::string& text, const std::string& where) {
  const auto sep = text.find_first_of("=,");
  const std::string from = sep == std::string::npos ? "" : trim_entry(text.substr(0, sep));
  const std::string to = sep == std::string::npos ? "" : trim_entry(text.substr(sep + 1));
  if (from.empty() || to.empty())
    throw Error(ErrorKind::usage,
                fmt::format("{}: label map entry '{}' must look like COLUMN=class or COLUMN=-", where, text));
  map.entries.emplace_back(from, to);
}

}  // namespace

LabelMap parse_label_map(const std::string& spec) {
  LabelMap map;
  map.source = spec;
  std::error_code ec;
  if (std::filesystem::is_regular_file(spec, ec)) {
    std::ifstream in(spec);
    std::string line;
    while (std::getline(in, line)) {
      line = trim_entry(line);
      if (line.empty() || line[0] == '#') continue;
      add_entry(map, line, spec);
    }
    if (map.entries.empty()) throw Error(ErrorKind::usage, fmt::format("{}: label map file has no entries", spec));
    return map;
  }
  std::size_t start = 0;
  while (start <= spec.size()) {
    const auto comma = spec.find(',', start);
    const std::string entry =
        trim_entry(spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!entry.empty()) add_entry(map, entry, "--label-map");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (map.entries.empty()) throw Error(ErrorKind::usage, "--label-map: no entries");
  return map;
}

ResolvedLabels resolve_labels(const std::vector<std::string>& source, const LabelMap& map) {
  ResolvedLabels r;
  r.source = source;
  for (const auto& [from, to] : map.entries) {
    const std::string wanted = to_lower(from);  // (a lambda cannot capture a structured binding in C++17)
    const bool known =
        std::any_of(source.begin(), source.end(), [&](const std::string& s) { return to_lower(s) == wanted; });
    if (!known)
      throw Error(ErrorKind::usage, fmt::format("{}: label map names column '{}', which is not one of {}", map.source,
                                                from, fmt::join(source, ", ")));
  }
  for (const auto& column : source) {
    std::string target = to_lower(column);
    for (const auto& [from, to] : map.entries)
      if (to_lower(from) == to_lower(column)) target = to == "-" ? "-" : to_lower(to);
    if (target == "-") {
      r.target.push_back(-1);
      r.renormalise = true;
      r.identity = false;
      continue;
    }
    if (target != to_lower(column)) r.identity = false;
    auto it = std::find(r.labels.begin(), r.labels.end(), target);
    if (it == r.labels.end()) {
      r.labels.push_back(target);
      r.target.push_back(int(r.labels.size() - 1));
    } else {
      r.target.push_back(int(it - r.labels.begin()));
      r.identity = false;
    }
  }
  if (r.labels.empty()) throw Error(ErrorKind::usage, fmt::format("{}: the label map drops every column", map.source));
  if (r.identity) r.labels = source;  // keep the source's spelling when nothing is mapped
  return r;
}

std::vector<double> ResolvedLabels::apply(const double* row) const {
  std::vector<double> out(labels.size(), 0.0);
  double total = 0;
  for (std::size_t c = 0; c < target.size(); ++c)
    if (target[c] >= 0) out[std::size_t(target[c])] += row[c], total += row[c];
  if (renormalise && total > 0)
    for (auto& v : out) v /= total;
  return out;
}

nlohmann::json ResolvedLabels::describe() const {
  nlohmann::json columns = nlohmann::json::object();
  for (std::size_t c = 0; c < source.size(); ++c)
    columns[source[c]] = target[c] >= 0 ? nlohmann::json(labels[std::size_t(target[c])]) : nlohmann::json();
  return {{"columns", columns}, {"renormalised", renormalise}};
}

}  // namespace skin
