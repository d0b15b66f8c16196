// color_constancy_test.cpp: Shades of Gray against the training code's implementation
// (training/skintrain/color_constancy.py, via the fixture), and in preprocessing when a manifest asks for it
// (skin/model/color_constancy.hpp, skin/model/preprocess.hpp).
#include "skin/model/color_constancy.hpp"

#include <fstream>
#include <vector>

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>

#include "skin/model/preprocess.hpp"
#include "support.hpp"

namespace {

std::vector<double> read_f64(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, path << " missing: run through ctest (make_fixtures)");
  std::vector<double> v;
  double x;
  while (in.read(reinterpret_cast<char*>(&x), sizeof x)) v.push_back(x);
  return v;
}

}  // namespace

TEST_CASE("Shades of Gray matches the Python implementation to 1e-5 per pixel") {
  const std::string dir = test::fixtures() + "/cc/";
  cv::Mat bgr = cv::imread(dir + "cast.png", cv::IMREAD_COLOR);
  REQUIRE(bgr.type() == CV_8UC3);
  const auto expected = read_f64(dir + "expected.f64");  // H x W x RGB
  const auto gains_rgb = read_f64(dir + "gains.f64");
  REQUIRE(expected.size() == bgr.total() * 3);

  const auto gains = skin::shades_of_gray_gains(bgr, 6);  // BGR order
  for (int c = 0; c < 3; ++c)
    CHECK(gains[std::size_t(c)] == doctest::Approx(gains_rgb[std::size_t(2 - c)]).epsilon(1e-12));

  const cv::Mat out = skin::shades_of_gray(bgr, 6);
  double worst = 0, moved = 0;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x)
      for (int c = 0; c < 3; ++c) {
        const double ref = expected[(std::size_t(y) * bgr.cols + x) * 3 + std::size_t(2 - c)];
        worst = std::max(worst, std::abs(out.at<cv::Vec3f>(y, x)[c] - ref) / 255.0);
        moved = std::max(moved, std::abs(bgr.at<cv::Vec3b>(y, x)[c] - ref) / 255.0);
      }
  CHECK(worst < 1e-5);
  CHECK(moved > 0.05);  // the cast is strong: a no-op would fail the comparison above
}

TEST_CASE("preprocessing applies colour constancy only when the manifest asks for it") {
  cv::Mat bgr = cv::imread(test::fixtures() + "/cc/cast.png", cv::IMREAD_COLOR);
  skin::InputSpec spec;
  spec.width = bgr.cols;
  spec.height = bgr.rows;
  std::vector<float> plain(3 * bgr.total()), normalised(3 * bgr.total());
  skin::preprocess_into(bgr, spec, plain.data());
  spec.shades_of_gray_p = 6;
  skin::preprocess_into(bgr, spec, normalised.data());
  const auto expected = read_f64(test::fixtures() + "/cc/expected.f64");
  const std::size_t plane = bgr.total();
  double worst = 0;
  for (std::size_t i = 0; i < plane; ++i)
    for (std::size_t c = 0; c < 3; ++c) {  // output is RGB, CHW, scaled by 1/255
      worst = std::max(worst, std::abs(normalised[c * plane + i] - expected[i * 3 + c] / 255.0));
      CHECK(plain[c * plane + i] ==
            doctest::Approx(double(bgr.at<cv::Vec3b>(int(i) / bgr.cols, int(i) % bgr.cols)[2 - c]) / 255.0));
    }
  CHECK(worst < 1e-5);
}
