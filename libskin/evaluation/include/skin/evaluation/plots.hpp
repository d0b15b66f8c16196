// skin/evaluation/plots.hpp: evaluation figures drawn with OpenCV and written as PNG (atomically):
// confusion-matrix heatmap with counts, reliability diagram, one-vs-rest ROC curves.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/metrics.hpp"
#include "skin/evaluation/scoring.hpp"
#include "skin/evaluation/selective.hpp"

namespace skin {

void write_confusion_matrix_png(const std::string& path, const std::vector<std::string>& labels,
                                const std::vector<std::vector<std::size_t>>& counts);
void write_reliability_png(const std::string& path, const std::vector<CalibrationBin>& bins, double ece);
// `probabilities` holds truth.size() rows of labels.size() values.
void write_roc_png(const std::string& path, const std::vector<std::string>& labels, const std::vector<int>& truth,
                   const std::vector<double>& probabilities);

// (false positive rate, true positive rate) points of a one-vs-rest ROC curve, from (0,0) to (1,1).
std::vector<std::pair<double, double>> roc_points(const std::vector<bool>& positive, const std::vector<double>& score);

// Risk-coverage step curve; per-group balanced accuracy with CI bars.
void write_risk_coverage_png(const std::string& path, const RiskCoverage& curve);
void write_subgroups_png(const std::string& path, const nlohmann::json& report);

// Mean deletion (solid) and insertion (dashed) curves per ranking of a faithfulness_report().
void write_faithfulness_png(const std::string& path, const nlohmann::json& report);

// Balanced accuracy against severity 0-5, one line per corruption of an evaluate --shift report.
void write_shift_png(const std::string& path, const nlohmann::json& report);

// Writes into `dir` (created if needed): confusion_matrix.png, reliability.png, roc.png with its
// data roc_points.csv (curve,threshold,fpr,tpr; per class and malignant), risk_coverage.png and
// .csv, subgroups.png when the report has subgroups and
// shift.png when it has a shift section.
void write_evaluation_plots(const std::string& dir, const Scoring& scoring, const nlohmann::json& report);

}  // namespace skin
