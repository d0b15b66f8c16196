// cli/calibrate.cpp: `skinscan calibrate`: fits a temperature on labelled data and writes a new
// model directory whose manifest carries it.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/error.hpp"
#include "skin/core/progress.hpp"
#include "skin/core/sha256.hpp"
#include "skin/core/strings.hpp"
#include "skin/evaluation/calibration.hpp"
#include "skin/evaluation/scoring.hpp"
#include "skin/model/conformal.hpp"
#include "skin/model/model_copy.hpp"

namespace cli {
namespace {

struct CalibrateOptions {
  CommonOptions common;
  ImageOptions image;
  skin::DatasetSpec dataset;
  std::string out;
  bool force = false;
  std::string conformal;  // lac, aps or raps: prediction sets instead of a temperature
  double alpha = 0.1;
  bool mondrian = false;
  int k_reg = 1;
  double lambda = 0.01;
};

// calibrate --conformal: the quantile(s) of the prediction sets on the scored images, written
// into a copy of the model.
int run_conformal(const CalibrateOptions& o, const skin::Dataset& dataset, skin::Classifier& classifier,
                  const skin::Scoring& s) {
  skin::ConformalSpec spec;
  spec.method = skin::parse_conformal_method(o.conformal);
  spec.alpha = o.alpha;
  spec.mondrian = o.mondrian;
  spec.k_reg = o.k_reg;
  spec.lambda = o.lambda;
  std::vector<std::vector<double>> probabilities;
  std::vector<int> truth;
  std::vector<std::string> ids;
  for (const auto& item : s.scored) {
    probabilities.push_back(item.probabilities);
    truth.push_back(item.truth);
    ids.push_back(item.id);
  }
  std::sort(ids.begin(), ids.end());
  std::string joined;
  for (const auto& id : ids) joined += id + "\n";
  spec.record = {{"data", dataset.root},
                 {"layout", dataset.layout},
                 {"split", o.dataset.split.empty() ? nlohmann::json() : nlohmann::json(o.dataset.split)},
                 {"image_ids_sha256", skin::sha256_hex(joined)},
                 {"temperature", classifier.manifest().temperature},
                 {"date", skin::now_iso8601()},
                 {"guarantee", "P(true class in set) >= 1 - alpha for images exchangeable with the calibration set"}};
  skin::fit_conformal(spec, probabilities, truth, s.labels.size());
  skin::save_with_conformal(classifier.directory(), o.out, skin::conformal_json(spec), o.force);
  std::size_t covered = 0, total_size = 0;
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const auto set = skin::prediction_set(probabilities[i], spec);
    total_size += set.size();
    covered += std::find(set.begin(), set.end(), std::size_t(truth[i])) != set.end();
  }
  std::printf("conformal %s%s at alpha %.4g on %zu images (%zu missing, %zu failed)\n", o.conformal.c_str(),
              o.mondrian ? " (Mondrian, per class)" : "", o.alpha, s.scored.size(), s.missing.size(), s.failed.size());
  for (std::size_t g = 0; g < spec.qhat.size(); ++g)
    std::printf("qhat%s %.6f\n", o.mondrian ? (" " + s.labels[g]).c_str() : "", spec.qhat[g]);
  std::printf(
      "on the calibration images themselves: coverage %.4f, mean set size %.3f (measure on other images "
      "with evaluate)\nwrote %s\n",
      double(covered) / double(probabilities.size()), double(total_size) / double(probabilities.size()), o.out.c_str());
  return s.failed.empty() ? kOk : kItemsFailed;
}

int run(const CalibrateOptions& o) {
  if (!o.conformal.empty()) {  // before any work
    skin::parse_conformal_method(o.conformal);
    skin::min_calibration_size(o.alpha);  // checks alpha
  }
  skin::Dataset dataset = skin::load_dataset(o.dataset);
  skin::Classifier classifier = load_classifier(o.common);
  const skin::Manifest& m = classifier.manifest();
  if (o.conformal.empty() && m.output_kind != skin::OutputKind::logits)
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
  if (!o.conformal.empty()) return run_conformal(o, dataset, classifier, s);
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
  sub->add_option("--conformal", o->conformal,
                  "Fit split-conformal prediction sets instead of a temperature: lac, aps or raps")
      ->check(CLI::IsMember({"lac", "aps", "raps"}))
      ->group("Conformal");
  sub->add_option("--alpha", o->alpha, "Miscoverage: sets hold the true class with probability >= 1 - alpha")
      ->capture_default_str()
      ->group("Conformal");
  sub->add_flag("--mondrian", o->mondrian, "One quantile per class (coverage per class, needs more images)")
      ->group("Conformal");
  sub->add_option("--k-reg", o->k_reg, "raps: ranks without penalty")->capture_default_str()->group("Conformal");
  sub->add_option("--lambda", o->lambda, "raps: penalty per rank beyond --k-reg")
      ->capture_default_str()
      ->group("Conformal");
  add_common_options(*sub, o->common);
  sub->footer(
      std::string("Examples:\n"
                  "  skinscan calibrate --model models/m --data ../shared/datasets/ham10000 \\\n"
                  "      --split datasets/splits/val.txt --out models/m-calibrated\n"
                  "  skinscan calibrate --model models/m --data ../shared/datasets/ham10000 \\\n"
                  "      --split datasets/splits/val.txt --conformal aps --alpha 0.1 --out models/m-conformal\n") +
      docs_line("evaluate.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
