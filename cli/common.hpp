// cli/common.hpp: options shared by the subcommands, model loading, interrupt handling.
#pragma once
#include <atomic>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "exit_codes.hpp"
#include "skin/inference/pipeline.hpp"
#include "skin/input/dataset.hpp"
#include "skin/input/image.hpp"
#include "skin/model/classifier.hpp"

namespace cli {

struct CommonOptions {
  std::string model;
  int threads = 0;
  bool quiet = false;
};

struct ImageOptions {
  double max_file_mb = 20;
  std::int64_t max_dimension = 8192;
  skin::ImageLimits limits() const;
};

// With `models`, -m is repeatable and collects every model given (evaluate -m A -m B); the
// caller moves a single one into options.model.
void add_common_options(CLI::App& sub, CommonOptions& options, std::vector<std::string>* models = nullptr);
// --batch-size, --decode-threads, --decode-overlap and --forward-streams of the streaming pipeline
// (batch, evaluate, audit). Forward streams default to one per inference thread here.
void add_pipeline_options(CLI::App& sub, skin::PipelineOptions& options);
void add_image_options(CLI::App& sub, ImageOptions& options);
// --profile: where the time went, on stderr after the run (batch, classify).
void add_profile_option(CLI::App& sub, bool& profile);
void print_profile(const skin::Classifier& classifier, const skin::PipelineStats& stats, int decode_threads);
// --data, --layout, --labels, --images, --split (evaluate, calibrate).
void add_dataset_options(CLI::App& sub, skin::DatasetSpec& spec);

// The model directory: --model, $SKINSCAN_MODEL, else the bundled default.
std::string model_directory(const CommonOptions& options);

// Resolves the model directory and loads it. With `pipeline`, for a run of its forward streams:
// resolves PipelineOptions::forward_streams (0: one per inference thread) and loads the model for
// its share of --threads.
skin::Classifier load_classifier(const CommonOptions& options, skin::Startup startup = skin::Startup::optimised,
                                 skin::PipelineOptions* pipeline = nullptr);

// Called first thing in main(): the program path (to find the bundled model) and how long the
// process took to reach main() (the profile's start-up).
void set_program_path(const char* argv0);
void record_time_to_main();

// Set by SIGINT; a second Ctrl-C kills the process as usual.
const std::atomic<bool>& interrupted();
void install_interrupt_handler();

// Each setup_* registers one subcommand; main() calls the `run` of the one that was parsed and
// returns its exit code (kOk, kItemsFailed, kGateFailed, kInterrupted; errors go to main()).
struct Subcommand {
  CLI::App* app;
  std::function<int()> run;
};
Subcommand setup_classify(CLI::App& app);
Subcommand setup_batch(CLI::App& app);
Subcommand setup_evaluate(CLI::App& app);
Subcommand setup_calibrate(CLI::App& app);
Subcommand setup_compare(CLI::App& app);
Subcommand setup_explain(CLI::App& app);
Subcommand setup_merge(CLI::App& app);
Subcommand setup_serve(CLI::App& app);
Subcommand setup_adapt(CLI::App& app);
Subcommand setup_audit(CLI::App& app);

}  // namespace cli
