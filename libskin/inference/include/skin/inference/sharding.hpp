// skin/inference/sharding.hpp: splitting a batch run into N shards that independent processes (Slurm
// array tasks) run anywhere, and joining their outputs again. An image belongs to shard
// fnv1a64(image id) mod N: the id is the file name without extension, so the assignment does
// not depend on input order, path prefix or node. Every shard output FILE has a sidecar
// FILE.shard.json describing the run it belongs to; merge checks them before writing anything.
#pragma once
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

struct ShardSpec {
  std::size_t index = 0, count = 1;
};

// "I/N" (0-based I < N), or "slurm": I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN and
// N = SLURM_ARRAY_TASK_COUNT, read through `getenv`. Error(usage) with a one-line reason otherwise.
ShardSpec parse_shard_spec(
    const std::string& text,
    const std::function<const char*(const char*)>& getenv = [](const char* k) { return std::getenv(k); });

// 64-bit FNV-1a of the id's bytes (offset basis 14695981039346656037, prime 1099511628211).
std::uint64_t shard_hash(const std::string& image_id);

struct ShardPlan {
  std::vector<std::string> paths;  // this shard's inputs, in input order
  std::size_t total = 0;           // inputs of the whole run
  std::string ids_sha256;          // sha256 of the run's sorted image ids, one per line
};

// Expands `inputs` (as batch does: files, directories, "-" for `lines`) and keeps this shard's.
ShardPlan plan_shard(const std::vector<std::string>& inputs, std::istream* lines, const ShardSpec& spec);

// The sidecar of a shard output (FILE.shard.json), written by `batch --shard` once the shard's
// output is complete and read back by merge_shards: its whole schema lives here.
struct ShardSidecar {
  ShardSpec shard;
  std::string format;                                      // jsonl, csv or isic
  std::string model_name, model_version, manifest_sha256;  // the model that made it
  std::string input_ids_sha256;                            // ShardPlan::ids_sha256
  std::size_t inputs_total = 0, inputs_in_shard = 0;
  std::size_t records = 0;  // written to this shard's output
};
std::string sidecar_path(const std::string& output);
void write_shard_sidecar(const std::string& output, const ShardSidecar& sidecar);  // atomically

// Merges complete shard outputs into `out` (written atomically, records sorted by image id).
// Checks that all N shards of one run are there exactly once, with the same model, input list
// and format; that each shard's record count matches its sidecar and its last line is complete;
// and that no image id appears twice. Any problem: Error(input) naming the file and the reason,
// and `out` is not written. Returns the number of records written.
std::size_t merge_shards(const std::string& out, const std::vector<std::string>& shards);

}  // namespace skin
