// label_issues.cpp: per-class thresholds, the confident joint and the ranked issues.
#include "skin/evaluation/label_issues.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace skin {

ConfidentLearning confident_learning(const std::vector<std::vector<double>>& p, const std::vector<int>& labels,
                                     std::size_t classes) {
  ConfidentLearning cl;
  std::vector<double> sum(classes, 0.0), count(classes, 0.0);
  for (std::size_t r = 0; r < p.size(); ++r) {
    sum[std::size_t(labels[r])] += p[r][std::size_t(labels[r])];
    count[std::size_t(labels[r])] += 1;
  }
  cl.thresholds.resize(classes);
  for (std::size_t j = 0; j < classes; ++j)
    cl.thresholds[j] = count[j] > 0 ? sum[j] / count[j] : std::numeric_limits<double>::quiet_NaN();
  cl.joint.assign(classes, std::vector<std::size_t>(classes, 0));
  for (std::size_t r = 0; r < p.size(); ++r) {
    int best = -1;
    for (std::size_t j = 0; j < classes; ++j)
      if (!std::isnan(cl.thresholds[j]) && p[r][j] >= cl.thresholds[j] && (best < 0 || p[r][j] > p[r][std::size_t(best)]))
        best = int(j);
    cl.confident_class.push_back(best);
    if (best < 0) continue;
    ++cl.joint[std::size_t(labels[r])][std::size_t(best)];
    if (best != labels[r])
      cl.issues.push_back({r, labels[r], best, p[r][std::size_t(labels[r])], p[r][std::size_t(best)]});
  }
  std::stable_sort(cl.issues.begin(), cl.issues.end(), [](const LabelIssue& a, const LabelIssue& b) {
    return a.self_confidence < b.self_confidence;
  });
  return cl;
}

}  // namespace skin
