// cli/adapt.cpp: `skinscan adapt --images DIR --out MODEL_DIR`: the model's batch-norm statistics
// re-estimated on a clinic's unlabelled images, written as a new model directory.
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/error.hpp"
#include "skin/core/progress.hpp"
#include "skin/input/input_source.hpp"
#include "skin/model/adaptation.hpp"

namespace cli {
namespace {

struct AdaptOptions {
  CommonOptions common;
  ImageOptions image;
  std::string images, out, weighting = "uniform";
  skin::AdaptationOptions adaptation;
};

int run(const AdaptOptions& o) {
  std::vector<std::string> paths;
  std::string first_error;
  skin::InputSource source({o.images});
  while (auto item = source.next()) {
    if (item->error.empty())
      paths.push_back(item->path);
    else if (first_error.empty())
      first_error = item->error;
  }
  if (paths.empty())
    throw skin::Error(skin::ErrorKind::usage,
                      first_error.empty() ? fmt::format("{}: no images found to adapt on", o.images) : first_error);
  skin::Classifier classifier = load_classifier(o.common);
  skin::AdaptationOptions options = o.adaptation;
  options.limits = o.image.limits();
  options.source = o.images;
  options.weighting =
      o.weighting == "class-balanced" ? skin::TargetWeighting::class_balanced : skin::TargetWeighting::uniform;
  std::optional<skin::Progress> progress;  // counts layers, whose number is known once the model is read
  const skin::AdaptationResult result =
      skin::adapt_batch_norm(classifier, paths, o.out, options, [&](std::size_t done, std::size_t total) {
        if (!progress) progress.emplace(!o.common.quiet, total);
        progress->update(done, 0);
      });
  if (progress) progress->finish();
  if (!o.common.quiet) {
    for (const auto& [path, reason] : result.failed) std::fprintf(stderr, "skinscan: error: %s\n", reason.c_str());
    std::fprintf(
        stderr, "skinscan: %zu of %zu batch-norm layers re-estimated on %zu images; model %s %s written to %s\n",
        result.layers, result.layers_in_model, result.images, result.manifest["name"].get<std::string>().c_str(),
        result.manifest["version"].get<std::string>().c_str(), o.out.c_str());
  }
  return result.failed.empty() ? kOk : kItemsFailed;
}

}  // namespace

Subcommand setup_adapt(CLI::App& app) {
  auto o = std::make_shared<AdaptOptions>();
  auto* sub = app.add_subcommand(
      "adapt", "Re-estimate the model's batch-norm statistics on a clinic's unlabelled images (a new model)");
  sub->add_option("--images", o->images, "Folder (searched recursively) or image file of the new clinic's images")
      ->required()
      ->group("Input");
  sub->add_option("-o,--out", o->out, "New model directory to write (must not exist, or be empty)")
      ->required()
      ->group("Output");
  sub->add_option("--batch-size", o->adaptation.batch_size,
                  "Images per forward pass (memory only: the statistics do not depend on it)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str()
      ->group("Performance");
  sub->add_option("--prior-strength", o->adaptation.prior_strength,
                  "How many source images the model's own statistics count as: each layer's mean and variance "
                  "become (N x source + n x target) / (N + n) for n images (Schneider et al. 2020); 0 replaces them")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group("Adaptation");
  sub->add_option("--depth", o->adaptation.depth,
                  "Re-estimate only the first K batch-norm layers in forward order (the early blocks); 0: all")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group("Adaptation");
  sub->add_option("--weighting", o->weighting,
                  "How the images count in the target statistics: uniform (each once) or class-balanced (each "
                  "class, as the unadapted model predicts it, counts equally, as in class-balanced training batches)")
      ->check(CLI::IsMember({"uniform", "class-balanced"}))
      ->capture_default_str()
      ->group("Adaptation");
  add_image_options(*sub, o->image);
  add_common_options(*sub, o->common);
  sub->footer(std::string("Layer by layer, each batch-norm layer's running mean and variance become those of its\n"
                          "input over every pixel of every image (AdaBN); the original model is not changed. The\n"
                          "preprocessed images are held in memory (3 x height x width floats each).\n"
                          "Examples:\n"
                          "  skinscan adapt --images clinic_b/ --out models/skinnet-clinic-b\n"
                          "  skinscan evaluate -m models/skinnet-clinic-b --data clinic_b_labelled/\n") +
              docs_line("shift-and-adaptation.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
