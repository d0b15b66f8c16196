// report.cpp: assembles the evaluation report from a scoring, one builder per section (metrics,
// per-class, confusion, calibration, binary view, operating points, selective prediction,
// bootstrap intervals, subgroups).
#include "skin/evaluation/report.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "skin/core/binomial.hpp"
#include "skin/core/error.hpp"
#include "skin/core/strings.hpp"
#include "skin/core/version.hpp"
#include "skin/evaluation/clusters.hpp"
#include "skin/evaluation/delong.hpp"
#include "skin/evaluation/metrics.hpp"
#include "skin/evaluation/roc.hpp"
#include "skin/evaluation/selective.hpp"
#include "skin/evaluation/subgroups.hpp"
#include "skin/evaluation/subset_metrics.hpp"
#include "skin/robustness/dataset_shift.hpp"

namespace skin {
namespace {

using nlohmann::json;

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

std::vector<std::size_t> all_indices(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

const char* auc_ci_method_name(const std::string& method) { return method == "delong" ? "delong" : "bootstrap"; }

nlohmann::json auc_interval(const std::vector<bool>& positive, const std::vector<double>& score,
                            const std::string& method, const std::optional<BootstrapSummary>& boot,
                            const std::string& key) {
  if (method == "delong") {
    auto d = delong_auc(positive, score);
    return d ? nlohmann::json{d->lower, d->upper} : nlohmann::json();
  }
  if (!boot) return nullptr;
  auto it = boot->intervals.find(key);
  return it == boot->intervals.end() ? nlohmann::json() : nlohmann::json{it->second.lower, it->second.upper};
}

nlohmann::json operating_point_json(const OperatingPoint& p) {
  return {{"level", p.level},
          {"sensitivity", p.sensitivity},
          {"specificity", p.specificity},
          {"threshold", optional_number(p.threshold)}};
}

nlohmann::json threshold_metrics_json(const ThresholdMetrics& m) {
  return {{"threshold", m.threshold},
          {"sensitivity", optional_number(m.sensitivity)},
          {"specificity", optional_number(m.specificity)},
          {"ppv", optional_number(m.ppv)},
          {"npv", optional_number(m.npv)},
          {"tp", m.tp},
          {"fp", m.fp},
          {"tn", m.tn},
          {"fn", m.fn}};
}

}  // namespace

namespace {

json metrics_section(const Metrics& m) {
  json metrics = {{"accuracy", m.accuracy},
                  {"balanced_accuracy", m.balanced_accuracy},
                  {"macro_precision", m.macro_precision},
                  {"macro_recall", m.macro_recall},
                  {"macro_f1", m.macro_f1},
                  {"weighted_precision", m.weighted_precision},
                  {"weighted_recall", m.weighted_recall},
                  {"weighted_f1", m.weighted_f1},
                  {"cohen_kappa", optional_number(m.kappa)},
                  {"macro_auc", optional_number(m.macro_auc)},
                  {"ece", m.ece},
                  {"mce", m.mce},
                  {"brier", m.brier},
                  {"nll", m.nll}};
  for (const auto& [k, v] : m.top_k_accuracy) metrics[fmt::format("top_{}_accuracy", k)] = v;
  return metrics;
}

json per_class_section(const Metrics& m) {
  json per_class = json::object();
  for (const auto& pc : m.per_class)
    per_class[pc.label] = {
        {"precision", pc.precision},      {"recall", pc.recall},
        {"specificity", pc.specificity},  {"f1", pc.f1},
        {"support", pc.support},          {"predicted", pc.predicted},
        {"auc", optional_number(pc.auc)}, {"average_precision", optional_number(pc.average_precision)}};
  return per_class;
}

json confusion_section(const Metrics& m, const std::vector<std::string>& labels) {
  json normalized = json::array();
  for (const auto& row : m.confusion) {
    double total = 0;
    for (auto v : row) total += double(v);
    json r = json::array();
    for (auto v : row) r.push_back(total > 0 ? double(v) / total : 0.0);
    normalized.push_back(r);
  }
  return {{"labels", labels}, {"counts", m.confusion}, {"row_normalized", normalized}};
}

json calibration_section(const Metrics& m, int bins_count) {
  json bins = json::array();
  for (const auto& b : m.calibration)
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"confidence", b.confidence},
                    {"accuracy", b.accuracy}});
  return {{"definition",
           "ECE (Guo et al. 2017): top-label confidence, equal-width bins (lower, upper], "
           "sum over bins of |accuracy - confidence| weighted by the bin's share of items; "
           "MCE: largest such gap; Brier: mean over items of the squared distance between "
           "the probability vector and the one-hot truth; NLL: mean -log p(true class)"},
          {"bins_count", bins_count},
          {"bins", bins}};
}

json dataset_section(const Dataset& dataset, const Scoring& s, const ReportOptions& options) {
  json counts = json::object();
  for (const auto& l : s.labels) counts[l] = 0;
  for (const auto& item : dataset.items) {
    auto& count = counts[s.labels[std::size_t(truth_index(s, item))]];
    count = count.get<int>() + 1;
  }
  return {{"layout", dataset.layout},
          {"root", dataset.root},
          {"split", options.split.empty() ? json() : json(options.split)},
          {"labelled", dataset.items.size()},
          {"counts_per_class", counts},
          {"scored", s.scored.size()},
          {"missing", s.missing.size()},
          {"failed", s.failed.size()},
          {"unlabelled", s.unlabelled.size()}};
}

json failed_items(const Scoring& s) {
  json failed = json::array();
  for (const auto& f : s.failed) failed.push_back({{"id", f.id}, {"path", f.path}, {"error", f.error}});
  return failed;
}

// Each class's AUC interval (DeLong or bootstrap), into the per-class section.
void add_auc_intervals(json& per_class, const Scoring& s, const ScoreTable& table, const std::string& auc_ci,
                       const std::optional<BootstrapSummary>& boot) {
  for (std::size_t k = 0; k < s.labels.size(); ++k) {
    json& pc = per_class[s.labels[k]];
    const auto [positive, score] = table.one_vs_rest(k);
    pc["auc_ci"] = auc_interval(positive, score, auc_ci, boot, "auc:" + std::to_string(k));
    pc["auc_ci_method"] = auc_ci_method_name(auc_ci);
  }
}

json binary_section(const Scoring& s, const ScoreTable& table, const std::string& auc_ci,
                    const std::optional<BootstrapSummary>& boot) {
  if (!table.has_binary) return nullptr;
  BinaryMetrics b = binary_metrics(table.malignant_truth, table.malignant_score, 0.5);
  return {{"malignant", s.malignant},
          {"rule", "malignant when the summed malignant probability >= 0.5"},
          {"threshold", b.threshold},
          {"positives", b.positives},
          {"negatives", b.negatives},
          {"sensitivity", b.sensitivity},
          {"specificity", b.specificity},
          {"auc", optional_number(b.auc)},
          {"auc_ci", auc_interval(table.malignant_truth, table.malignant_score, auc_ci, boot, "malignant_auc")},
          {"pauc_above_tpr_0.80", optional_number(pauc_above_tpr(table.malignant_truth, table.malignant_score, 0.80))},
          {"auc_ci_method", auc_ci_method_name(auc_ci)}};
}

// Operating points, thresholds and ROC data, per class and for malignant-vs-benign:
// operating_points(_definitions), thresholds_picked and thresholds_applied.
void add_operating_points(json& report, const Scoring& s, const ScoreTable& table, const ReportOptions& options) {
  json operating = json::object(), picked = json::object(), fixed = json::object();
  auto analyse = [&](const std::string& name, const std::vector<bool>& positive, const std::vector<double>& score) {
    const auto curve = roc_curve(positive, score);
    if (curve.empty()) {
      operating[name] = nullptr;
      return;
    }
    json op = json::object();
    for (double level : options.sens_at_spec)
      op[fmt::format("sens_at_spec_{:.2f}", level)] = operating_point_json(sensitivity_at_specificity(curve, level));
    for (double level : options.spec_at_sens)
      op[fmt::format("spec_at_sens_{:.2f}", level)] = operating_point_json(specificity_at_sensitivity(curve, level));
    op[fmt::format("pauc_above_sens_{:.2f}", options.pauc_sensitivity)] =
        pauc_above_sensitivity(curve, options.pauc_sensitivity);
    op[fmt::format("standardized_pauc_max_fpr_{:.2f}", options.max_fpr)] =
        standardized_partial_auc(curve, options.max_fpr);
    op["pauc_above_tpr_0.80"] = optional_number(pauc_above_tpr(positive, score, 0.80));
    operating[name] = op;
    if (!options.pick_threshold.empty()) picked[name] = optional_number(pick_threshold(curve, options.pick_threshold));
    if (!options.thresholds.is_null() && options.thresholds.contains(name) && options.thresholds[name].is_number())
      fixed[name] =
          threshold_metrics_json(metrics_at_threshold(positive, score, options.thresholds[name].get<double>()));
  };
  for (std::size_t k = 0; k < s.labels.size(); ++k) {
    const auto [positive, score] = table.one_vs_rest(k);
    analyse(s.labels[k], positive, score);
  }
  if (table.has_binary) analyse("malignant", table.malignant_truth, table.malignant_score);
  report["operating_points"] = operating;
  report["operating_points_definitions"] = {
      {"rule",
       "positive when score >= threshold; score = the class probability (malignant: summed malignant probability)"},
      {"sens_at_spec", "highest sensitivity among thresholds with specificity >= level"},
      {"spec_at_sens", "highest specificity among thresholds with sensitivity >= level"},
      {"pauc_above_sens",
       "ISIC 2018 auc_sens_80: raw area under the ROC curve from the point where sensitivity first "
       "reaches the level (FPR interpolated) to FPR 1; no McClish correction"},
      {"pauc_above_tpr",
       "ISIC 2024 (SLICE-3D) pAUC above 80% TPR, as Kaggle's isic-pauc-abovetpr: labels flipped, scores negated, "
       "raw area for FPR <= 0.2 of that curve (point at 0.2 interpolated); 0 to 0.2 scale. Not ISIC 2018's "
       "auc_sens_80 (pauc_above_sens)"},
      {"standardized_pauc",
       "sklearn roc_auc_score(max_fpr): area for FPR <= max_fpr, McClish-standardised to [0.5, 1]"}};
  if (!options.pick_threshold.empty())
    report["thresholds_picked"] = {{"rule", options.pick_threshold}, {"thresholds", picked}};
  if (!options.thresholds.is_null()) {
    json missing = json::array();
    for (const auto& [name, value] : options.thresholds.items())
      if (!fixed.contains(name)) missing.push_back(name);
    report["thresholds_applied"] = {
        {"source", options.thresholds_source}, {"results", fixed}, {"not_applied", missing}};
  }
}

// Selective prediction on the top probability: `selective`, and `aurc` among the metrics.
void add_selective(json& report, const ScoreTable& table, const ReportOptions& options) {
  const auto [confidence, correct] = table.top_label();
  const RiskCoverage rc = risk_coverage(confidence, correct, options.target_coverage, options.target_risk);
  report["metrics"]["aurc"] = rc.aurc;
  report["selective"] = {{"confidence", "top probability"},
                         {"aurc", rc.aurc},
                         {fmt::format("risk_at_coverage_{:.2f}", rc.target_coverage), rc.risk_at_coverage},
                         {fmt::format("coverage_at_risk_{:.2f}", rc.target_risk), rc.coverage_at_risk},
                         {"curve_points", rc.curve.size()},
                         {"definition",
                          "answer when confidence >= threshold; one point per distinct confidence; risk = error rate "
                          "among answered items; AURC = area under risk over coverage (step curve)"}};
}

// The metadata of each scored item, in the scoring's order.
std::vector<const std::map<std::string, std::string>*> scored_attributes(const Dataset& dataset, const Scoring& s) {
  std::unordered_map<std::string, const std::map<std::string, std::string>*> by_id;
  for (const auto& item : dataset.items) by_id[item.id] = &item.attributes;
  std::vector<const std::map<std::string, std::string>*> attributes;
  for (const auto& item : s.scored) attributes.push_back(by_id.at(item.id));
  return attributes;
}

// What the model's guaranteed-sensitivity threshold achieves here: sensitivity and specificity
// with exact (Clopper-Pearson) 95% intervals; guarantee_sensitivity / guarantee_specificity
// among the metrics.
void add_malignant_guarantee(json& report, const Scoring& s, const ScoreTable& table) {
  const SensitivityGuarantee& g = *s.malignant_guarantee;
  std::size_t tp = 0, fn = 0, tn = 0, fp = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const bool called = table.malignant_score[i] >= g.threshold;
    if (table.malignant_truth[i])
      (called ? tp : fn) += 1;
    else
      (called ? fp : tn) += 1;
  }
  auto rate = [](std::size_t hit, std::size_t total) -> json {
    if (total == 0) return {{"value", nullptr}, {"ci", nullptr}};
    const auto [lo, hi] = clopper_pearson(hit, total, 0.95);
    return {{"value", double(hit) / double(total)}, {"ci", {lo, hi}}};
  };
  const json sensitivity = rate(tp, tp + fn), specificity = rate(tn, tn + fp);
  report["malignant_guarantee"] = {
      {"threshold", g.threshold},
      {"target_sensitivity", g.sensitivity},
      {"delta", g.delta},
      {"calibration", g.record},
      {"tp", tp},
      {"fn", fn},
      {"tn", tn},
      {"fp", fp},
      {"sensitivity", sensitivity},
      {"specificity", specificity},
      {"definition",
       "called malignant when the summed malignant probability >= threshold; intervals: exact Clopper-Pearson 95%. "
       "The guarantee (sensitivity >= target with probability >= 1 - delta over calibration sets) holds for "
       "malignant images exchangeable with the calibration set's"}};
  report["metrics"]["guarantee_sensitivity"] = sensitivity["value"];
  report["metrics"]["guarantee_specificity"] = specificity["value"];
}

// Empirical coverage and set sizes of the model's conformal prediction sets: `conformal`, and
// conformal_coverage / conformal_mean_set_size among the metrics.
void add_conformal(json& report, const Dataset& dataset, const Scoring& s, const ReportOptions& options,
                   const SubsetMetrics& all) {
  const ConformalSpec& spec = *s.conformal;
  std::vector<double> covered(s.labels.size(), 0), sizes(s.labels.size(), 0), counts(s.labels.size(), 0);
  std::size_t empty = 0, all_covered = 0, all_size = 0;
  for (const auto& item : s.scored) {
    const auto set = prediction_set(item.probabilities, spec);
    const bool hit = std::find(set.begin(), set.end(), std::size_t(item.truth)) != set.end();
    const auto t = std::size_t(item.truth);
    counts[t] += 1, covered[t] += hit, sizes[t] += double(set.size());
    all_covered += hit, all_size += set.size(), empty += set.empty();
  }
  const double n = double(s.scored.size());
  json per_class = json::object();
  for (std::size_t k = 0; k < s.labels.size(); ++k)
    per_class[s.labels[k]] = {{"n", counts[k]},
                              {"coverage", counts[k] > 0 ? json(covered[k] / counts[k]) : json()},
                              {"mean_set_size", counts[k] > 0 ? json(sizes[k] / counts[k]) : json()}};
  report["conformal"] = {
      {"method", conformal_method_name(spec.method)},
      {"alpha", spec.alpha},
      {"target_coverage", 1 - spec.alpha},
      {"mondrian", spec.mondrian},
      {"coverage", double(all_covered) / n},
      {"mean_set_size", double(all_size) / n},
      {"empty_sets", empty},
      {"per_class", per_class},
      {"calibration", spec.record},
      {"definition",
       "coverage: share of images whose true class is in the set; the guarantee (>= target on average over "
       "calibration sets) holds for images exchangeable with the calibration images, not per class unless Mondrian"}};
  // Bootstrap intervals (--bootstrap) from the report's own resamples (by class, or by cluster).
  if (options.bootstrap > 0) {
    std::vector<double> hit, size;
    for (const auto& item : s.scored) {
      const auto set = prediction_set(item.probabilities, spec);
      hit.push_back(std::find(set.begin(), set.end(), std::size_t(item.truth)) != set.end());
      size.push_back(double(set.size()));
    }
    std::vector<double> coverages, sizes;
    for (const auto& w : bootstrap_weights(all, options.bootstrap, options.seed)) {
      double total = 0, covered_w = 0, size_w = 0;
      for (std::size_t i = 0; i < w.size(); ++i) total += w[i], covered_w += w[i] * hit[i], size_w += w[i] * size[i];
      coverages.push_back(covered_w / total);
      sizes.push_back(size_w / total);
    }
    report["conformal"]["coverage_ci"] = {percentile(coverages, 0.025), percentile(coverages, 0.975)};
    report["conformal"]["mean_set_size_ci"] = {percentile(sizes, 0.025), percentile(sizes, 0.975)};
  }
  // Per subgroup (--group-by): coverage holds on average, not per clinic or per acquisition.
  if (!options.subgroups.columns.empty()) {
    const auto attributes = scored_attributes(dataset, s);
    json per_group = json::object();
    for (const auto& column : options.subgroups.columns) {
      const auto groups = group_values(attributes, column, options.subgroups.bins);
      std::map<std::string, std::array<double, 3>> sums;  // n, covered, total set size
      for (std::size_t i = 0; i < s.scored.size(); ++i) {
        const auto set = prediction_set(s.scored[i].probabilities, spec);
        auto& g = sums[groups[i]];
        g[0] += 1;
        g[1] += std::find(set.begin(), set.end(), std::size_t(s.scored[i].truth)) != set.end();
        g[2] += double(set.size());
      }
      for (const auto& [group, g] : sums)
        per_group[column][group] = {{"n", g[0]}, {"coverage", g[1] / g[0]}, {"mean_set_size", g[2] / g[0]}};
    }
    report["conformal"]["per_group"] = per_group;
  }
  report["metrics"]["conformal_coverage"] = double(all_covered) / n;
  report["metrics"]["conformal_mean_set_size"] = double(all_size) / n;
}

json confidence_intervals_section(const BootstrapSummary& boot, const SubsetMetrics& all,
                                  const ReportOptions& options) {
  const bool clustered = all.cluster_count() > 0;
  const std::string method =
      !clustered ? "percentile bootstrap, resampled within each true class (class counts kept)"
      : all.clusters_stratified()
          ? fmt::format("percentile bootstrap of whole {} clusters, drawn within each true class", options.cluster_by)
          : fmt::format("percentile bootstrap of whole {} clusters (clusters hold several classes: not stratified)",
                        options.cluster_by);
  json ci = {{"resamples", options.bootstrap},
             {"seed", options.seed},
             {"level", 0.95},
             {"unit", clustered ? options.cluster_by : "image"},
             {"clusters", clustered ? json(all.cluster_count()) : json()},
             {"method", method}};
  for (const char* name : {"accuracy", "balanced_accuracy", "macro_f1", "ece", "macro_auc"})
    if (auto it = boot.intervals.find(name); it != boot.intervals.end())
      ci[name] = {it->second.lower, it->second.upper};
  return ci;
}

// Metrics per subgroup of the metadata columns: subgroups, disparity, subgroup_options.
void add_subgroups(json& report, const Dataset& dataset, const Scoring& s, const ScoreTable& table,
                   const ReportOptions& options) {
  const auto attributes = scored_attributes(dataset, s);
  SubgroupOptions so = options.subgroups;
  so.bootstrap = options.bootstrap;
  so.seed = options.seed;
  so.calibration_bins = options.calibration_bins;
  json sub = subgroup_report(table, attributes, so);
  report["subgroups"] = sub["subgroups"];
  report["disparity"] = sub["disparity"];
  report["subgroup_options"] = sub["subgroup_options"];
}

}  // namespace

nlohmann::json make_report(const Dataset& dataset, const Scoring& s, const ReportOptions& options) {
  if (s.scored.empty())
    throw Error(ErrorKind::input, fmt::format("{}: no items could be scored: nothing to report", dataset.root));
  ScoreTable table = score_table(s);
  if (!options.cluster_by.empty() && (options.bootstrap <= 0 || options.auc_ci == "delong"))
    throw Error(ErrorKind::usage,
                fmt::format("--cluster-by {} resamples clusters: it needs --bootstrap N (DeLong's intervals "
                            "assume independent images, so --auc-ci delong cannot be clustered)",
                            options.cluster_by));
  if (!options.cluster_by.empty()) table.cluster = cluster_indices(scored_attributes(dataset, s), options.cluster_by);
  const Metrics m = compute_metrics(table.truth, table.probabilities, s.labels, options.calibration_bins);
  json report = {
      {"schema_version", kReportSchemaVersion},
      {"skinscan", version()},
      {"created", now_iso8601()},
      {"model", s.source},
      {"dataset", dataset_section(dataset, s, options)},
      {"metrics", metrics_section(m)},
      {"per_class", per_class_section(m)},
      {"confusion_matrix", confusion_section(m, s.labels)},
      {"calibration", calibration_section(m, options.calibration_bins)},
      {"items_missing", s.missing},
      {"items_unlabelled", s.unlabelled},
      {"label_map", s.label_map},
      {"items_failed", failed_items(s)},
      {"definitions",
       {{"balanced_accuracy", "mean recall over the classes present in the truth (ISIC 2018 Task 3 metric)"},
        {"macro", "unweighted mean over classes present in truth or predictions"},
        {"prediction", "argmax of the probabilities (first class on ties)"}}},
  };
  const std::string auc_ci = options.auc_ci.empty() ? (options.bootstrap > 0 ? "bootstrap" : "delong") : options.auc_ci;
  std::optional<BootstrapSummary> boot;
  const SubsetMetrics all(table, all_indices(table.size()), options.calibration_bins);
  if (options.bootstrap > 0) boot = bootstrap_subset(all, options.bootstrap, options.seed);
  add_auc_intervals(report["per_class"], s, table, auc_ci, boot);
  report["binary"] = binary_section(s, table, auc_ci, boot);
  add_operating_points(report, s, table, options);
  add_selective(report, table, options);
  if (boot) report["confidence_intervals"] = confidence_intervals_section(*boot, all, options);
  if (!options.subgroups.columns.empty()) add_subgroups(report, dataset, s, table, options);
  if (s.conformal) add_conformal(report, dataset, s, options, all);
  if (s.malignant_guarantee && table.has_binary) add_malignant_guarantee(report, s, table);
  if (s.feature_statistics) {
    double top_sum = 0;
    for (const auto& item : s.scored)
      top_sum += *std::max_element(item.probabilities.begin(), item.probabilities.end());
    report["dataset_shift"] =
        dataset_shift_json(*s.feature_statistics, s.feature_moments, top_sum / double(s.scored.size()));
  }
  return report;
}

}  // namespace skin
