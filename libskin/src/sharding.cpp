// sharding.cpp: shard assignment, shard plans and merging shard outputs.
#include "skin/sharding.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "skin/csv.hpp"
#include "skin/error.hpp"
#include "skin/input_source.hpp"
#include "skin/json_file.hpp"
#include "skin/json_text.hpp"
#include "skin/output_file.hpp"
#include "skin/prediction.hpp"
#include "skin/sha256.hpp"

namespace skin {
namespace {

bool parse_size(const std::string& s, std::size_t& out) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
    return false;
  out = std::stoul(s);
  return true;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, fmt::format("{}: cannot open shard output", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One merged record: its image id and its text (a JSON line or a CSV row, without newline).
struct Record {
  std::string id, text;
};

std::vector<Record> read_jsonl_shard(const std::string& path, const std::string& text) {
  std::vector<Record> records;
  if (!text.empty() && text.back() != '\n')
    throw Error(ErrorKind::input, fmt::format("{}: last line is incomplete (the task stopped while writing); "
                                              "re-run this shard with --resume",
                                              path));
  std::istringstream in(text);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw Error(ErrorKind::input, fmt::format("{}: line {}: not a JSON record", path, n));
    }
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string())
      throw Error(ErrorKind::input, fmt::format("{}: line {}: record has no image id", path, n));
    records.push_back({j["id"].get<std::string>(), line});
  }
  return records;
}

std::vector<Record> read_csv_shard(const std::string& path, const std::string& text, const std::string& id_column,
                                   std::string& header) {
  if (!text.empty() && text.back() != '\n')
    throw Error(ErrorKind::input, fmt::format("{}: last line is incomplete (the task stopped while writing); "
                                              "re-run this shard",
                                              path));
  std::istringstream in(text);
  CsvReader csv(in, path);
  const std::size_t id = csv.require_column(id_column);
  std::string first_line = text.substr(0, text.find('\n'));
  if (!first_line.empty() && first_line.back() == '\r') first_line.pop_back();
  if (header.empty()) header = first_line;
  if (first_line != header)
    throw Error(ErrorKind::input, fmt::format("{}: CSV header differs from the other shards", path));
  std::vector<Record> records;
  // Rows are re-emitted field by field (quoted where needed) so that the merged file is valid CSV.
  while (auto row = csv.next()) {
    std::string line;
    for (std::size_t c = 0; c < row->size(); ++c) {
      const std::string& f = (*row)[c];
      std::string cell = f;
      if (f.find_first_of(",\"\r\n") != std::string::npos) {
        cell = "\"";
        for (char ch : f) cell += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        cell += "\"";
      }
      line += (c ? "," : "") + cell;
    }
    records.push_back({(*row)[id], line});
  }
  return records;
}

}  // namespace

ShardSpec parse_shard_spec(const std::string& text, const std::function<const char*(const char*)>& getenv) {
  ShardSpec s;
  if (text == "slurm") {
    const char* id = getenv("SLURM_ARRAY_TASK_ID");
    const char* min = getenv("SLURM_ARRAY_TASK_MIN");
    const char* count = getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !min || !count)
      throw Error(ErrorKind::usage,
                  "--shard slurm: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and "
                  "SLURM_ARRAY_TASK_COUNT must be set (run it as a Slurm array task)");
    std::size_t i = 0, lo = 0, n = 0;
    if (!parse_size(id, i) || !parse_size(min, lo) || !parse_size(count, n) || i < lo || n == 0 || i - lo >= n)
      throw Error(ErrorKind::usage, fmt::format("--shard slurm: task {} of an array from {} with {} tasks is not a "
                                                "shard (use a contiguous --array=0-N)",
                                                id, min, count));
    return {i - lo, n};
  }
  const auto slash = text.find('/');
  std::size_t i = 0, n = 0;
  if (slash == std::string::npos || !parse_size(text.substr(0, slash), i) || !parse_size(text.substr(slash + 1), n))
    throw Error(ErrorKind::usage, fmt::format("--shard {}: use I/N (0-based, e.g. 0/4) or slurm", text));
  if (n == 0) throw Error(ErrorKind::usage, fmt::format("--shard {}: N must be at least 1", text));
  if (i >= n)
    throw Error(ErrorKind::usage, fmt::format("--shard {}: I must be below N (shards are 0 to {})", text, n - 1));
  s.index = i;
  s.count = n;
  return s;
}

std::uint64_t shard_hash(const std::string& id) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

ShardPlan plan_shard(const std::vector<std::string>& inputs, std::istream* lines, const ShardSpec& spec) {
  InputSource source(inputs, lines);
  ShardPlan plan;
  std::vector<std::string> ids;
  while (auto item = source.next()) {
    const std::string id = image_id(item->path);
    ids.push_back(id);
    if (shard_hash(id) % spec.count == spec.index) plan.paths.push_back(item->path);
  }
  plan.total = ids.size();
  std::sort(ids.begin(), ids.end());
  std::string joined;
  for (const auto& id : ids) joined += id + "\n";
  plan.ids_sha256 = sha256_hex(joined);
  return plan;
}

std::string sidecar_path(const std::string& output) { return output + ".shard.json"; }

std::size_t merge_shards(const std::string& out, const std::vector<std::string>& shards) {
  if (shards.empty()) throw Error(ErrorKind::usage, "merge: no shard outputs given");
  struct Shard {
    std::string path;
    nlohmann::json meta;
  };
  std::vector<Shard> loaded;
  for (const auto& path : shards) {
    const std::string side = sidecar_path(path);
    // A missing sidecar is a shard that never finished (an input problem), not an unreadable file.
    // The error_code overloads answer false where the path cannot be examined instead of throwing
    // std::filesystem_error past skin::Error.
    std::error_code ec;
    if (!std::filesystem::exists(side, ec)) {
      throw Error(ErrorKind::input, std::filesystem::exists(path + ".partial", ec)
                                        ? fmt::format("{}: shard did not finish (only {}.partial exists); re-run it "
                                                      "with --resume",
                                                      path, path)
                                        : fmt::format("{}: no {} beside it: not a finished shard output", path, side));
    }
    const nlohmann::json meta = read_json_file(side, "shard sidecar");
    for (const char* key : {"shard", "of", "format", "model", "input_ids_sha256", "records"})
      if (!meta.contains(key)) throw Error(ErrorKind::input, fmt::format("{}: no '{}'", side, key));
    loaded.push_back({path, meta});
  }
  const auto& first = loaded.front().meta;
  const std::size_t n = first["of"].get<std::size_t>();
  std::map<std::size_t, std::string> seen;
  for (const auto& s : loaded) {
    const auto& m = s.meta;
    if (m["of"] != first["of"])
      throw Error(ErrorKind::input, fmt::format("{}: shard of a {}-way run, but {} is of a {}-way run", s.path,
                                                m["of"].dump(), loaded.front().path, first["of"].dump()));
    if (m["model"]["manifest_sha256"] != first["model"]["manifest_sha256"])
      throw Error(ErrorKind::input,
                  fmt::format("{}: made with model {} {}, but {} with {} {} (different manifests)", s.path,
                              m["model"]["name"].dump(), m["model"]["version"].dump(), loaded.front().path,
                              first["model"]["name"].dump(), first["model"]["version"].dump()));
    if (m["input_ids_sha256"] != first["input_ids_sha256"])
      throw Error(ErrorKind::input,
                  fmt::format("{}: made from a different input list than {}", s.path, loaded.front().path));
    if (m["format"] != first["format"])
      throw Error(ErrorKind::input, fmt::format("{}: format {} differs from {} in {}", s.path, m["format"].dump(),
                                                first["format"].dump(), loaded.front().path));
    const std::size_t index = m["shard"].get<std::size_t>();
    if (auto [it, fresh] = seen.emplace(index, s.path); !fresh)
      throw Error(ErrorKind::input, fmt::format("{}: shard {}/{} given twice (also {})", s.path, index, n, it->second));
  }
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < n; ++i)
    if (!seen.count(i)) missing.push_back(i);
  if (!missing.empty())
    throw Error(ErrorKind::input, fmt::format("merge: shard{} {} of {} missing", missing.size() > 1 ? "s" : "",
                                              fmt::join(missing, ", "), n));

  const std::string format = first["format"].get<std::string>();
  std::string header;
  std::vector<Record> all;
  std::map<std::string, std::string> owner;
  for (const auto& s : loaded) {
    const std::string text = read_all(s.path);
    std::vector<Record> records = format == "jsonl"
                                      ? read_jsonl_shard(s.path, text)
                                      : read_csv_shard(s.path, text, format == "isic" ? "image" : "id", header);
    if (records.size() != s.meta["records"].get<std::size_t>())
      throw Error(ErrorKind::input, fmt::format("{}: {} records, but its sidecar says {}", s.path, records.size(),
                                                s.meta["records"].get<std::size_t>()));
    for (auto& r : records) {
      if (auto [it, fresh] = owner.emplace(r.id, s.path); !fresh)
        throw Error(ErrorKind::input, fmt::format("{}: image id '{}' is also in {}", s.path, r.id, it->second));
      all.push_back(std::move(r));
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Record& a, const Record& b) { return a.id < b.id; });
  OutputFile file(out);
  if (format != "jsonl") file.write(header + "\n");
  for (const auto& r : all) file.write(r.text + "\n");
  file.commit();
  return all.size();
}

}  // namespace skin
