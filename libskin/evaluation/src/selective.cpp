// selective.cpp: the risk-coverage curve and its summaries.
#include "skin/evaluation/selective.hpp"

#include <algorithm>
#include <numeric>

#include "skin/core/error.hpp"

namespace skin {

RiskCoverage risk_coverage(const std::vector<double>& confidence, const std::vector<bool>& correct,
                           double target_coverage, double target_risk) {
  const std::size_t n = confidence.size();
  if (n == 0 || correct.size() != n) throw Error(ErrorKind::input, "risk-coverage: no items, or unequal lengths");
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return confidence[a] > confidence[b]; });
  RiskCoverage rc;
  rc.target_coverage = target_coverage;
  rc.target_risk = target_risk;
  std::size_t errors = 0;
  double previous_coverage = 0;
  bool risk_found = false;
  for (std::size_t i = 0; i < n; ++i) {
    errors += !correct[order[i]];
    if (i + 1 < n && confidence[order[i + 1]] == confidence[order[i]]) continue;
    const double coverage = double(i + 1) / double(n), risk = double(errors) / double(i + 1);
    rc.curve.push_back({confidence[order[i]], coverage, risk});
    rc.aurc += (coverage - previous_coverage) * risk;
    previous_coverage = coverage;
    if (!risk_found && coverage >= target_coverage - 1e-12) {
      rc.risk_at_coverage = risk;
      risk_found = true;
    }
    if (risk <= target_risk + 1e-12) rc.coverage_at_risk = coverage;
  }
  return rc;
}

}  // namespace skin
