// dataset_shift_test.cpp: the standardised Fréchet score on hand-computed cases (the CLI test
// recomputes it with torch on a model's real features).
#include "skin/robustness/dataset_shift.hpp"

#include <doctest/doctest.h>

namespace {
skin::FeatureStatistics reference() {
  skin::FeatureStatistics r;
  r.mean = {1.0, 0.0};
  r.std = {2.0, 0.5};
  r.n = 100;
  return r;
}
}  // namespace

TEST_CASE("score: mean over channels of ((m - mu)^2 + (s - sigma)^2) / sigma^2") {
  skin::FeatureMoments images;
  images.add({3.0f, 1.0f});
  images.add({5.0f, 1.0f});
  // Channel 0: m 4, s 1 -> (9 + 1) / 4 = 2.5; channel 1: m 1, s 0 -> (1 + 0.25) / 0.25 = 5.
  const auto score = skin::dataset_shift_score(reference(), images);
  REQUIRE(score);
  CHECK(*score == doctest::Approx(3.75).epsilon(1e-12));
  const auto j = skin::dataset_shift_json(reference(), images, 0.8);
  CHECK(j["images"] == 2);
  CHECK(j["threshold"].is_null());
  CHECK(j["warning"] == false);
  CHECK(skin::dataset_shift_warning(j).empty());
}

TEST_CASE("over the threshold: a warning line; fewer than two images: no score; silent channels are floored") {
  skin::FeatureStatistics r = reference();
  r.warning_threshold = 1.0;
  skin::FeatureMoments images;
  images.add({3.0f, 1.0f});
  CHECK_FALSE(skin::dataset_shift_score(r, images));
  images.add({5.0f, 1.0f});
  const auto j = skin::dataset_shift_json(r, images, 0.5);
  CHECK(j["warning"] == true);
  CHECK(skin::dataset_shift_warning(j).find("these 2 images look unlike the model's training data") !=
        std::string::npos);
  CHECK(skin::dataset_shift_summary(j).find("UNLIKE THE TRAINING DATA") != std::string::npos);

  // A channel with zero training spread uses 5% of the median spread: (0.1^2) / (0.05 * 1.25)^2.
  skin::FeatureStatistics silent;
  silent.mean = {0.0, 0.0, 0.0};
  silent.std = {0.0, 1.25, 2.0};
  skin::FeatureMoments one_off;
  one_off.add({0.1f, 0.0f, 0.0f});
  one_off.add({0.1f, 0.0f, 0.0f});
  const double expected = ((0.01 / (0.0625 * 0.0625)) + (1.25 * 1.25) / (1.25 * 1.25) + 4.0 / 4.0) / 3.0;
  CHECK(*skin::dataset_shift_score(silent, one_off) == doctest::Approx(expected).epsilon(1e-6));
  CHECK_THROWS(one_off.add({1.0f}));
}
