// sharding.cpp: shard assignment, shard plans and merging shard outputs.
#include "skin/inference/sharding.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/core/output_file.hpp"
#include "skin/core/sha256.hpp"
#include "skin/inference/prediction_files.hpp"
#include "skin/input/input_source.hpp"
#include "skin/model/prediction.hpp"

namespace skin {
namespace {

bool parse_size(const std::string& s, std::size_t& out) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
    return false;
  out = std::stoul(s);
  return true;
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

void write_shard_sidecar(const std::string& output, const ShardSidecar& s) {
  const nlohmann::json j = {
      {"shard", s.shard.index},
      {"of", s.shard.count},
      {"format", s.format},
      {"model", {{"name", s.model_name}, {"version", s.model_version}, {"manifest_sha256", s.manifest_sha256}}},
      {"input_ids_sha256", s.input_ids_sha256},
      {"inputs_total", s.inputs_total},
      {"inputs_in_shard", s.inputs_in_shard},
      {"records", s.records},
      {"assignment", "fnv1a64(image id) mod of; image id = file name without extension"}};
  write_json(sidecar_path(output), j);
}

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
  std::vector<ShardRecord> all;
  std::map<std::string, std::string> owner;
  for (const auto& s : loaded) {
    ShardRecords shard = read_shard_records(s.path, parse_output_format(format));
    if (format != "jsonl") {
      if (header.empty()) header = shard.header;
      if (shard.header != header)
        throw Error(ErrorKind::input, fmt::format("{}: CSV header differs from the other shards", s.path));
    }
    std::vector<ShardRecord>& records = shard.records;
    if (records.size() != s.meta["records"].get<std::size_t>())
      throw Error(ErrorKind::input, fmt::format("{}: {} records, but its sidecar says {}", s.path, records.size(),
                                                s.meta["records"].get<std::size_t>()));
    for (auto& r : records) {
      if (auto [it, fresh] = owner.emplace(r.id, s.path); !fresh)
        throw Error(ErrorKind::input, fmt::format("{}: image id '{}' is also in {}", s.path, r.id, it->second));
      all.push_back(std::move(r));
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const ShardRecord& a, const ShardRecord& b) { return a.id < b.id; });
  OutputFile file(out);
  if (format != "jsonl") file.write(header + "\n");
  for (const auto& r : all) file.write(r.text + "\n");
  file.commit();
  return all.size();
}

}  // namespace skin
