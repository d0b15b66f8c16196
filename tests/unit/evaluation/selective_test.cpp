// selective_test.cpp: risk-coverage curve and AURC (skin/evaluation/selective.hpp).
#include "skin/evaluation/selective.hpp"

#include <doctest/doctest.h>

TEST_CASE("risk-coverage with a tie: points per distinct confidence, AURC as the step area") {
  // Confidences 0.9 (right), 0.8 (wrong), 0.8 (right), 0.5 (wrong).
  auto rc = skin::risk_coverage({0.9, 0.8, 0.8, 0.5}, {true, false, true, false}, 0.75, 0.4);
  REQUIRE(rc.curve.size() == 3);
  CHECK(rc.curve[0].coverage == 0.25);
  CHECK(rc.curve[0].risk == 0.0);
  CHECK(rc.curve[1].coverage == 0.75);
  CHECK(rc.curve[1].risk == doctest::Approx(1.0 / 3));
  CHECK(rc.curve[2].risk == 0.5);
  CHECK(rc.aurc == doctest::Approx(0.25 * 0 + 0.5 * (1.0 / 3) + 0.25 * 0.5));
  CHECK(rc.risk_at_coverage == doctest::Approx(1.0 / 3));
  CHECK(rc.coverage_at_risk == 0.75);
}
