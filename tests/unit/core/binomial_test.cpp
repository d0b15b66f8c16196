// binomial_test.cpp: the binomial lower tail and Clopper-Pearson bounds on values known in closed
// form (skin/core/binomial.hpp); scipy checks the rest (tests/conformal).
#include "skin/core/binomial.hpp"

#include <cmath>

#include <doctest/doctest.h>

TEST_CASE("binomial lower tail") {
  CHECK(skin::binomial_cdf(0, 10, 0.05) == doctest::Approx(std::pow(0.95, 10)).epsilon(1e-12));
  CHECK(skin::binomial_cdf(1, 2, 0.5) == doctest::Approx(0.75).epsilon(1e-12));
  CHECK(skin::binomial_cdf(5, 5, 0.3) == 1.0);
  CHECK(skin::binomial_cdf(2, 10, 0.0) == 1.0);
  CHECK(skin::binomial_cdf(2, 10, 1.0) == 0.0);
}

TEST_CASE("Clopper-Pearson bounds at the ends are closed forms") {
  // k = 0: upper = 1 - (alpha/2)^(1/n); k = n: lower = (alpha/2)^(1/n).
  const auto [lo0, hi0] = skin::clopper_pearson(0, 20, 0.95);
  CHECK(lo0 == 0.0);
  CHECK(hi0 == doctest::Approx(1 - std::pow(0.025, 1.0 / 20)).epsilon(1e-10));
  const auto [lon, hin] = skin::clopper_pearson(20, 20, 0.95);
  CHECK(hin == 1.0);
  CHECK(lon == doctest::Approx(std::pow(0.025, 1.0 / 20)).epsilon(1e-10));
  const auto [lo, hi] = skin::clopper_pearson(7, 10, 0.95);
  CHECK(lo < 0.7);
  CHECK(hi > 0.7);
}
