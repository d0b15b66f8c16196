// adaptation_test.cpp: the class-balanced weights of `adapt --weighting class-balanced` on
// hand-worked cases (skin/model/adaptation.hpp); tests/adapt/check_adapt_reference.py checks the
// weighted statistics themselves against PyTorch.
#include "skin/model/adaptation.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

TEST_CASE("class-balanced weights give each predicted class an equal share and average 1") {
  // Three images sure of class 0 and one sure of class 1 (class 2 never predicted): two classes
  // present, so each gets half of the 4 images' weight: 2/3 for each of the three, 2 for the one.
  const std::vector<float> one_hot{1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0};
  const std::vector<double> w = skin::class_balanced_weights(one_hot, 4, 3);
  REQUIRE(w.size() == 4);
  CHECK(w[0] == doctest::Approx(2.0 / 3));
  CHECK(w[2] == doctest::Approx(2.0 / 3));
  CHECK(w[3] == doctest::Approx(2.0));

  // Soft probabilities: class masses 0.9 + 0.3 = 1.2 and 0.1 + 0.7 = 0.8 over two images;
  // w_0 = 2 (0.9 / 2.4 + 0.1 / 1.6) = 0.875, w_1 = 2 (0.3 / 2.4 + 0.7 / 1.6) = 1.125.
  const std::vector<double> soft = skin::class_balanced_weights({0.9f, 0.1f, 0.3f, 0.7f}, 2, 2);
  CHECK(soft[0] == doctest::Approx(0.875));
  CHECK(soft[1] == doctest::Approx(1.125));
  CHECK(soft[0] + soft[1] == doctest::Approx(2.0));

  // Every image predicted alike: the weights are all 1 (uniform statistics).
  for (double x : skin::class_balanced_weights({0.2f, 0.5f, 0.3f, 0.2f, 0.5f, 0.3f, 0.2f, 0.5f, 0.3f}, 3, 3))
    CHECK(x == doctest::Approx(1.0));

  CHECK(test::error_of(
            [] {
              skin::class_balanced_weights({0.5f, 0.5f, 1.0f}, 2, 2);
            },
            skin::ErrorKind::usage) == "class_balanced_weights: 3 probabilities for 2 images x 2 classes");
}
