// skin/evaluation/selective.hpp: selective prediction (Geifman & El-Yaniv 2017): answer only when the
// confidence (top probability) is at least a threshold. The risk-coverage curve has one point per
// distinct confidence (ties are kept or dropped together): coverage = share of items answered,
// risk = error rate among them. AURC is the area under that step curve over coverage, which for
// distinct confidences is the mean over k of the error rate of the k most confident items.
#pragma once
#include <optional>
#include <vector>

namespace skin {

struct RiskCoveragePoint {
  double threshold = 0;  // answer when confidence >= threshold
  double coverage = 0, risk = 0;
};

struct RiskCoverage {
  std::vector<RiskCoveragePoint> curve;  // coverage increasing
  double aurc = 0;
  double risk_at_coverage = 0;  // risk of the first point with coverage >= the target
  double coverage_at_risk = 0;  // largest coverage whose risk <= the target (0 if none)
  double target_coverage = 0.8, target_risk = 0.05;
};

// Error(input) for empty or mismatched input.
RiskCoverage risk_coverage(const std::vector<double>& confidence, const std::vector<bool>& correct,
                           double target_coverage = 0.8, double target_risk = 0.05);

}  // namespace skin
