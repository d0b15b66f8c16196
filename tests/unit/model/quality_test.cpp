// quality_test.cpp: blur, exposure and size checks (skin/model/quality.hpp).
#include "skin/model/quality.hpp"

#include <random>

#include <doctest/doctest.h>
#include <opencv2/imgproc.hpp>

namespace {

skin::InputSpec spec224() {
  skin::InputSpec s;
  s.width = s.height = 224;
  return s;
}

cv::Mat textured(int w, int h, int level) {
  cv::Mat m(h, w, CV_8UC3);
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> noise(-40, 40);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) m.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uchar>(level + noise(rng));
  return m;
}

const skin::QualityCheck& find(const std::vector<skin::QualityCheck>& checks, const std::string& name) {
  for (const auto& c : checks)
    if (c.name == name) return c;
  FAIL("no check named " << name);
  return checks.front();
}

}  // namespace

TEST_CASE("a sharp, well-exposed, large image passes every check") {
  auto checks = skin::assess_quality(textured(300, 300, 140), spec224());
  REQUIRE(checks.size() == 3);
  for (const auto& c : checks) {
    CAPTURE(c.name);
    CHECK(c.ok);
    CHECK(c.message.empty());
  }
}

TEST_CASE("each check fails on its own defect, with a message") {
  cv::Mat flat(300, 300, CV_8UC3, cv::Scalar(140, 140, 140));
  auto blur = find(skin::assess_quality(flat, spec224()), "blur");
  CHECK_FALSE(blur.ok);
  CHECK(blur.score == doctest::Approx(0.0));
  CHECK(blur.message.find("blurred") != std::string::npos);

  auto dark = find(skin::assess_quality(textured(300, 300, 30), spec224()), "exposure");
  CHECK_FALSE(dark.ok);
  CHECK(dark.message.find("too dark") != std::string::npos);
  auto bright = find(skin::assess_quality(textured(300, 300, 250), spec224()), "exposure");
  CHECK_FALSE(bright.ok);
  CHECK(bright.message.find("too bright") != std::string::npos);

  auto small = find(skin::assess_quality(textured(200, 100, 140), spec224()), "size");
  CHECK_FALSE(small.ok);
  CHECK(small.score == 100);
  CHECK(small.message == "image is small (200x100, shorter side under 112 px): details may be lost");
  CHECK(find(skin::assess_quality(textured(200, 112, 140), spec224()), "size").ok);  // exactly half passes
}

TEST_CASE("quality_to_json keeps every field") {
  auto j = skin::quality_to_json({{"blur", 3.5, "rule", false, "msg"}});
  CHECK(j ==
        nlohmann::json::parse(R"([{"check": "blur", "score": 3.5, "rule": "rule", "ok": false, "message": "msg"}])"));
}
