// gates.cpp: METRIC=VALUE thresholds checked against a report's metrics; every gate validated
// before the work and recorded one by one after it.
#include "skin/evaluation/gates.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/evaluation/compare.hpp"
#include "skin/evaluation/subgroups.hpp"
#include "skin/evaluation/subset_metrics.hpp"

namespace skin {

std::pair<std::string, double> parse_gate(const std::string& gate) {
  auto eq = gate.find('=');
  double limit = 0;
  std::size_t used = 0;
  if (eq != std::string::npos && eq > 0) {
    try {
      limit = std::stod(gate.substr(eq + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
  }
  if (eq == std::string::npos || eq == 0 || used == 0 || used != gate.size() - eq - 1)
    throw Error(ErrorKind::usage, fmt::format("gate '{}' must look like METRIC=VALUE", gate));
  return {gate.substr(0, eq), limit};
}

const std::vector<std::string>& report_metric_names() {
  // Kept equal to make_report's metrics by a unit test.
  static const std::vector<std::string> names{"accuracy",
                                              "balanced_accuracy",
                                              "macro_precision",
                                              "macro_recall",
                                              "macro_f1",
                                              "weighted_precision",
                                              "weighted_recall",
                                              "weighted_f1",
                                              "cohen_kappa",
                                              "macro_auc",
                                              "ece",
                                              "mce",
                                              "brier",
                                              "nll",
                                              "top_2_accuracy",
                                              "top_3_accuracy",
                                              "aurc",
                                              "conformal_coverage",
                                              "conformal_mean_set_size",
                                              "guarantee_sensitivity",
                                              "guarantee_specificity"};
  return names;
}

const std::vector<std::string>& shift_metric_names() {
  static const std::vector<std::string> names{"shift_mean_balanced_accuracy", "shift_mean_corruption_error",
                                              "shift_worst_balanced_accuracy", "shift_max_top1_flip_rate",
                                              "shift_max_malignant_change"};
  return names;
}

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string unknown_metric(const std::string& gate, const std::string& name, bool shift) {
  std::vector<std::string> valid = report_metric_names();
  if (shift) valid.insert(valid.end(), shift_metric_names().begin(), shift_metric_names().end());
  return fmt::format("gate '{}': unknown metric '{}' (use {})", gate, name, fmt::join(valid, ", "));
}

}  // namespace

std::vector<std::string> check_gates(const nlohmann::json& report, const std::vector<std::string>& fail_under,
                                     const std::vector<std::string>& fail_over) {
  std::vector<std::string> failures;
  auto check = [&](const std::string& gate, bool under) {
    const auto [name, limit] = parse_gate(gate);
    const auto& metrics = report.at("metrics");
    if (!metrics.contains(name) && !contains(report_metric_names(), name) && !contains(shift_metric_names(), name))
      throw Error(ErrorKind::usage, unknown_metric(gate, name, report.contains("shift")));
    // Null, or a known metric this data cannot give (top_3_accuracy with 3 classes).
    if (!metrics.contains(name) || metrics[name].is_null()) {
      failures.push_back(fmt::format("{} is undefined for this data (gate {} {})", name, under ? ">=" : "<=", limit));
      return;
    }
    double value = metrics[name].get<double>();
    if (under && value < limit) failures.push_back(fmt::format("{} = {:.4f} is below {}", name, value, limit));
    if (!under && value > limit) failures.push_back(fmt::format("{} = {:.4f} is above {}", name, value, limit));
  };
  for (const auto& g : fail_under) check(g, true);
  for (const auto& g : fail_over) check(g, false);
  return failures;
}

void validate_gates(const GateSpec& spec) {
  for (const auto* list : {&spec.fail_under, &spec.fail_over})
    for (const auto& gate : *list) {
      const std::string name = parse_gate(gate).first;
      if (contains(report_metric_names(), name)) continue;
      if (contains(shift_metric_names(), name)) {
        if (!spec.shift) throw Error(ErrorKind::usage, fmt::format("gate '{}': {} needs --shift", gate, name));
        continue;
      }
      throw Error(ErrorKind::usage, unknown_metric(gate, name, spec.shift));
    }
  if ((!spec.fail_under_group.empty() || !spec.max_gap.empty()) && !spec.subgroups)
    throw Error(ErrorKind::usage, "--fail-under-group and --max-gap need --group-by");
  for (const auto* list : {&spec.fail_under_group, &spec.max_gap})
    for (const auto& gate : *list) {
      const std::string name = parse_gate(gate).first;
      if (!contains(subset_metric_names(), name))
        throw Error(ErrorKind::usage, fmt::format("gate '{}': unknown group metric '{}' (use {})", gate, name,
                                                  fmt::join(subset_metric_names(), ", ")));
    }
}

std::vector<GateResult> evaluate_gates(const nlohmann::json& report, const GateSpec& spec) {
  std::vector<GateResult> results;
  const nlohmann::json& metrics = report.at("metrics");
  const nlohmann::json intervals = report.value("confidence_intervals", nlohmann::json::object());
  auto headline = [&](const std::string& gate, bool under) {
    GateResult r;
    r.kind = under ? "fail_under" : "fail_over";
    r.gate = gate;
    std::tie(r.metric, r.threshold) = parse_gate(gate);
    r.value = metrics.value(r.metric, nlohmann::json());
    r.ci = intervals.value(r.metric, nlohmann::json());
    r.failures = under ? check_gates(report, {gate}, {}) : check_gates(report, {}, {gate});
    results.push_back(std::move(r));
  };
  for (const auto& g : spec.fail_under) headline(g, true);
  for (const auto& g : spec.fail_over) headline(g, false);
  for (const auto& gate : spec.fail_under_group) {
    GateResult r;
    r.kind = "fail_under_group";
    r.gate = gate;
    std::tie(r.metric, r.threshold) = parse_gate(gate);
    const bool lower_better = subset_metric_lower_is_better(r.metric);
    for (const auto& g : report.at("subgroups")) {  // the worst large-enough group's value
      const auto& v = g["metrics"].value(r.metric, nlohmann::json());
      if (g["flagged_small"].get<bool>() || !v.is_number()) continue;
      if (r.value.is_null() ||
          (lower_better ? v.get<double>() > r.value.get<double>() : v.get<double>() < r.value.get<double>()))
        r.value = v;
    }
    r.failures = check_group_gates(report, {gate}, {});
    results.push_back(std::move(r));
  }
  for (const auto& gate : spec.max_gap) {
    GateResult r;
    r.kind = "max_gap";
    r.gate = gate;
    std::tie(r.metric, r.threshold) = parse_gate(gate);
    if (!report.at("disparity").contains(r.metric)) {  // malignant_* without a malignant view
      r.failures.push_back(fmt::format("{} is undefined for this data (gate max gap {})", r.metric, r.threshold));
      results.push_back(std::move(r));
      continue;
    }
    const auto& d = report.at("disparity").at(r.metric);
    if (d.is_object()) r.value = d.value("max_gap", nlohmann::json());
    r.failures = check_group_gates(report, {}, {gate});
    results.push_back(std::move(r));
  }
  if (spec.baseline) {
    auto regressions = regression_results(report, spec.baseline_report, spec.max_drop);
    results.insert(results.end(), regressions.begin(), regressions.end());
  }
  return results;
}

std::vector<GateResult> regression_results(const nlohmann::json& report, const nlohmann::json& baseline,
                                           double max_drop) {
  std::vector<GateResult> results;
  const nlohmann::json intervals = report.value("confidence_intervals", nlohmann::json::object());
  for (const std::string& name : headline_metric_names()) {
    GateResult r;
    r.kind = "baseline";
    r.gate = fmt::format("{} max_drop={}", name, max_drop);
    r.metric = name;
    r.value = report["metrics"].value(name, nlohmann::json());
    r.ci = intervals.value(name, nlohmann::json());
    const nlohmann::json before = baseline["metrics"].value(name, nlohmann::json());
    // The value the metric must not fall below (or, for lower-is-better metrics, rise above).
    r.threshold = before.is_number() ? before.get<double>() + (lower_is_better(name) ? max_drop : -max_drop) : 0;
    // check_regressions on this metric alone: the same message as a whole-report check.
    r.failures = check_regressions({{"metrics", {{name, r.value}}}}, {{"metrics", {{name, before}}}}, max_drop);
    results.push_back(std::move(r));
  }
  return results;
}

std::vector<std::string> gate_failures(const std::vector<GateResult>& results) {
  std::vector<std::string> lines;
  for (const auto& r : results) lines.insert(lines.end(), r.failures.begin(), r.failures.end());
  return lines;
}

nlohmann::json gates_json(const GateSpec& spec, const std::vector<GateResult>& results) {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : results)
    records.push_back({{"kind", r.kind},
                       {"gate", r.gate},
                       {"metric", r.metric},
                       {"threshold", r.threshold},
                       {"value", r.value},
                       {"ci", r.ci},
                       {"passed", r.passed()},
                       {"failures", r.failures}});
  return {{"fail_under", spec.fail_under}, {"fail_over", spec.fail_over}, {"fail_under_group", spec.fail_under_group},
          {"max_gap", spec.max_gap},       {"results", records},          {"failed", gate_failures(results)}};
}

}  // namespace skin
