// delong_test.cpp: DeLong variance on a hand-worked case (skin/evaluation/delong.hpp); pROC agreement at
// scale is tests/metrics/check_delong.py.
#include "skin/evaluation/delong.hpp"

#include <cmath>

#include <doctest/doctest.h>

TEST_CASE("DeLong variance from the structural components") {
  // Positives 0.9, 0.6 (tied with a negative); negatives 0.6, 0.2, 0.1.
  // V10 = [1, (0.5 + 1 + 1)/3 = 5/6]; V01 = [(1 + 0.5)/2 = 0.75, 1, 1]; AUC = 11/12.
  auto d = skin::delong_auc({true, true, false, false, false}, {0.9, 0.6, 0.6, 0.2, 0.1});
  REQUIRE(d);
  CHECK(d->auc == doctest::Approx(11.0 / 12));
  const double s10 = (1.0 / 144) * 2 / 1, s01 = ((0.75 - 11.0 / 12) * (0.75 - 11.0 / 12) + 2 * (1.0 / 144)) / 2;
  CHECK(d->variance == doctest::Approx(s10 / 2 + s01 / 3));
  CHECK(d->upper == 1.0);  // clipped
  CHECK(d->lower == doctest::Approx(11.0 / 12 - 1.959963984540054 * std::sqrt(s10 / 2 + s01 / 3)));
  CHECK_FALSE(skin::delong_auc({true, false, false}, {0.9, 0.2, 0.1}));  // one positive: undefined
}

TEST_CASE("the paired test is symmetric and 1 for identical scores") {
  const std::vector<bool> y{true, true, true, false, false, false};
  const std::vector<double> a{0.9, 0.8, 0.4, 0.5, 0.2, 0.1}, b{0.6, 0.7, 0.3, 0.8, 0.2, 0.4};
  auto ab = skin::delong_paired_test(y, a, b), ba = skin::delong_paired_test(y, b, a);
  REQUIRE(ab);
  CHECK(ab->z == doctest::Approx(-ba->z));
  CHECK(ab->p_value == doctest::Approx(ba->p_value));
  CHECK(ab->p_value > 0);
  CHECK(ab->p_value < 1);
  CHECK(skin::delong_paired_test(y, a, a)->p_value == 1.0);
}
