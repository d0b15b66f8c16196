// skin/evaluation/metrics.hpp: classification and calibration metrics over (true class, probability row)
// pairs. Definitions follow scikit-learn so results can be checked against it:
// - averages ("macro", "weighted") run over the classes present in truth or predictions;
// - balanced accuracy is the mean recall over classes present in truth;
// - precision/recall/F1 of a class with nothing predicted/true is 0;
// - top-k breaks probability ties toward the higher class index (sklearn's top_k_accuracy_score);
// - ROC AUC / average precision per class are one-vs-rest, undefined (empty) without both
//   positives and negatives; macro AUC is the mean over classes where it is defined.
// Calibration: ECE of Guo et al. 2017: top-label confidence, equal-width bins (lo, hi], each
// bin's |accuracy - confidence| weighted by its share of samples; MCE is the largest bin gap.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace skin {

struct ClassMetrics {
  std::string label;
  std::size_t support = 0;    // true samples
  std::size_t predicted = 0;  // predicted samples
  double precision = 0, recall = 0, specificity = 0, f1 = 0;
  std::optional<double> auc, average_precision;
};

struct CalibrationBin {
  double lower = 0, upper = 0;
  std::size_t count = 0;
  double confidence = 0, accuracy = 0;  // means over the bin (0 when empty)
};

struct BinaryMetrics {
  std::size_t positives = 0, negatives = 0;
  double threshold = 0.5;
  double sensitivity = 0, specificity = 0;
  std::optional<double> auc;
};

struct Metrics {
  double accuracy = 0, balanced_accuracy = 0;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  double weighted_precision = 0, weighted_recall = 0, weighted_f1 = 0;
  std::optional<double> kappa, macro_auc;
  std::map<int, double> top_k_accuracy;
  std::vector<ClassMetrics> per_class;
  std::vector<std::vector<std::size_t>> confusion;  // [true][predicted]
  double ece = 0, mce = 0, brier = 0, nll = 0;
  std::vector<CalibrationBin> calibration;
};

// `probabilities` holds truth.size() rows of labels.size() values. Throws Error(input)
// on mismatched sizes or an empty input.
Metrics compute_metrics(const std::vector<int>& truth, const std::vector<double>& probabilities,
                        const std::vector<std::string>& labels, int calibration_bins = 15);

// Helpers shared with the subgroup and bootstrap code.
std::size_t argmax_row(const double* row, std::size_t classes);  // first maximum on ties, like numpy
int calibration_bin(double confidence, int bins);                // index of the bin (lo, hi] holding it
double percentile(std::vector<double> values, double q);         // numpy's default (linear) interpolation

std::optional<double> roc_auc(const std::vector<bool>& positive, const std::vector<double>& score);
std::optional<double> average_precision(const std::vector<bool>& positive, const std::vector<double>& score);
BinaryMetrics binary_metrics(const std::vector<bool>& positive, const std::vector<double>& score,
                             double threshold = 0.5);

struct Interval {
  double lower = 0, upper = 0;
  bool operator==(const Interval& o) const { return lower == o.lower && upper == o.upper; }
};

}  // namespace skin
