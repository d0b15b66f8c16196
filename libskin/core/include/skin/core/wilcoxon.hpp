// skin/core/wilcoxon.hpp: the Wilcoxon signed-rank test of paired differences (whether a change
// shifts a score up or down more than chance would), as scipy.stats.wilcoxon computes it with
// zero_method="wilcox" and no continuity correction.
#pragma once
#include <cstddef>
#include <vector>

namespace skin {

struct SignedRankTest {
  std::size_t nonzero = 0;  // differences left after dropping exact zeros
  double r_plus = 0;        // sum of the (average) ranks of |d| over positive differences
  double r_minus = 0;
  double statistic = 0;  // min(r_plus, r_minus), scipy's two-sided statistic
  double p_value = 1;    // two-sided; 1 when no difference is non-zero
  bool exact = false;    // exact null distribution (<= 50 differences, no zeros, no tied |d|), else normal
};

// Zeros are dropped; |d| is ranked with average ranks for ties. With at most kExactSignedRankLimit
// differences, none zero and no ties (where scipy and R's wilcox.test also compute it), p is exact: 2 x the smaller
// tail of r_plus's null distribution (the number of subsets of ranks 1..n with each sum, over 2^n), capped at 1.
// Otherwise the normal approximation z = (T - n(n+1)/4) / sqrt((n(n+1)(2n+1) - sum t(t^2-1)/2) / 24) over tie groups t.
inline constexpr std::size_t kExactSignedRankLimit = 50;
SignedRankTest wilcoxon_signed_rank(const std::vector<double>& differences);

}  // namespace skin
