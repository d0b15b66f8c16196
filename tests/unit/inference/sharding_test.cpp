// sharding_test.cpp: shard specs and the documented hash (skin/inference/sharding.hpp); merging is tested
// end to end in tests/cli (test_merge_refuses_mixed_or_incomplete_shards, the Slurm test).
#include "skin/inference/sharding.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <doctest/doctest.h>

#include "skin/core/json_file.hpp"
#include "support.hpp"

TEST_CASE("FNV-1a 64 of the image id, as documented") {
  CHECK(skin::shard_hash("") == 14695981039346656037ull);
  CHECK(skin::shard_hash("a") == 0xaf63dc4c8601ec8cull);  // published FNV-1a test vector
  CHECK(skin::shard_hash("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("shard specs: I/N and slurm; bad values are usage errors") {
  auto s = skin::parse_shard_spec("2/4");
  CHECK(s.index == 2);
  CHECK(s.count == 4);
  std::map<std::string, std::string> env{
      {"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_MIN", "5"}, {"SLURM_ARRAY_TASK_COUNT", "4"}};
  auto getenv = [&](const char* k) -> const char* { return env.count(k) ? env[k].c_str() : nullptr; };
  s = skin::parse_shard_spec("slurm", getenv);
  CHECK(s.index == 2);
  CHECK(s.count == 4);
  env["SLURM_ARRAY_TASK_ID"] = "9";
  CHECK(
      test::error_of([&] { skin::parse_shard_spec("slurm", getenv); }, skin::ErrorKind::usage).find("is not a shard") !=
      std::string::npos);
  for (const char* bad : {"4/4", "1/0", "x/2", "2", "-1/3"}) {
    CAPTURE(bad);
    CHECK(test::error_of([&] { skin::parse_shard_spec(bad); }, skin::ErrorKind::usage)
              .rfind(std::string("--shard ") + bad, 0) == 0);
  }
}

TEST_CASE("a shard sidecar written by write_shard_sidecar is what merge_shards reads") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("skin_sidecar_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / "p.0.jsonl").string();
  std::ofstream(out) << "{\"id\": \"b\"}\n{\"id\": \"a\"}\n";
  skin::ShardSidecar s;
  s.shard = {0, 1};
  s.format = "jsonl";
  s.model_name = "m";
  s.model_version = "1.0.0";
  s.manifest_sha256 = "abc";
  s.input_ids_sha256 = "def";
  s.inputs_total = s.inputs_in_shard = s.records = 2;
  skin::write_shard_sidecar(out, s);
  const auto j = skin::read_json_file(skin::sidecar_path(out), "sidecar");
  CHECK(j["shard"] == 0);
  CHECK(j["of"] == 1);
  CHECK(j["model"]["manifest_sha256"] == "abc");
  CHECK(j["records"] == 2);
  const std::string merged = (dir / "all.jsonl").string();
  CHECK(skin::merge_shards(merged, {out}) == 2);
  CHECK(test::read_text(merged) == "{\"id\": \"a\"}\n{\"id\": \"b\"}\n");
  fs::remove_all(dir);
}
