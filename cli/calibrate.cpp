// cli/calibrate.cpp: `skinscan calibrate`: fits a temperature, conformal prediction sets or a
// guaranteed-sensitivity malignant threshold on labelled data, and writes a new model directory.
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
#include "skin/model/ood.hpp"
#include "skin/model/sensitivity_guarantee.hpp"

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
  double sensitivity = 0;  // --malignant-sensitivity
  bool sensitivity_given = false;
  double delta = 0.1;
  std::string ood;            // --ood METHOD
  double ood_tpr = 0.95;      // share of in-distribution calibration images left unflagged
  std::string ood_reference;  // --ood-reference-split: the class means' images (default: --split's)
};

// Which images calibrated a model, for the record each fitted section keeps.
nlohmann::json calibration_record(const CalibrateOptions& o, const skin::Dataset& dataset,
                                  const skin::Classifier& classifier, const skin::Scoring& s) {
  std::vector<std::string> ids;
  for (const auto& item : s.scored) ids.push_back(item.id);
  std::sort(ids.begin(), ids.end());
  std::string joined;
  for (const auto& id : ids) joined += id + "\n";
  return {{"data", dataset.root},
          {"layout", dataset.layout},
          {"split", o.dataset.split.empty() ? nlohmann::json() : nlohmann::json(o.dataset.split)},
          {"image_ids_sha256", skin::sha256_hex(joined)},
          {"images", ids.size()},
          {"temperature", classifier.manifest().temperature},
          {"date", skin::now_iso8601()}};
}

// calibrate --conformal: the quantile(s) of the prediction sets on the scored images.
nlohmann::json fit_conformal_section(const CalibrateOptions& o, const skin::Scoring& s, nlohmann::json record) {
  skin::ConformalSpec spec;
  spec.method = skin::parse_conformal_method(o.conformal);
  spec.alpha = o.alpha;
  spec.mondrian = o.mondrian;
  spec.k_reg = o.k_reg;
  spec.lambda = o.lambda;
  std::vector<std::vector<double>> probabilities;
  std::vector<int> truth;
  for (const auto& item : s.scored) {
    probabilities.push_back(item.probabilities);
    truth.push_back(item.truth);
  }
  record["guarantee"] = "P(true class in set) >= 1 - alpha for images exchangeable with the calibration set";
  spec.record = std::move(record);
  skin::fit_conformal(spec, probabilities, truth, s.labels.size());
  std::size_t covered = 0, total_size = 0;
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const auto set = skin::prediction_set(probabilities[i], spec);
    total_size += set.size();
    covered += std::find(set.begin(), set.end(), std::size_t(truth[i])) != set.end();
  }
  std::printf("conformal %s%s at alpha %.4g on %zu images\n", o.conformal.c_str(),
              o.mondrian ? " (Mondrian, per class)" : "", o.alpha, s.scored.size());
  for (std::size_t g = 0; g < spec.qhat.size(); ++g)
    std::printf("qhat%s %.6f\n", o.mondrian ? (" " + s.labels[g]).c_str() : "", spec.qhat[g]);
  std::printf(
      "on the calibration images themselves: coverage %.4f, mean set size %.3f (measure on other images "
      "with evaluate)\n",
      double(covered) / double(probabilities.size()), double(total_size) / double(probabilities.size()));
  return skin::conformal_json(spec);
}

// calibrate --malignant-sensitivity: the learn-then-test threshold on the malignant images.
nlohmann::json fit_guarantee_section(const CalibrateOptions& o, const skin::Scoring& s, nlohmann::json record) {
  std::vector<double> malignant_scores;
  std::size_t benign = 0;
  for (const auto& item : s.scored) {
    double p = 0;
    for (std::size_t k = 0; k < s.labels.size(); ++k)
      if (std::find(s.malignant.begin(), s.malignant.end(), s.labels[k]) != s.malignant.end())
        p += item.probabilities[k];
    const bool malignant =
        std::find(s.malignant.begin(), s.malignant.end(), s.labels[std::size_t(item.truth)]) != s.malignant.end();
    if (malignant)
      malignant_scores.push_back(p);
    else
      ++benign;
  }
  skin::SensitivityGuarantee g = skin::fit_sensitivity_guarantee(malignant_scores, o.sensitivity, o.delta);
  record["guarantee"] = fmt::format(
      "with probability >= {:g} over the calibration set, sensitivity >= {:g} on malignant images exchangeable "
      "with its {} malignant images",
      1 - o.delta, o.sensitivity, malignant_scores.size());
  g.record = std::move(record);
  std::size_t caught = 0;
  for (double p : malignant_scores) caught += p >= g.threshold;
  std::printf(
      "malignant threshold %.6g: sensitivity >= %g with confidence %g (%zu malignant and %zu benign "
      "calibration images, %zu misses allowed; %zu of %zu caught there)\n",
      g.threshold, o.sensitivity, 1 - o.delta, malignant_scores.size(), benign, g.misses_allowed, caught,
      malignant_scores.size());
  return skin::sensitivity_guarantee_json(g);
}

// calibrate --ood: class means (for Mahalanobis) on the reference images, and the threshold that
// leaves --ood-tpr of the scored images unflagged.
nlohmann::json fit_ood_section(const CalibrateOptions& o, const skin::Scoring& s, const skin::Scoring& reference,
                               skin::Classifier& classifier, nlohmann::json record) {
  const skin::Manifest& m = classifier.manifest();
  skin::OodReference ref;
  ref.method = skin::parse_ood_method(o.ood);
  ref.tpr = o.ood_tpr;
  if (ref.method == skin::OodMethod::mahalanobis || !reference.scored.empty()) {
    std::vector<std::vector<float>> pooled;
    std::vector<int> truth;
    for (const auto& item : reference.scored.empty() ? s.scored : reference.scored)
      if (!item.pooled.empty()) pooled.push_back(item.pooled), truth.push_back(item.truth);
    if (pooled.empty())
      throw skin::Error(skin::ErrorKind::usage,
                        fmt::format("model '{}' gives no pooled features (its manifest has no feature_statistics): "
                                    "--ood mahalanobis cannot be fitted",
                                    m.name));
    skin::fit_class_gaussians(ref, pooled, truth, s.labels.size());
    record["class_means_images"] = pooled.size();
    record["class_means_split"] = o.ood_reference.empty() ? o.dataset.split : o.ood_reference;
  }
  std::vector<double> scores;
  for (const auto& item : s.scored) {
    const std::vector<float> p(item.probabilities.begin(), item.probabilities.end());
    const std::vector<float> z(item.scores.begin(), item.scores.end());
    if (auto v = skin::ood_score(ref.method, p, z, m.output_kind == skin::OutputKind::logits, item.pooled, &ref))
      scores.push_back(*v);
  }
  if (scores.empty())
    throw skin::Error(skin::ErrorKind::usage, fmt::format("model '{}' cannot give {} scores", m.name, o.ood));
  ref.threshold = skin::ood_threshold(scores, o.ood_tpr);
  record["threshold_images"] = scores.size();
  ref.record = std::move(record);
  if (ref.method != skin::OodMethod::mahalanobis) ref.class_means.clear(), ref.variance.clear();
  std::printf("OOD %s: threshold %.6g leaves %.0f%% of the %zu calibration images unflagged\n", o.ood.c_str(),
              ref.threshold, 100 * o.ood_tpr, scores.size());
  return skin::ood_json(ref);
}

// calibrate --conformal and/or --malignant-sensitivity: sections fitted on the scored images,
// written into a copy of the model.
int run_sections(const CalibrateOptions& o, const skin::Dataset& dataset, skin::Classifier& classifier,
                 const skin::Scoring& s, const skin::Scoring& ood_reference) {
  const nlohmann::json record = calibration_record(o, dataset, classifier, s);
  nlohmann::json sections = nlohmann::json::object();
  std::printf("calibrated on %zu images (%zu missing, %zu failed)\n", s.scored.size(), s.missing.size(),
              s.failed.size());
  if (!o.conformal.empty()) sections["conformal"] = fit_conformal_section(o, s, record);
  if (o.sensitivity_given) sections["malignant_guarantee"] = fit_guarantee_section(o, s, record);
  if (!o.ood.empty()) sections["ood"] = fit_ood_section(o, s, ood_reference, classifier, record);
  skin::save_with_sections(classifier.directory(), o.out, sections, o.force);
  std::printf("wrote %s\n", o.out.c_str());
  return s.failed.empty() ? kOk : kItemsFailed;
}

int run(const CalibrateOptions& o) {
  if (!o.conformal.empty()) {  // before any work
    skin::parse_conformal_method(o.conformal);
    skin::min_calibration_size(o.alpha);  // checks alpha
  }
  const bool sections = !o.conformal.empty() || o.sensitivity_given || !o.ood.empty();
  if (!o.ood.empty()) skin::parse_ood_method(o.ood);
  if (!(o.ood_tpr > 0 && o.ood_tpr < 1))
    throw skin::Error(skin::ErrorKind::usage, fmt::format("--ood-tpr {} must lie strictly between 0 and 1", o.ood_tpr));
  if (!o.ood_reference.empty() && o.ood.empty())
    throw skin::Error(skin::ErrorKind::usage, "--ood-reference-split needs --ood");
  if (o.sensitivity_given) skin::min_malignant_for_guarantee(o.sensitivity, o.delta);  // checks both levels
  skin::Dataset dataset = skin::load_dataset(o.dataset);
  skin::Classifier classifier = load_classifier(o.common);
  const skin::Manifest& m = classifier.manifest();
  if (o.sensitivity_given && m.malignant.empty())
    throw skin::Error(skin::ErrorKind::usage,
                      fmt::format("model '{}' names no malignant labels: --malignant-sensitivity has nothing to "
                                  "threshold",
                                  m.name));
  if (!sections && m.output_kind != skin::OutputKind::logits)
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
  skin::Scoring reference;
  if (!o.ood_reference.empty()) {
    skin::DatasetSpec spec = o.dataset;
    spec.split = o.ood_reference;
    const skin::Dataset reference_data = skin::load_dataset(spec);
    skin::Progress reference_progress(!o.common.quiet, reference_data.items.size());
    reference = skin::score_with_model(reference_data, classifier, po, [&](const skin::PipelineStats& st) {
      reference_progress.update(st.total, st.failed);
    });
    reference_progress.finish();
  }
  if (sections) return run_sections(o, dataset, classifier, s, reference);
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
  auto* sub = app.add_subcommand(
      "calibrate",
      "Fit a temperature, conformal prediction sets or a guaranteed-sensitivity threshold; write a model copy");
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
  auto* sensitivity =
      sub->add_option("--malignant-sensitivity", o->sensitivity,
                      "Fit the malignant threshold that keeps sensitivity >= this with confidence 1 - delta "
                      "(learn-then-test; stored as the model's applied threshold)")
          ->group("Guaranteed sensitivity");
  sub->add_option("--delta", o->delta, "Allowed probability that the sensitivity guarantee fails")
      ->capture_default_str()
      ->group("Guaranteed sensitivity");
  sub->add_option("--ood", o->ood,
                  "Fit a per-image out-of-distribution flag: msp, energy or mahalanobis (class means of pooled "
                  "features); the threshold leaves --ood-tpr of these images unflagged")
      ->check(CLI::IsMember({"msp", "energy", "mahalanobis"}))
      ->group("Out-of-distribution");
  sub->add_option("--ood-tpr", o->ood_tpr, "Share of in-distribution calibration images the OOD flag leaves alone")
      ->capture_default_str()
      ->group("Out-of-distribution");
  sub->add_option("--ood-reference-split", o->ood_reference,
                  "Id list whose images give the class means (e.g. the train split); default: --split's")
      ->group("Out-of-distribution");
  add_common_options(*sub, o->common);
  sub->footer(
      std::string("Examples:\n"
                  "  skinscan calibrate --model models/m --data ../shared/datasets/ham10000 \\\n"
                  "      --split datasets/splits/val.txt --out models/m-calibrated\n"
                  "  skinscan calibrate --model models/m --data ../shared/datasets/ham10000 \\\n"
                  "      --split datasets/splits/val.txt --conformal aps --alpha 0.1 --out models/m-conformal\n"
                  "  skinscan calibrate --data ../shared/datasets/ham10000 --split datasets/splits/val.txt \\\n"
                  "      --malignant-sensitivity 0.95 --delta 0.1 --out models/m-sens95   # needs >= 45 malignant\n"
                  "  skinscan calibrate --data ../shared/datasets/ham10000 --split datasets/splits/val.txt \\\n"
                  "      --ood mahalanobis --ood-reference-split datasets/splits/train.txt --out models/m-ood\n") +
      docs_line("evaluate.md") + kExitCodesHelp);
  return {sub, [o, sensitivity] {
            o->sensitivity_given = sensitivity->count() > 0;
            return run(*o);
          }};
}

}  // namespace cli
