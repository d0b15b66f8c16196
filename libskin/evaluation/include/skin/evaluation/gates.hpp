// skin/evaluation/gates.hpp: CI gates on an evaluation report: METRIC=VALUE thresholds on its headline
// metrics, on every subgroup, on the gap between subgroups, and against a baseline report. Every
// gate is validated before any work (validate_gates), so a misspelt metric costs no compute; after
// the work each gate gives one GateResult (the exit code, JUnit and Markdown read the same records).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

// "METRIC=VALUE" -> (METRIC, VALUE); Error(usage) unless it has that form.
std::pair<std::string, double> parse_gate(const std::string& gate);

// The metrics a --fail-under/--fail-over gate may name: the keys of report["metrics"]. top_k
// accuracy exists only where there are more than k classes (a gate on it is then undefined, a
// failure); the shift_* metrics only with --shift; conformal_* only for models with prediction
// sets (calibrate --conformal; a gate on them fails for other models).
const std::vector<std::string>& report_metric_names();
const std::vector<std::string>& shift_metric_names();

// "METRIC=VALUE" gates against report["metrics"]; returns one line per failed gate.
// Throws Error(usage) for a malformed gate or an unknown metric.
std::vector<std::string> check_gates(const nlohmann::json& report, const std::vector<std::string>& fail_under,
                                     const std::vector<std::string>& fail_over);

// Every gate of one evaluate run.
struct GateSpec {
  std::vector<std::string> fail_under, fail_over;      // report["metrics"]
  std::vector<std::string> fail_under_group, max_gap;  // subset metrics per group / between groups
  bool subgroups = false;                              // --group-by given
  bool shift = false;                                  // --shift given
  bool baseline = false;                               // --baseline given (its report is read by the caller)
  nlohmann::json baseline_report;                      // with baseline
  double max_drop = 0.01;
};

// Error(usage) for any malformed gate, unknown metric (the message lists the valid names), a
// shift metric without --shift, or a group gate without --group-by: the same one-line messages
// the checks would give at the end, before the first image is read.
void validate_gates(const GateSpec& spec);

// One gate's outcome.
struct GateResult {
  std::string kind;  // fail_under, fail_over, fail_under_group, max_gap, baseline
  std::string gate;  // as given ("balanced_accuracy=0.6"; baseline: "balanced_accuracy max_drop=0.01")
  std::string metric;
  double threshold = 0;
  nlohmann::json value;  // measured: the metric, the worst group's value or the largest gap; null if undefined
  nlohmann::json ci;     // [lower, upper] when the report has a bootstrap interval for it; else null
  std::vector<std::string> failures;  // the gate's failure lines; empty when it passed
  bool passed() const { return failures.empty(); }
};

// Checks every gate of a validated spec against the finished report, in the order given
// (fail_under, fail_over, fail_under_group, max_gap, then one baseline result per headline metric).
std::vector<GateResult> evaluate_gates(const nlohmann::json& report, const GateSpec& spec);

// One "baseline" result per headline metric: `report` no worse than `baseline` by more than
// max_drop (threshold: the baseline's value moved by max_drop).
std::vector<GateResult> regression_results(const nlohmann::json& report, const nlohmann::json& baseline,
                                           double max_drop);

// All failure lines, in order.
std::vector<std::string> gate_failures(const std::vector<GateResult>& results);

// report["gates"]: the gates as given, and one record per gate ({kind, gate, metric, threshold,
// value, ci, passed, failures}), and the failure lines.
nlohmann::json gates_json(const GateSpec& spec, const std::vector<GateResult>& results);

}  // namespace skin
