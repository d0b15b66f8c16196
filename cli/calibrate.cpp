// cli/calibrate.cpp: `skinscan calibrate`: fits a temperature on labelled data and writes a new
// model directory whose manifest carries it.
#include <cstdio>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/error.hpp"
#include "skin/core/progress.hpp"
#include "skin/evaluation/calibration.hpp"
#include "skin/evaluation/scoring.hpp"
#include "skin/model/model_copy.hpp"

namespace cli {
namespace {

struct CalibrateOptions {
  CommonOptions common;
  ImageOptions image;
  skin::DatasetSpec dataset;
  std::string out;
  bool force = false;
};

int run(const CalibrateOptions& o) {
  skin::Dataset dataset = skin::load_dataset(o.dataset);
  skin::Classifier classifier = load_classifier(o.common);
  const skin::Manifest& m = classifier.manifest();
  if (m.output_kind != skin::OutputKind::logits)
    throw skin::Error(skin::ErrorKind::usage,
                      fmt::format("model '{}' outputs probabilities; temperature scaling needs logits", m.name));
  skin::PipelineOptions po;
  po.limits = o.image.limits();
  skin::Progress progress(!o.common.quiet, dataset.items.size());
  skin::Scoring s = skin::score_with_model(
      dataset, classifier, po, [&](const skin::PipelineStats& st) { progress.update(st.total, st.failed); });
  progress.finish();
  if (s.scored.size() < 2)
    throw skin::Error(skin::ErrorKind::usage,
                      fmt::format("{}: fewer than 2 labelled images could be scored", dataset.root));
  const skin::TemperatureFit fit = skin::calibrate(s, m.temperature);
  skin::save_with_temperature(classifier.directory(), o.out, fit.temperature,
                              fit.record(dataset.root, dataset.layout, o.dataset.split), o.force);
  std::printf("calibrated on %zu images (%zu missing, %zu failed)\n", s.scored.size(), s.missing.size(),
              s.failed.size());
  std::printf("%-12s %10s %10s\n", "", "before", "after");
  std::printf("%-12s %10.4f %10.4f\n", "temperature", fit.temperature_before, fit.temperature);
  std::printf("%-12s %10.4f %10.4f\n", "NLL", fit.nll_before, fit.nll_after);
  std::printf("%-12s %10.4f %10.4f\n", "ECE", fit.ece_before, fit.ece_after);
  std::printf("wrote %s\n", o.out.c_str());
  return s.failed.empty() ? kOk : kItemsFailed;
}

}  // namespace

Subcommand setup_calibrate(CLI::App& app) {
  auto o = std::make_shared<CalibrateOptions>();
  auto* sub = app.add_subcommand("calibrate", "Fit a temperature on labelled data; write a calibrated model copy");
  add_dataset_options(*sub, o->dataset);
  add_image_options(*sub, o->image);
  sub->add_option("-o,--out", o->out, "New model directory to write")->required()->group("Output");
  sub->add_flag("--force", o->force, "Replace a model already in --out")->group("Output");
  add_common_options(*sub, o->common);
  sub->footer(std::string("Examples:\n"
                          "  skinscan calibrate --model models/m --data ../shared/datasets/ham10000 \\\n"
                          "      --split datasets/splits/val.txt --out models/m-calibrated\n") +
              docs_line("evaluate.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
