// skin/plots.hpp: evaluation figures drawn with OpenCV and written as PNG (atomically):
// confusion-matrix heatmap with counts, reliability diagram, one-vs-rest ROC curves.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/metrics.hpp"
#include "skin/scoring.hpp"

namespace skin {

void write_confusion_matrix_png(const std::string& path, const std::vector<std::string>& labels,
                                const std::vector<std::vector<std::size_t>>& counts);
void write_reliability_png(const std::string& path, const std::vector<CalibrationBin>& bins, double ece);
// `probabilities` holds truth.size() rows of labels.size() values.
void write_roc_png(const std::string& path, const std::vector<std::string>& labels, const std::vector<int>& truth,
                   const std::vector<double>& probabilities);

// (false positive rate, true positive rate) points of a one-vs-rest ROC curve, from (0,0) to (1,1).
std::vector<std::pair<double, double>> roc_points(const std::vector<bool>& positive, const std::vector<double>& score);

// Writes confusion_matrix.png, reliability.png and roc.png into `dir` (created if needed).
void write_evaluation_plots(const std::string& dir, const Scoring& scoring, const nlohmann::json& report);

}  // namespace skin
