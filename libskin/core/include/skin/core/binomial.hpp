// skin/core/binomial.hpp: the binomial distribution's lower tail and the exact (Clopper-Pearson)
// interval of a proportion: what a finite-sample guarantee on a sensitivity, and the interval of
// the sensitivity it then achieves, are computed from.
#pragma once
#include <cstddef>
#include <utility>

namespace skin {

// P(X <= k) for X ~ Binomial(n, p), summed in log space (exact to ~1e-12 for n up to 1e6).
double binomial_cdf(std::size_t k, std::size_t n, double p);

// The two-sided Clopper-Pearson interval at `level` (e.g. 0.95) for k successes of n trials:
// lower solves P(X >= k | lower) = (1 - level)/2, upper solves P(X <= k | upper) = (1 - level)/2;
// lower = 0 when k = 0, upper = 1 when k = n. n must be > 0.
std::pair<double, double> clopper_pearson(std::size_t k, std::size_t n, double level);

}  // namespace skin
