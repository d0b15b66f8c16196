// skin/evaluation/compare.hpp: differences between two evaluation reports, regression gates against a
// baseline report, and McNemar's test on paired per-image results.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

// Metrics where a rise is bad; all other headline metrics are better when higher.
bool lower_is_better(const std::string& metric);

// {"metrics": {name: {a, b, delta}}, "per_class": {label: {recall: {...}, f1: {...}}}}.
nlohmann::json compare_reports(const nlohmann::json& a, const nlohmann::json& b);

// The headline metrics a baseline regression gate checks, in report order.
const std::vector<std::string>& headline_metric_names();

// One line per headline metric (accuracy, balanced_accuracy, macro_f1, macro_auc, ece) that got
// worse than `baseline` by more than `max_drop`.
std::vector<std::string> check_regressions(const nlohmann::json& report, const nlohmann::json& baseline,
                                           double max_drop);

struct McNemar {
  std::size_t paired = 0;  // images scored in both
  std::size_t only_a = 0;  // right in A, wrong in B
  std::size_t only_b = 0;  // wrong in A, right in B
  double p_value = 1.0;    // exact two-sided binomial test on the discordant pairs
};

// Pairs two `evaluate --per-image` CSVs by id.
McNemar mcnemar(const std::string& per_image_a, const std::string& per_image_b);
double mcnemar_exact_p(std::size_t only_a, std::size_t only_b);

// DeLong's paired test of the AUC of A vs B on the images both per-image CSVs hold (evaluate
// --per-image, with its p_<label> columns): per class and for the summed `malignant` labels.
// {"<label>": {auc_a, auc_b, z, p_value}, "malignant": {...}, "paired_images": n}. Error(input)
// naming the file for files without probability columns or with conflicting truths.
nlohmann::json delong_per_image(const std::string& per_image_a, const std::string& per_image_b,
                                const std::vector<std::string>& malignant);

nlohmann::json load_report(const std::string& path);  // Error(io/input) naming the file

}  // namespace skin
