// cli/batch.cpp: `skinscan batch INPUT...`: streams predictions for many images as JSON Lines,
// CSV or an ISIC 2018 submission, to stdout or atomically to --out.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/error.hpp"
#include "skin/core/output_file.hpp"
#include "skin/core/progress.hpp"
#include "skin/core/sha256.hpp"
#include "skin/inference/pipeline.hpp"
#include "skin/inference/prediction_files.hpp"
#include "skin/inference/sharding.hpp"
#include "skin/robustness/dataset_shift.hpp"

namespace cli {
namespace {

struct BatchOptions {
  CommonOptions common;
  ImageOptions image;
  std::vector<std::string> inputs;
  std::string format = "jsonl";
  std::string out;
  skin::PipelineOptions pipeline;
  std::size_t top_k = 3;
  bool resume = false;
  bool profile = false;
  std::string shard;  // "I/N" or "slurm"; empty: the whole input
};

// Counting first costs one directory walk; only worth it when someone watches the bar.
std::size_t count_inputs(const std::vector<std::string>& inputs) {
  for (const auto& i : inputs)
    if (i == "-") return 0;
  skin::InputSource counter(inputs);
  std::size_t n = 0;
  while (counter.next()) ++n;
  return n;
}

int run(const BatchOptions& o) {
  const skin::OutputFormat format = skin::parse_output_format(o.format);
  std::optional<skin::ShardSpec> shard;
  if (!o.shard.empty()) {
    shard = skin::parse_shard_spec(o.shard);
    if (o.out.empty() || o.out == "-")
      throw skin::Error(skin::ErrorKind::usage,
                        "--shard needs --out FILE (the shard's sidecar FILE.shard.json goes beside it)");
  }
  // The manifest now, the model later: decoding starts while the model loads (DecodeAhead).
  const skin::Manifest m = skin::load_model_manifest(model_directory(o.common));
  skin::FinishedRecords done;
  if (o.resume) {
    if (o.out.empty() || o.out == "-" || format != skin::OutputFormat::jsonl)
      throw skin::Error(skin::ErrorKind::usage, "--resume needs --out FILE and --format jsonl");
    // An interrupted run left FILE.partial; a finished one left FILE (new inputs are added to it).
    std::ifstream partial(o.out + ".partial");
    done = skin::read_jsonl_records(partial ? o.out + ".partial" : o.out);
  }
  // A shard run expands the whole input first (to know its share and the run's input list).
  std::optional<skin::ShardPlan> plan;
  if (shard) plan = skin::plan_shard(o.inputs, &std::cin, *shard);
  const std::size_t done_records = done.lines.size();
  const bool show_progress = !o.common.quiet && skin::stderr_is_terminal();
  skin::Progress progress(show_progress, plan ? plan->paths.size() : show_progress ? count_inputs(o.inputs) : 0);
  skin::InputSource source(plan ? plan->paths : o.inputs, plan ? nullptr : &std::cin);
  source.exclude(std::move(done.paths));
  skin::PipelineOptions po = o.pipeline;
  po.limits = o.image.limits();
  po.stop = &interrupted();
  install_interrupt_handler();

  // Resolved now: the decoding started ahead runs with these options.
  po.forward_streams = skin::resolve_forward_streams(o.common.threads, po.forward_streams);
  skin::DecodeAhead ahead(source, m.input, po);
  skin::Classifier classifier = load_classifier(o.common, skin::Startup::optimised, &po);
  skin::OutputFile out(o.out);
  auto writer = skin::make_writer(format, out, m, o.top_k, o.pipeline.skin_tone);
  for (const auto& line : done.lines) out.write(line + "\n");
  out.flush();

  skin::FeatureMoments moments;
  double top_sum = 0;
  std::size_t ok = 0;
  skin::PipelineStats stats = skin::classify_stream(
      ahead, classifier,
      [&](skin::Prediction&& p) {
        if (p.ok()) {
          moments.add(p.pooled_features);
          top_sum += *std::max_element(p.probabilities.begin(), p.probabilities.end());
          ++ok;
        }
        if (!p.ok() && !o.common.quiet && (!writer->records_errors() || !out.is_stdout())) {
          progress.finish();
          std::fprintf(stderr, "skinscan: error: %s\n", p.error.c_str());
        }
        writer->write(p);
      },
      [&](const skin::PipelineStats& s) { progress.update(s.total, s.failed); });
  progress.finish();
  if (o.profile) print_profile(classifier, stats, po.decode_threads);

  if (stats.interrupted) {
    out.flush();
    out.keep_partial();
    if (!o.common.quiet)
      std::fprintf(stderr, "skinscan: interrupted after %zu images; results so far are in %s\n", stats.total,
                   out.is_stdout() ? "stdout" : out.partial_path().c_str());
    return kInterrupted;
  }
  out.commit();
  if (plan) {
    const std::size_t records =
        done_records + stats.total - (writer->records_errors() ? 0 : stats.failed);  // isic has no error rows
    skin::ShardSidecar sidecar;
    sidecar.shard = *shard;
    sidecar.format = o.format;
    sidecar.model_name = m.name;
    sidecar.model_version = m.version;
    sidecar.manifest_sha256 = classifier.manifest().file_sha256;
    sidecar.input_ids_sha256 = plan->ids_sha256;
    sidecar.inputs_total = plan->total;
    sidecar.inputs_in_shard = plan->paths.size();
    sidecar.records = records;
    skin::write_shard_sidecar(o.out, sidecar);
  }
  if (!o.common.quiet) {
    std::string summary = fmt::format("skinscan: {} images, {} ok, {} failed in {:.1f}s ({:.1f} images/s)", stats.total,
                                      stats.total - stats.failed, stats.failed, stats.seconds,
                                      stats.seconds > 0 ? stats.total / stats.seconds : 0.0);
    if (source.skipped()) summary += fmt::format("; {} non-image files skipped", source.skipped());
    if (o.resume) summary += fmt::format("; {} already done in the earlier run", source.excluded());
    std::fprintf(stderr, "%s\n", summary.c_str());
    if (m.feature_statistics && moments.n > 0) {
      const nlohmann::json section = skin::dataset_shift_json(*m.feature_statistics, moments, top_sum / double(ok));
      std::string line = skin::dataset_shift_summary(section);
      std::fprintf(stderr, "skinscan: %s", line.c_str());
      line = skin::dataset_shift_warning(section);
      if (!line.empty()) std::fprintf(stderr, "%s\n", line.c_str());
    }
  }
  return stats.failed ? kItemsFailed : kOk;
}

}  // namespace

Subcommand setup_batch(CLI::App& app) {
  auto o = std::make_shared<BatchOptions>();
  auto* sub = app.add_subcommand("batch", "Classify many images, streaming one result per image");
  sub->add_option("inputs", o->inputs,
                  "Image files, directories (searched recursively for images), or - to read paths from stdin")
      ->required()
      ->group("Input");
  add_image_options(*sub, o->image);
  sub->add_option("-f,--format", o->format, "Output format: jsonl, csv, or isic (ISIC 2018 Task 3 submission)")
      ->check(CLI::IsMember({"jsonl", "csv", "isic"}))
      ->capture_default_str()
      ->group("Output");
  sub->add_option("-o,--out", o->out, "Write to FILE (atomically: FILE.partial, renamed when done); default stdout")
      ->group("Output");
  sub->add_option("-k,--top-k", o->top_k, "Top labels per record (jsonl)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->group("Output");
  add_pipeline_options(*sub, o->pipeline);
  add_profile_option(*sub, o->profile);
  sub->add_flag("--skin-tone", o->pipeline.skin_tone,
                "Also measure each image's skin tone: ITA in degrees and its Chardon category (a proxy for "
                "skin tone, not a Fitzpatrick type)")
      ->group("Output");
  sub->add_option("--shard", o->shard,
                  "Run only shard I of N (I/N, 0-based) or the Slurm array task's shard (slurm); needs --out")
      ->group("Scale-out");
  sub->add_flag("--resume", o->resume,
                "Continue an interrupted --out FILE run (jsonl): keep its records, skip the images they cover")
      ->group("Output");
  add_common_options(*sub, o->common);
  sub->footer(
      std::string("Examples:\n"
                  "  skinscan batch images/ > preds.jsonl\n"
                  "  skinscan batch --out preds.jsonl images/    # Ctrl-C, then the same with --resume\n"
                  "  skinscan batch --format isic --out submission.csv ISIC2018_Task3_Test_Input/\n"
                  "  find data -name '*.jpg' | skinscan batch --format csv -\n"
                  "  skinscan batch --skin-tone --format csv images/ > tones.csv   # ita, ita_category columns\n"
                  "  skinscan batch --shard 0/4 --out preds.0.jsonl images/   # then: skinscan merge "
                  "preds.jsonl preds.*.jsonl\n"
                  "Failed images become error records (path, error) and the run goes on.\n") +
      docs_line("batch.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
