// prediction_test.cpp: top-k, malignant probability and ids (skin/model/prediction.hpp).
#include "skin/model/prediction.hpp"

#include <doctest/doctest.h>

TEST_CASE("top_k orders by probability and breaks ties by label order") {
  CHECK(skin::top_k({0.2f, 0.5f, 0.2f, 0.1f}, 3) == std::vector<std::size_t>{1, 0, 2});
  CHECK(skin::top_k({0.5f, 0.5f}, 5) == std::vector<std::size_t>{0, 1});
}

TEST_CASE("malignant probability sums the manifest's malignant labels") {
  skin::Manifest m;
  m.labels = {"a", "b", "c"};
  m.malignant = {"a", "c"};
  CHECK(skin::malignant_probability({0.25f, 0.5f, 0.25f}, m) == doctest::Approx(0.5));
}

TEST_CASE("image ids drop directory and extension") {
  CHECK(skin::image_id("/x/y/ISIC_0024306.jpg") == "ISIC_0024306");
  CHECK(skin::image_id("noext") == "noext");
}
