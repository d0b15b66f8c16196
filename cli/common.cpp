// cli/common.cpp: shared option wiring, model loading and interrupt handling.
#include "common.hpp"

#include <csignal>
#include <cstdio>
#include <sstream>
#include <thread>

#include "skin/core/process_clock.hpp"
#include "skin/inference/profile.hpp"
#include "skin/model/model_locator.hpp"

namespace cli {
namespace {

std::string g_program;
double g_time_to_main_ms = 0;
std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

skin::ImageLimits ImageOptions::limits() const {
  skin::ImageLimits l;
  l.max_bytes = std::size_t(max_file_mb * 1024 * 1024);
  l.max_width = l.max_height = max_dimension;
  return l;
}

void add_common_options(CLI::App& sub, CommonOptions& o, std::vector<std::string>* models) {
  const std::string help =
      "Model directory (model.pt + manifest.json); default: $SKINSCAN_MODEL, else the bundled model";
  if (models)
    sub.add_option("-m,--model", *models, help + " (repeatable: several models over one read of the images)")
        ->group("Model");
  else
    sub.add_option("-m,--model", o.model, help)->group("Model");
  sub.add_option("-t,--threads", o.threads, "Inference threads (0: $OMP_NUM_THREADS if set, else all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str()
      ->group("Runtime");
  sub.add_flag("-q,--quiet", o.quiet, "No progress bar and no summary on stderr")->group("Runtime");
}

void add_pipeline_options(CLI::App& sub, skin::PipelineOptions& f) {
  sub.add_option("-b,--batch-size", f.batch_size, "Images per forward pass")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str()
      ->group("Runtime");
  sub.add_option("--decode-threads", f.decode_threads, "Threads decoding images while the model runs")
      ->check(CLI::Range(1, 64))
      ->capture_default_str()
      ->group("Runtime");
  sub.add_option_function<std::string>(
         "--decode-overlap",
         [&f](const std::string& mode) {
           f.overlap = mode == "always"  ? skin::DecodeOverlap::always
                       : mode == "never" ? skin::DecodeOverlap::never
                                         : skin::DecodeOverlap::adaptive;
         },
         "Decode during forward passes: adaptive (paused while decoding is cheap against them), always, never")
      ->check(CLI::IsMember({"adaptive", "always", "never"}))
      ->default_str("adaptive")
      ->group("Runtime");
  f.forward_streams = 0;
  sub.add_option("--forward-streams", f.forward_streams,
                 "Forward passes run at once on separate batches, --threads shared between them (0: one per "
                 "inference thread, each single-threaded: the fastest for small networks)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str()
      ->group("Runtime");
}

void add_dataset_options(CLI::App& sub, skin::DatasetSpec& d) {
  sub.add_option("-d,--data", d.root,
                 "Dataset folder (HAM10000 metadata CSV + images, ISIC ground truth, or ImageFolder)")
      ->group("Input");
  sub.add_option("--layout", d.layout, "Dataset layout: auto, ham10000, isic, imagefolder")
      ->check(CLI::IsMember({"auto", "ham10000", "isic", "imagefolder"}))
      ->capture_default_str()
      ->group("Input");
  sub.add_option("--labels", d.labels_csv,
                 "Label CSV (ISIC ground truth or HAM10000 metadata), instead of finding one in --data")
      ->group("Input");
  sub.add_option("--images", d.images_dir, "Image folder for --labels (default: --data)")->group("Input");
  sub.add_option("--split", d.split, "Only use the image ids listed in FILE (e.g. datasets/splits/test.txt)")
      ->group("Input");
}

void add_image_options(CLI::App& sub, ImageOptions& o) {
  sub.add_option("--max-file-mb", o.max_file_mb, "Reject image files larger than this (MB)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group("Input");
  sub.add_option("--max-dimension", o.max_dimension,
                 "Reject images wider or taller than this (pixels, from the header)")
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 20))
      ->capture_default_str()
      ->group("Input");
}

std::string model_directory(const CommonOptions& options) { return skin::locate_model(options.model, g_program); }

skin::Classifier load_classifier(const CommonOptions& options, skin::Startup startup, skin::PipelineOptions* pipeline) {
  if (pipeline) {
    pipeline->forward_streams = skin::resolve_forward_streams(options.threads, pipeline->forward_streams);
    skin::set_threads(skin::threads_per_forward_stream(options.threads, pipeline->forward_streams));
  } else {
    skin::set_threads(options.threads);
  }
  skin::Classifier classifier(model_directory(options), startup);
  if (!classifier.optimisation_warning().empty())
    std::fprintf(stderr, "skinscan: warning: %s\n", classifier.optimisation_warning().c_str());
  return classifier;
}

void set_program_path(const char* argv0) { g_program = argv0 ? argv0 : ""; }

void record_time_to_main() { g_time_to_main_ms = skin::process_age_ms(); }

void add_profile_option(CLI::App& sub, bool& profile) {
  sub.add_flag("--profile", profile,
               "After the run, print where the time went on stderr: start-up (libraries, model read, optimise, "
               "check) and the stages (read and decode, preprocess, forward, output)")
      ->group("Runtime");
}

void print_profile(const skin::Classifier& classifier, const skin::PipelineStats& stats, int decode_threads) {
  std::istringstream lines(skin::profile_text(g_time_to_main_ms, {&classifier}, stats, decode_threads));
  for (std::string line; std::getline(lines, line);) std::fprintf(stderr, "skinscan: %s\n", line.c_str());
}

const std::atomic<bool>& interrupted() { return g_interrupted; }

void install_interrupt_handler() { std::signal(SIGINT, on_sigint); }

}  // namespace cli
