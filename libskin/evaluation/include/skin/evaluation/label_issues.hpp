// skin/evaluation/label_issues.hpp: images whose given label is likely wrong, by confident learning
// (Northcutt, Jiang & Chuang, JAIR 2021) from out-of-sample probabilities (a model that never
// trained on these images):
//   t_j   = the mean probability of class j over the images labelled j (per-class threshold);
//   each image's confident class = the class j with p_j >= t_j of highest p_j (none if no class
//           reaches its threshold); the confident joint C[i][j] counts images labelled i whose
//           confident class is j;
//   label issues = images with a confident class other than their label (the off-diagonal of C),
//           ranked by self-confidence (the probability of the given label), lowest first.
#pragma once
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

struct LabelIssue {
  std::size_t row = 0;           // index into the inputs
  int given = 0, suggested = 0;  // class indices
  double self_confidence = 0;    // p of the given label
  double suggested_probability = 0;
};

struct ConfidentLearning {
  std::vector<double> thresholds;               // t_j; NaN for a class with no labelled image
  std::vector<std::vector<std::size_t>> joint;  // C[given][confident]
  std::vector<LabelIssue> issues;               // ranked
  std::vector<int> confident_class;             // per row; -1 when none
};

// `probabilities[r]` has one entry per class; `labels[r]` is the given class.
ConfidentLearning confident_learning(const std::vector<std::vector<double>>& probabilities,
                                     const std::vector<int>& labels, std::size_t classes);

// Confident learning on an `evaluate --per-image` CSV (id, truth, p_<label> columns) restricted to
// `ids` (all rows when empty): {classes, images, thresholds, confident_joint, issues: [{id, given,
// suggested, self_confidence, suggested_probability}] (the `top` first), issue_count, definition}.
// Error(input) naming the file when it lacks those columns or none of its ids is in `ids`.
nlohmann::json label_issues_report(const std::string& per_image_csv, const std::unordered_set<std::string>& ids,
                                   std::size_t top);

}  // namespace skin
