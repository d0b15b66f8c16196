// wilcoxon.cpp: ranks, the exact null distribution by counting subset sums, the normal tail.
#include "skin/core/wilcoxon.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace skin {
namespace {

// P(R+ <= k) and P(R+ >= k) under the null for n ranks without ties: counts of subsets of
// {1..n} by their sum, each subset having probability 2^-n.
std::pair<double, double> exact_tails(std::size_t n, std::size_t k) {
  const std::size_t max_sum = n * (n + 1) / 2;
  std::vector<double> count(max_sum + 1, 0.0);
  count[0] = 1;
  for (std::size_t rank = 1; rank <= n; ++rank)
    for (std::size_t s = max_sum; s >= rank; --s) count[s] += count[s - rank];
  const double total = std::ldexp(1.0, int(n));
  double lower = 0, upper = 0;
  for (std::size_t s = 0; s <= max_sum; ++s) {
    if (s <= k) lower += count[s];
    if (s >= k) upper += count[s];
  }
  return {lower / total, upper / total};
}

}  // namespace

SignedRankTest wilcoxon_signed_rank(const std::vector<double>& differences) {
  SignedRankTest t;
  std::vector<double> d;
  for (double v : differences)
    if (v != 0) d.push_back(v);
  const std::size_t n = d.size();
  t.nonzero = n;
  if (n == 0) return t;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return std::abs(d[a]) < std::abs(d[b]); });
  double tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && std::abs(d[order[j + 1]]) == std::abs(d[order[i]])) ++j;
    const double rank = (double(i) + double(j)) / 2 + 1, group = double(j - i + 1);
    if (group > 1) {
      ties = true;
      tie_term += group * (group * group - 1);
    }
    for (std::size_t k = i; k <= j; ++k) (d[order[k]] > 0 ? t.r_plus : t.r_minus) += rank;
    i = j + 1;
  }
  t.statistic = std::min(t.r_plus, t.r_minus);
  const double nn = double(n);
  if (n <= kExactSignedRankLimit && !ties && n == differences.size()) {
    t.exact = true;
    const auto [lower, upper] = exact_tails(n, std::size_t(std::llround(t.r_plus)));
    t.p_value = std::min(1.0, 2 * std::min(lower, upper));
    return t;
  }
  const double mean = nn * (nn + 1) / 4;
  const double sd = std::sqrt((nn * (nn + 1) * (2 * nn + 1) - 0.5 * tie_term) / 24);
  const double z = (t.statistic - mean) / sd;
  t.p_value = sd > 0 ? std::min(1.0, std::erfc(std::abs(z) / std::sqrt(2.0))) : 1.0;
  return t;
}

}  // namespace skin
