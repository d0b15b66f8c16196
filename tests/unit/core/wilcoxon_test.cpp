// wilcoxon_test.cpp: the signed-rank test against values scipy.stats.wilcoxon gives (1.10,
// zero_method="wilcox", correction=False); tests/shift/check_paired_change.py compares more.
#include "skin/core/wilcoxon.hpp"

#include <doctest/doctest.h>

TEST_CASE("wilcoxon: exact p without zeros or ties, as scipy") {
  const auto t = skin::wilcoxon_signed_rank({0.5, -0.2, 1.5, 0.9, -0.05, 0.3, 2.2});
  CHECK(t.exact);
  CHECK(t.nonzero == 7);
  CHECK(t.statistic == 3.0);
  CHECK(t.r_plus == 25.0);
  CHECK(t.p_value == doctest::Approx(0.078125).epsilon(1e-12));
}

TEST_CASE("wilcoxon: a zero or a tie switches to the normal approximation, as scipy") {
  const auto zero = skin::wilcoxon_signed_rank({0.5, -0.2, 1.5, 0.9, -0.05, 0.3, 0.0, 2.2});
  CHECK_FALSE(zero.exact);
  CHECK(zero.nonzero == 7);
  CHECK(zero.p_value == doctest::Approx(0.06297905121445523).epsilon(1e-12));
  const auto ties = skin::wilcoxon_signed_rank({1, -1, 2, 2, -3, 4, 4, 4, 0.5, -0.5, 6});
  CHECK_FALSE(ties.exact);
  CHECK(ties.statistic == 12.0);
  CHECK(ties.p_value == doctest::Approx(0.060982971925821625).epsilon(1e-12));
}

TEST_CASE("wilcoxon: no non-zero difference gives p = 1, a one-sided sample a small p") {
  const auto none = skin::wilcoxon_signed_rank({0, 0, 0});
  CHECK(none.nonzero == 0);
  CHECK(none.p_value == 1.0);
  CHECK(skin::wilcoxon_signed_rank({}).p_value == 1.0);
  std::vector<double> up;
  for (int i = 1; i <= 60; ++i) up.push_back(0.01 * i);
  const auto t = skin::wilcoxon_signed_rank(up);
  CHECK(t.statistic == 0.0);
  CHECK(t.p_value < 1e-10);
}
