// skin/evaluation/delong.hpp: inference on ROC AUCs by DeLong, DeLong & Clarke-Pearson (1988), computed
// with the midrank algorithm of Sun & Xu (2014): the variance of one AUC (for a normal
// confidence interval, as pROC's ci.auc(method = "delong")) and the paired test of two AUCs
// measured on the same images (as pROC's roc.test(paired = TRUE, method = "delong")).
#pragma once
#include <optional>
#include <vector>

namespace skin {

struct DelongAuc {
  double auc = 0;
  double variance = 0;
  double lower = 0, upper = 0;  // normal interval at the requested level, clipped to [0, 1]
};

// Empty with fewer than two positives or two negatives: the variance needs a sample variance on
// each side (pROC gives NA there too).
std::optional<DelongAuc> delong_auc(const std::vector<bool>& positive, const std::vector<double>& score,
                                    double level = 0.95);

struct DelongTest {
  double auc_a = 0, auc_b = 0;
  double z = 0, p_value = 1;  // two-sided; p = 1 when the AUCs and their difference's variance are 0
};

// Both scores on the same items (same `positive`). Empty with fewer than two positives or negatives.
std::optional<DelongTest> delong_paired_test(const std::vector<bool>& positive, const std::vector<double>& score_a,
                                             const std::vector<double>& score_b);

}  // namespace skin
