// cli/calibrate.cpp: `skinscan calibrate`: fits a temperature on labelled data and writes a new
// model directory whose manifest carries it.
#include <cstdio>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/calibration.hpp"
#include "skin/error.hpp"
#include "skin/metrics.hpp"
#include "skin/model_copy.hpp"
#include "skin/progress.hpp"
#include "skin/scoring.hpp"
#include "skin/version.hpp"

namespace cli {
namespace {

struct CalibrateOptions {
  CommonOptions common;
  ImageOptions image;
  skin::DatasetSpec dataset;
  std::string out;
  bool force = false;
};

void run(const CalibrateOptions& o) {
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
  const std::size_t c = s.labels.size();
  std::vector<double> logits;
  std::vector<int> truth;
  for (const auto& item : s.scored) {
    logits.insert(logits.end(), item.scores.begin(), item.scores.end());
    truth.push_back(item.truth);
  }
  const double before_t = m.temperature, after_t = skin::fit_temperature(logits, truth, c);
  auto before = skin::compute_metrics(truth, skin::softmax_with_temperature(logits, c, before_t), s.labels);
  auto after = skin::compute_metrics(truth, skin::softmax_with_temperature(logits, c, after_t), s.labels);
  nlohmann::json record = {{"temperature_before", before_t},
                           {"temperature", after_t},
                           {"data", dataset.root},
                           {"layout", dataset.layout},
                           {"split", o.dataset.split.empty() ? nlohmann::json() : nlohmann::json(o.dataset.split)},
                           {"images", s.scored.size()},
                           {"nll_before", before.nll},
                           {"nll_after", after.nll},
                           {"ece_before", before.ece},
                           {"ece_after", after.ece},
                           {"method", "minimise NLL over T (golden-section search on log T)"},
                           {"skinscan", skin::version()}};
  skin::save_with_temperature(classifier.directory(), o.out, after_t, record, o.force);
  std::printf("calibrated on %zu images (%zu missing, %zu failed)\n", s.scored.size(), s.missing.size(),
              s.failed.size());
  std::printf("%-12s %10s %10s\n", "", "before", "after");
  std::printf("%-12s %10.4f %10.4f\n", "temperature", before_t, after_t);
  std::printf("%-12s %10.4f %10.4f\n", "NLL", before.nll, after.nll);
  std::printf("%-12s %10.4f %10.4f\n", "ECE", before.ece, after.ece);
  std::printf("wrote %s\n", o.out.c_str());
  exit_code() = s.failed.empty() ? kOk : kItemsFailed;
}

}  // namespace

void setup_calibrate(CLI::App& app) {
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
              kExitCodesHelp);
  sub->callback([o] { run(*o); });
}

}  // namespace cli
