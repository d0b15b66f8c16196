// corruptions_test.cpp: names, severities and determinism of evaluate --shift's corruptions (their
// formulas are checked against numpy/PIL in tests/shift/check_corruptions_reference.py).
#include "skin/robustness/corruptions.hpp"

#include <doctest/doctest.h>
#include <opencv2/core.hpp>

#include "skin/core/error.hpp"

namespace {
cv::Mat pattern() {
  cv::Mat m(181, 243, CV_8UC3);  // sizes scale with the shorter side / 224: near the model input size
  cv::randu(m, 0, 256);
  return m;
}
bool same(const cv::Mat& a, const cv::Mat& b) { return a.size() == b.size() && cv::norm(a, b, cv::NORM_INF) == 0; }
}  // namespace

TEST_CASE("corruption names parse, presets expand, unknown names are refused with the list") {
  CHECK(skin::all_corruptions().size() == 16);
  CHECK(skin::parse_corruptions("all") == skin::all_corruptions());
  const auto acquisition = skin::parse_corruptions("acquisition");
  CHECK(acquisition.size() == 11);
  CHECK(acquisition.back() == skin::Corruption::rotate);
  const auto artefacts = skin::parse_corruptions("artefacts");
  REQUIRE(artefacts.size() == 5);
  CHECK(std::string(skin::corruption_name(artefacts[0])) == "ink");
  CHECK(skin::parse_corruptions("blur,artefacts,ink").size() == 6);
  CHECK(skin::parse_corruptions("acquisition,artefacts") == skin::all_corruptions());
  const auto two = skin::parse_corruptions("jpeg,blur,jpeg");
  REQUIRE(two.size() == 2);
  CHECK(two[0] == skin::Corruption::jpeg);
  CHECK(std::string(skin::corruption_name(two[1])) == "blur");
  CHECK_THROWS_WITH_AS(skin::parse_corruptions("blur,fog"),
                       doctest::Contains("unknown corruption 'fog' (known: all, acquisition, artefacts, white_balance"),
                       skin::Error);
  CHECK_THROWS_AS(skin::parse_corruptions(""), skin::Error);
  CHECK(skin::corruption_description(skin::Corruption::jpeg).find("quality = 25, 18, 15, 10, 7") != std::string::npos);
}

TEST_CASE("every corruption keeps size and type, severity 0 is the image, out-of-range severities are refused") {
  const cv::Mat image = pattern();
  for (skin::Corruption c : skin::all_corruptions()) {
    const std::string name = skin::corruption_name(c);
    CAPTURE(name);
    CHECK(same(skin::corrupt(image, c, 0, 1), image));
    for (int s = 1; s <= skin::kMaxSeverity; ++s) {
      const cv::Mat out = skin::corrupt(image, c, s, 1);
      CHECK(out.type() == CV_8UC3);
      CHECK(out.size() == image.size());
      CHECK_FALSE(same(out, image));
    }
    CHECK_THROWS_WITH_AS(skin::corrupt(image, c, 6, 1), "severity 6 is out of range (0-5)", skin::Error);
    CHECK_THROWS_AS(skin::corrupt(image, c, -1, 1), skin::Error);
  }
  cv::Mat grey(8, 8, CV_8UC1, cv::Scalar(3));
  CHECK_THROWS_AS(skin::corrupt(grey, skin::Corruption::blur, 1, 1), skin::Error);
}

TEST_CASE("corrupt_severities gives what corrupt gives at each severity, ink included") {
  const cv::Mat image = pattern();
  for (skin::Corruption c : skin::all_corruptions()) {
    const std::string name = skin::corruption_name(c);
    CAPTURE(name);
    const auto all = skin::corrupt_severities(image, c, 7);
    REQUIRE(all.size() == std::size_t(skin::kMaxSeverity));
    for (int s = 1; s <= skin::kMaxSeverity; ++s) CHECK(same(all[std::size_t(s - 1)], skin::corrupt(image, c, s, 7)));
  }
}

TEST_CASE("noise is reproducible from seed and image id, and differs between images and seeds") {
  const cv::Mat image = pattern();
  const auto noisy = [&](std::uint64_t seed, const char* id) {
    return skin::corrupt(image, skin::Corruption::noise, 3, skin::noise_seed(seed, id));
  };
  CHECK(same(noisy(1, "ISIC_1"), noisy(1, "ISIC_1")));
  CHECK_FALSE(same(noisy(1, "ISIC_1"), noisy(1, "ISIC_2")));
  CHECK_FALSE(same(noisy(1, "ISIC_1"), noisy(2, "ISIC_1")));
  // Stronger severities move pixels further.
  double previous = 0;
  for (int s = 1; s <= skin::kMaxSeverity; ++s) {
    const double moved = cv::norm(skin::corrupt(image, skin::Corruption::blur, s, 1), image, cv::NORM_L2);
    CHECK(moved > previous);
    previous = moved;
  }
}
