// ood_test.cpp: per-image OOD scores, class Gaussians, the threshold and the manifest section
// (skin/model/ood.hpp); tests/conformal/check_ood.py checks them against scipy/scikit-learn.
#include "skin/model/ood.hpp"

#include <cmath>

#include <doctest/doctest.h>

#include "../support.hpp"

TEST_CASE("MSP and energy have their closed forms") {
  CHECK(skin::msp_score({0.7f, 0.2f, 0.1f}) == doctest::Approx(0.3).epsilon(1e-6));
  CHECK(skin::energy_score({0.0f, 0.0f}) == doctest::Approx(-std::log(2.0)).epsilon(1e-12));
  CHECK(skin::energy_score({1000.0f, 0.0f}) == doctest::Approx(-1000.0).epsilon(1e-12));  // no overflow
}

TEST_CASE("Mahalanobis distance is to the nearest class mean under the shared variance") {
  skin::OodReference ref;
  skin::fit_class_gaussians(ref, {{0, 0}, {2, 0}, {10, 10}, {12, 10}}, {0, 0, 1, 1}, 3);
  REQUIRE(ref.class_means.size() == 3);
  CHECK(ref.class_means[0] == std::vector<double>{1, 0});
  CHECK(ref.class_means[1] == std::vector<double>{11, 10});
  CHECK(ref.class_means[2].empty());  // no images: skipped by the distance
  // Within-class variance: channel 0 (4 x 1) / (4 - 2) = 2; channel 1 is 0, floored at 1e-3 x median.
  CHECK(ref.variance[0] == doctest::Approx(2.0));
  CHECK(ref.variance[1] > 0);
  CHECK(skin::mahalanobis_score({3, 0}, ref) == doctest::Approx(2.0));  // (3 - 1)^2 / 2
  CHECK(skin::ood_score(skin::OodMethod::mahalanobis, {0.5f, 0.5f}, {}, true, {3, 0}, nullptr) == std::nullopt);
  CHECK(skin::ood_score(skin::OodMethod::energy, {0.5f, 0.5f}, {1, 1}, false, {}, nullptr) == std::nullopt);
}

TEST_CASE("the threshold leaves the TPR share of in-distribution scores at or below it") {
  CHECK(skin::ood_threshold({5, 1, 4, 2, 3, 6, 7, 8, 9, 10}, 0.95) == 10);
  CHECK(skin::ood_threshold({5, 1, 4, 2, 3, 6, 7, 8, 9, 10}, 0.9) == 9);
  CHECK(skin::ood_threshold({1, 2, 3, 4}, 0.5) == 2);
  CHECK(test::error_of([] { skin::ood_threshold({}, 0.95); }, skin::ErrorKind::usage) ==
        "no in-distribution images to set the OOD threshold on");
}

TEST_CASE("the manifest section round-trips and is validated") {
  skin::OodReference ref;
  ref.method = skin::OodMethod::mahalanobis;
  skin::fit_class_gaussians(ref, {{0, 1}, {1, 0}}, {0, 1}, 2);
  ref.threshold = 3.5;
  const auto back = skin::parse_ood(skin::ood_json(ref), 2, "m.json");
  CHECK(back.method == skin::OodMethod::mahalanobis);
  CHECK(back.threshold == 3.5);
  CHECK(back.class_means == ref.class_means);
  CHECK(test::error_of(
            [] {
              skin::parse_ood({{"method", "odin"}, {"threshold", 1}}, 2, "m.json");
            },
            skin::ErrorKind::model) == "m.json: 'ood' 'method' must be msp, energy or mahalanobis");
  CHECK(test::error_of(
            [] {
              skin::parse_ood({{"method", "mahalanobis"}, {"threshold", 1}}, 2, "m.json");
            },
            skin::ErrorKind::model) == "m.json: 'ood' mahalanobis needs 'class_means' and 'variance'");
  CHECK(test::error_of([] { skin::parse_ood_method("odin"); }, skin::ErrorKind::usage) ==
        "unknown OOD method 'odin' (use msp, energy or mahalanobis)");
}
