// cli/common.hpp: options shared by every subcommand, exit codes, and the one place that
// turns errors into messages and codes.
#pragma once
#include <atomic>
#include <string>

#include <CLI/CLI.hpp>

#include "skin/classifier.hpp"
#include "skin/image.hpp"

namespace cli {

// Documented in README and --help.
enum ExitCode : int {
  kOk = 0,
  kUsageOrModel = 1,   // bad arguments, unusable model or dataset file, output cannot be written
  kItemsFailed = 2,    // the run finished but some items failed (each is reported)
  kGateFailed = 3,     // evaluate: a --fail-under/--fail-over gate failed
  kInterrupted = 130,  // stopped by Ctrl-C; results so far are kept
};

inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 all ok; 1 usage, model, data file or output error; 2 some items failed (each reported);\n"
    "3 an evaluate gate failed; 130 interrupted (results written so far are kept).";

inline constexpr const char* kDisclaimer =
    "Research use only: this is not a diagnosis. Have any lesion that worries you examined by a dermatologist.";

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

// Batching and decode parallelism of the streaming pipeline (batch, evaluate).
struct PipelineFlags {
  std::size_t batch_size = 8;
  int decode_threads = 2;
};

void add_common_options(CLI::App& sub, CommonOptions& options);
void add_pipeline_options(CLI::App& sub, PipelineFlags& flags);
void add_image_options(CLI::App& sub, ImageOptions& options);

// Resolves the model directory (--model, $SKINSCAN_MODEL, bundled default) and loads it.
skin::Classifier load_classifier(const CommonOptions& options);

// The exit code the subcommand that ran wants main() to return.
int& exit_code();
void set_program_path(const char* argv0);

// Set by SIGINT; a second Ctrl-C kills the process as usual.
const std::atomic<bool>& interrupted();
void install_interrupt_handler();

void setup_classify(CLI::App& app);
void setup_batch(CLI::App& app);
void setup_evaluate(CLI::App& app);
void setup_calibrate(CLI::App& app);
void setup_compare(CLI::App& app);
void setup_explain(CLI::App& app);

}  // namespace cli
