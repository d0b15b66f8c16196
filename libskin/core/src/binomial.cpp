// binomial.cpp: binomial lower tail by log-space summation, Clopper-Pearson bounds by bisection on it.
#include "skin/core/binomial.hpp"

#include <algorithm>
#include <cmath>

namespace skin {

double binomial_cdf(std::size_t k, std::size_t n, double p) {
  if (k >= n || p <= 0) return 1.0;
  if (p >= 1) return 0.0;
  const double log_p = std::log(p), log_q = std::log1p(-p), log_n = std::lgamma(double(n) + 1);
  double sum = 0;
  for (std::size_t i = 0; i <= k; ++i)
    sum += std::exp(log_n - std::lgamma(double(i) + 1) - std::lgamma(double(n - i) + 1) + double(i) * log_p +
                    double(n - i) * log_q);
  return std::min(1.0, sum);
}

namespace {

// The p in [0, 1] where the decreasing function f(p) crosses `target`, by bisection.
template <class F>
double solve_decreasing(F f, double target) {
  double lo = 0, hi = 1;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    (f(mid) > target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

std::pair<double, double> clopper_pearson(std::size_t k, std::size_t n, double level) {
  const double tail = (1 - level) / 2;
  // P(X <= k | p) falls as p grows; P(X >= k | p) = 1 - P(X <= k - 1 | p) rises.
  const double upper = k >= n ? 1.0 : solve_decreasing([&](double p) { return binomial_cdf(k, n, p); }, tail);
  const double lower = k == 0 ? 0.0 : solve_decreasing([&](double p) { return binomial_cdf(k - 1, n, p); }, 1 - tail);
  return {lower, upper};
}

}  // namespace skin
