// cli/merge.cpp: `skinscan merge OUT SHARDS...`: joins the outputs of a sharded batch run.
#include <cstdio>

#include "common.hpp"
#include "skin/inference/sharding.hpp"

namespace cli {
namespace {

struct MergeOptions {
  std::string out;
  std::vector<std::string> shards;
  bool quiet = false;
};

int run(const MergeOptions& o) {
  const std::size_t records = skin::merge_shards(o.out, o.shards);
  if (!o.quiet)
    std::fprintf(stderr, "skinscan: merged %zu shards, %zu records into %s\n", o.shards.size(), records, o.out.c_str());
  return kOk;
}

}  // namespace

Subcommand setup_merge(CLI::App& app) {
  auto o = std::make_shared<MergeOptions>();
  auto* sub = app.add_subcommand("merge", "Join the shard outputs of a sharded batch run (checked, sorted by id)");
  sub->add_option("out", o->out, "Merged output file (written atomically)")->required();
  sub->add_option("shards", o->shards, "Shard outputs (each with its FILE.shard.json sidecar)")->required();
  sub->add_flag("-q,--quiet", o->quiet, "No summary on stderr");
  sub->footer(std::string("Examples:\n"
                          "  skinscan merge preds.jsonl preds.0.jsonl preds.1.jsonl preds.2.jsonl preds.3.jsonl\n"
                          "  skinscan merge submission.csv shard-*.csv\n"
                          "All N shards of one run must be given once each, from the same model and input list;\n"
                          "otherwise nothing is written and the message names the file and the problem.\n") +
              docs_line("slurm.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
