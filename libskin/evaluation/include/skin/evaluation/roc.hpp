// skin/evaluation/roc.hpp: binary ROC analysis of one score against one positive class. The rule is
// "positive when score >= threshold"; the curve has one point per distinct score (ties move
// together), from (0, 0) (nothing positive) to (1, 1), like sklearn's
// roc_curve(drop_intermediate=False). On it: operating points (sensitivity at a fixed
// specificity and the reverse), partial AUCs, threshold selection, and the metrics at a fixed
// threshold carried from another data set.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace skin {

struct RocPoint {
  std::optional<double> threshold;  // the lowest score called positive; empty for (0, 0)
  double fpr = 0, tpr = 0;
};

// Empty when there are no positives or no negatives.
std::vector<RocPoint> roc_curve(const std::vector<bool>& positive, const std::vector<double>& score);

struct OperatingPoint {
  double level = 0;  // the required specificity (sens_at_spec) or sensitivity (spec_at_sens)
  double sensitivity = 0, specificity = 0;
  std::optional<double> threshold;
};

// The highest sensitivity over thresholds whose specificity is >= level (ties: the higher
// specificity), and the highest specificity over thresholds whose sensitivity is >= level.
OperatingPoint sensitivity_at_specificity(const std::vector<RocPoint>& curve, double level);
OperatingPoint specificity_at_sensitivity(const std::vector<RocPoint>& curve, double level);

// ISIC 2018's auc_sens_80 for level 0.8 (isic-challenge-scoring, auc_above_sensitivity): the raw
// (not McClish-corrected) area under the curve from the point where sensitivity first reaches
// `level` (FPR interpolated linearly) to FPR 1.
double pauc_above_sensitivity(const std::vector<RocPoint>& curve, double level);

// The raw area under the curve for FPR in [0, max_fpr]: the points with fpr <= max_fpr and one
// interpolated at max_fpr (numpy searchsorted side right, np.interp), trapezoids; 0 to max_fpr.
double partial_auc(const std::vector<RocPoint>& curve, double max_fpr);

// ISIC 2024 (SLICE-3D) pAUC above `min_tpr` as Kaggle's isic-pauc-abovetpr metric computes it:
// labels flipped and scores negated, then partial_auc up to FPR = 1 - min_tpr of that curve; on
// the 0 to 1 - min_tpr scale (0.2 for 0.80). Not ISIC 2018's auc_sens_80 above, which integrates
// the original curve to FPR 1. Nothing (no value) without both classes.
std::optional<double> pauc_above_tpr(const std::vector<bool>& positive, const std::vector<double>& score,
                                     double min_tpr);

// sklearn's roc_auc_score(max_fpr=...): the area for FPR in [0, max_fpr], McClish-standardised
// to [0.5, 1] (0.5 = chance, 1 = perfect).
double standardized_partial_auc(const std::vector<RocPoint>& curve, double max_fpr);

// Threshold rules: "youden" (max sensitivity + specificity - 1; ties: the higher threshold),
// "sens=X" (the highest threshold with sensitivity >= X), "spec=X" (the lowest threshold with
// specificity >= X). Error(usage) for another rule. Empty when the rule picks "nothing
// positive" (the (0, 0) point).
std::optional<double> pick_threshold(const std::vector<RocPoint>& curve, const std::string& rule);
void validate_threshold_rule(const std::string& rule);  // Error(usage) naming the rule

struct ThresholdMetrics {
  double threshold = 0;
  std::size_t tp = 0, fp = 0, tn = 0, fn = 0;
  std::optional<double> sensitivity, specificity, ppv, npv;  // empty when the denominator is 0
};
ThresholdMetrics metrics_at_threshold(const std::vector<bool>& positive, const std::vector<double>& score,
                                      double threshold);

}  // namespace skin
