// conformal_test.cpp: split conformal prediction sets on hand-worked cases (skin/model/conformal.hpp);
// tests/conformal/check_conformal.py checks them against numpy at scale and their coverage on real
// predictions.
#include "skin/model/conformal.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

TEST_CASE("the finite-sample quantile is the ceil((n + 1)(1 - alpha))-th smallest score") {
  // n = 9, alpha 0.1: rank ceil(10 * 0.9) = 9, the largest; n = 19: rank 18.
  std::vector<double> nine{0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
  CHECK(skin::conformal_quantile(nine, 0.1) == doctest::Approx(0.9));
  std::vector<double> nineteen;
  for (int i = 1; i <= 19; ++i) nineteen.push_back(i / 100.0);
  CHECK(skin::conformal_quantile(nineteen, 0.1) == doctest::Approx(0.18));
  CHECK(skin::min_calibration_size(0.1) == 9);
  CHECK(skin::min_calibration_size(0.05) == 19);
  CHECK(test::error_of(
            [] {
              skin::conformal_quantile({0.1, 0.2}, 0.1);
            },
            skin::ErrorKind::usage) == "2 calibration images are too few for alpha 0.1: at least 9 are needed");
  CHECK(test::error_of([] { skin::conformal_quantile({0.1}, 0.0); }, skin::ErrorKind::usage) ==
        "conformal alpha 0 must lie strictly between 0 and 1");
}

TEST_CASE("scores and sets of LAC, APS and RAPS") {
  const std::vector<double> p{0.1, 0.6, 0.3};
  skin::ConformalSpec spec;
  spec.method = skin::ConformalMethod::lac;
  const auto lac = skin::conformal_scores(p, spec);
  CHECK(lac[0] == doctest::Approx(0.9));
  CHECK(lac[1] == doctest::Approx(0.4));
  CHECK(lac[2] == doctest::Approx(0.7));
  spec.qhat = {0.7};
  CHECK(skin::prediction_set(p, spec) == std::vector<std::size_t>{1, 2});
  spec.method = skin::ConformalMethod::aps;  // mass at or above: 0.6, 0.9, 1.0
  const auto aps = skin::conformal_scores(p, spec);
  CHECK(aps[1] == doctest::Approx(0.6));
  CHECK(aps[2] == doctest::Approx(0.9));
  CHECK(aps[0] == doctest::Approx(1.0));
  spec.qhat = {0.85};
  CHECK(skin::prediction_set(p, spec) == std::vector<std::size_t>{1});
  spec.method = skin::ConformalMethod::raps;  // + lambda * max(0, rank - k_reg): ranks 1, 2, 3
  spec.k_reg = 1;
  spec.lambda = 0.5;
  const auto raps = skin::conformal_scores(p, spec);
  CHECK(raps[1] == doctest::Approx(0.6));
  CHECK(raps[2] == doctest::Approx(0.9 + 0.5));
  CHECK(raps[0] == doctest::Approx(1.0 + 1.0));
}

TEST_CASE("Mondrian: one quantile per class, fitted on that class's images") {
  skin::ConformalSpec spec;
  spec.method = skin::ConformalMethod::lac;
  spec.alpha = 0.5;  // minimum 1 image per class; rank ceil((n + 1) / 2)
  spec.mondrian = true;
  // Class 0 images score 1 - p0 = 0.2 and 0.4; class 1 images 0.1, 0.3, 0.5.
  skin::fit_conformal(spec, {{0.8, 0.2}, {0.6, 0.4}, {0.1, 0.9}, {0.3, 0.7}, {0.5, 0.5}}, {0, 0, 1, 1, 1}, 2);
  REQUIRE(spec.qhat.size() == 2);
  CHECK(spec.qhat[0] == doctest::Approx(0.4));  // rank ceil(3 / 2) = 2 of {0.2, 0.4}
  CHECK(spec.qhat[1] == doctest::Approx(0.3));  // rank 2 of {0.1, 0.3, 0.5}
  CHECK(spec.record["calibration_images_per_class"] == nlohmann::json{2, 3});
  const auto round_trip = skin::parse_conformal(skin::conformal_json(spec), 2, "m");
  CHECK(round_trip.qhat == spec.qhat);
  CHECK(test::error_of(
            [] {
              skin::parse_conformal(nlohmann::json{{"method", "x"}, {"alpha", 0.1}, {"qhat", {0.5}}}, 2, "m");
            },
            skin::ErrorKind::model) == "m: 'conformal' has an unknown method (use lac, aps or raps)");
}
