// shift.cpp: corruptions as pipeline variants, and the per-severity metrics of the report.
#include "skin/evaluation/shift.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/evaluation/metrics.hpp"
#include "skin/evaluation/paired_change.hpp"
#include "skin/evaluation/subset_metrics.hpp"

namespace skin {
namespace {

using nlohmann::json;

const char* const kMetricKeys[] = {"accuracy", "balanced_accuracy",     "macro_auc",
                                   "ece",      "malignant_sensitivity", "malignant_specificity"};

json severity_metrics(const Scoring& s, int severity, const ReportOptions& options, double malignant_threshold) {
  json row = {{"severity", severity}, {"n", s.scored.size()}};
  if (s.scored.empty()) {
    for (const char* key : kMetricKeys) row[key] = nullptr;
    return row;
  }
  const ScoreTable table = score_table(s);
  const Metrics m = compute_metrics(table.truth, table.probabilities, s.labels, options.calibration_bins);
  row["accuracy"] = m.accuracy;
  row["balanced_accuracy"] = m.balanced_accuracy;
  row["macro_auc"] = m.macro_auc ? json(*m.macro_auc) : json(nullptr);
  row["ece"] = m.ece;
  row["malignant_sensitivity"] = nullptr;
  row["malignant_specificity"] = nullptr;
  if (table.has_binary) {
    const BinaryMetrics b = binary_metrics(table.malignant_truth, table.malignant_score, malignant_threshold);
    row["malignant_sensitivity"] = b.sensitivity;
    row["malignant_specificity"] = b.specificity;
  }
  // Whether the model's calibrated promises survive the acquisition change: conformal coverage and
  // the guaranteed-sensitivity threshold's sensitivity (both assume images like the calibration set).
  if (s.conformal) {
    double covered = 0, size = 0;
    for (const auto& item : s.scored) {
      const auto set = prediction_set(item.probabilities, *s.conformal);
      covered += std::find(set.begin(), set.end(), std::size_t(item.truth)) != set.end();
      size += double(set.size());
    }
    row["conformal_coverage"] = covered / double(s.scored.size());
    row["conformal_mean_set_size"] = size / double(s.scored.size());
  }
  if (s.malignant_guarantee && table.has_binary)
    row["guarantee_sensitivity"] =
        binary_metrics(table.malignant_truth, table.malignant_score, s.malignant_guarantee->threshold).sensitivity;
  return row;
}

double number_or_nan(const json& v) {
  return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

ShiftScorings score_under_shift(const Dataset& dataset, Classifier& classifier, const PipelineOptions& options,
                                const ShiftOptions& shift, const std::function<void(const PipelineStats&)>& progress,
                                const LabelMap& label_map) {
  if (shift.corruptions.empty()) throw Error(ErrorKind::usage, "--shift: no corruptions to apply");
  PipelineOptions po = options;
  const std::vector<Corruption> corruptions = shift.corruptions;
  const std::uint64_t seed = shift.seed;
  po.variants = [corruptions, seed](const cv::Mat& decoded, const std::string& id) {
    std::vector<cv::Mat> out;
    out.reserve(corruptions.size() * kMaxSeverity);
    const std::uint64_t noise = noise_seed(seed, id);
    for (Corruption c : corruptions)
      for (auto& image : corrupt_severities(decoded, c, noise)) out.push_back(std::move(image));
    return out;
  };
  std::vector<Scoring> all =
      score_with_model_variants(dataset, classifier, po, corruptions.size() * kMaxSeverity, progress, label_map);
  ShiftScorings out;
  out.corruptions = corruptions;
  out.seed = seed;
  out.clean = std::move(all[0]);
  for (std::size_t c = 0; c < corruptions.size(); ++c) {
    out.corrupted.emplace_back();
    for (int s = 0; s < kMaxSeverity; ++s)
      out.corrupted.back().push_back(std::move(all[1 + c * kMaxSeverity + std::size_t(s)]));
  }
  return out;
}

namespace {

// Without --bootstrap the paired intervals still need resamples: this many.
constexpr int kPairedResamples = 1000;

json largest_change_entry(const std::string& name, int severity, const PairedChange& c) {
  return {{"corruption", name},
          {"severity", severity},
          {"mean_malignant_change", c.mean_malignant_change},
          {"ci", json{c.ci_low, c.ci_high}},
          {"wilcoxon_p", c.wilcoxon.p_value},
          {"top1_flip_rate", c.top1_flip_rate},
          {"malignant_call_flip_rate", c.malignant_call_flip_rate}};
}

}  // namespace

void add_shift_section(json& report, const ShiftScorings& scorings, const ReportOptions& options,
                       const std::unordered_map<std::string, std::size_t>& cluster_of) {
  const double malignant_threshold = options.thresholds.is_object() && options.thresholds.contains("malignant") &&
                                             options.thresholds["malignant"].is_number()
                                         ? options.thresholds["malignant"].get<double>()
                                         : 0.5;
  const json clean = severity_metrics(scorings.clean, 0, options, malignant_threshold);
  json shift = json::object(), per_corruption = json::object();
  const double clean_error = 1 - clean["balanced_accuracy"].get<double>();
  double sum_bacc = 0, sum_acc = 0, sum_ce = 0;
  std::size_t cells = 0, ce_count = 0;
  json worst = nullptr, largest = nullptr, largest_artefact = nullptr;
  double max_abs_change = -1, max_abs_artefact_change = -1, max_flip = 0;
  const int resamples = options.bootstrap > 0 ? options.bootstrap : kPairedResamples;
  for (std::size_t c = 0; c < scorings.corruptions.size(); ++c) {
    const std::string name = corruption_name(scorings.corruptions[c]);
    const bool artefact = is_artefact(scorings.corruptions[c]);
    double flip_sum = 0, change_sum = 0;
    bool has_change = false;
    json rows = json::array({clean});
    rows[0]["drop"] = json::object();
    for (const char* key : kMetricKeys) rows[0]["drop"][key] = clean[key].is_number() ? json(0.0) : json(nullptr);
    double error_sum = 0, bacc_sum = 0;
    for (int s = 1; s <= kMaxSeverity; ++s) {
      json row = severity_metrics(scorings.corrupted[c][std::size_t(s - 1)], s, options, malignant_threshold);
      row["drop"] = json::object();
      for (const char* key : kMetricKeys)
        row["drop"][key] = clean[key].is_number() && row[key].is_number()
                               ? json(clean[key].get<double>() - row[key].get<double>())
                               : json(nullptr);
      const PairedChange paired = paired_change(scorings.clean, scorings.corrupted[c][std::size_t(s - 1)],
                                                malignant_threshold, resamples, options.seed, cluster_of);
      row["paired"] = paired_change_json(paired);
      flip_sum += paired.top1_flip_rate;
      max_flip = std::max(max_flip, paired.top1_flip_rate);
      if (paired.has_malignant && paired.n > 0) {
        has_change = true;
        change_sum += paired.mean_malignant_change;
        const double size = std::abs(paired.mean_malignant_change);
        if (size > max_abs_change) {
          max_abs_change = size;
          largest = largest_change_entry(name, s, paired);
        }
        if (artefact && size > max_abs_artefact_change) {
          max_abs_artefact_change = size;
          largest_artefact = largest_change_entry(name, s, paired);
        }
      }
      const double bacc = number_or_nan(row["balanced_accuracy"]);
      bacc_sum += bacc;
      error_sum += 1 - bacc;
      sum_bacc += bacc;
      sum_acc += number_or_nan(row["accuracy"]);
      ++cells;
      if (worst.is_null() || bacc < worst["balanced_accuracy"].get<double>())
        worst = {{"corruption", name},
                 {"severity", s},
                 {"balanced_accuracy", bacc},
                 {"drop", clean["balanced_accuracy"].get<double>() - bacc}};
      rows.push_back(std::move(row));
    }
    json entry = {{"mean_balanced_accuracy", bacc_sum / kMaxSeverity},
                  {"corruption_error", nullptr},
                  {"artefact", artefact},
                  {"mean_top1_flip_rate", flip_sum / kMaxSeverity},
                  {"mean_malignant_change", has_change ? json(change_sum / kMaxSeverity) : json(nullptr)}};
    if (clean_error > 0) {
      const double ce = error_sum / (kMaxSeverity * clean_error);
      entry["corruption_error"] = ce;
      sum_ce += ce;
      ++ce_count;
    }
    per_corruption[name] = entry;
    shift[name] = std::move(rows);
  }
  const double mean_ce = ce_count ? sum_ce / double(ce_count) : std::numeric_limits<double>::quiet_NaN();
  json definitions = json::object();
  for (Corruption c : scorings.corruptions) definitions[corruption_name(c)] = corruption_description(c);
  report["shift"] = shift;
  report["shift_summary"] = {
      {"corruptions", scorings.corruptions.size()},
      {"severities", kMaxSeverity},
      {"images", scorings.clean.scored.size()},
      {"seed", scorings.seed},
      {"malignant_threshold", malignant_threshold},
      {"mean_accuracy", sum_acc / double(cells)},
      {"mean_balanced_accuracy", sum_bacc / double(cells)},
      {"mean_corruption_error", ce_count ? json(mean_ce) : json(nullptr)},
      {"per_corruption", per_corruption},
      {"worst", worst},
      {"largest_malignant_change", largest},
      {"paired_resamples", resamples},
      {"corruption_definitions", definitions},
      {"definitions",
       {{"mean_balanced_accuracy", "mean of balanced accuracy over every corruption at severities 1-5"},
        {"corruption_error",
         "per corruption: sum over severities 1-5 of (1 - balanced accuracy) divided by 5 x (1 - balanced accuracy "
         "at severity 0); 1 means no worse than the clean images (Hendrycks & Dietterich's relative error, with the "
         "model's own clean error as the baseline)"},
        {"mean_corruption_error", "mean of corruption_error over the corruptions"},
        {"drop", "metric at severity 0 minus metric at this severity (positive: worse, except for ece)"},
        {"paired",
         "image by image against the unchanged image: top1_flip_rate, the share whose top-1 class changes; "
         "malignant_change, the mean of (changed - unchanged) summed malignant probability with a 95% percentile "
         "bootstrap interval (resampling images, or --cluster-by clusters) and a two-sided Wilcoxon signed-rank "
         "p-value (zeros dropped; exact for at most 50 differences with no zeros and no ties, else the normal "
         "approximation with tie correction and no continuity correction, as scipy and R); malignant_call_flip_rate, "
         "the share whose malignant "
         "call at malignant_threshold changes"},
        {"largest_malignant_change",
         "the corruption and severity with the largest absolute mean change of the malignant probability"}}}};
  if (!largest_artefact.is_null()) report["shift_summary"]["largest_artefact_malignant_change"] = largest_artefact;
  report["metrics"]["shift_mean_balanced_accuracy"] = sum_bacc / double(cells);
  report["metrics"]["shift_mean_corruption_error"] = ce_count ? json(mean_ce) : json(nullptr);
  report["metrics"]["shift_worst_balanced_accuracy"] = worst["balanced_accuracy"];
  report["metrics"]["shift_max_top1_flip_rate"] = max_flip;
  report["metrics"]["shift_max_malignant_change"] = max_abs_change >= 0 ? json(max_abs_change) : json(nullptr);
}

HeadlineMalignantChange headline_malignant_change(const json& shift_summary) {
  for (const bool artefact : {true, false}) {
    const json entry =
        shift_summary.value(artefact ? "largest_artefact_malignant_change" : "largest_malignant_change", json());
    if (!entry.is_null()) return {entry, artefact};
  }
  return {};
}

}  // namespace skin
