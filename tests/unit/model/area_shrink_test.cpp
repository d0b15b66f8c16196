// area_shrink_test.cpp: skin::area_shrink gives cv::resize(INTER_AREA)'s bits (skin/model/area_shrink.hpp).
#include "skin/model/area_shrink.hpp"

#include <doctest/doctest.h>
#include <opencv2/imgproc.hpp>

namespace {

cv::Mat opencv_area(const cv::Mat& image, cv::Size size) {
  cv::Mat out;
  cv::resize(image, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

}  // namespace

TEST_CASE("area shrinking matches OpenCV's INTER_AREA to the bit, whatever the sizes and content") {
  cv::RNG rng(7);
  int compared = 0;
  for (int trial = 0; trial < 600; ++trial) {
    const cv::Size from(rng.uniform(2, 640), rng.uniform(2, 480));
    const cv::Size to(rng.uniform(1, from.width), rng.uniform(1, from.height));
    cv::Mat image(from, CV_8UC3);
    switch (trial % 3) {
      case 0:
        rng.fill(image, cv::RNG::UNIFORM, 0, 256);
        break;
      case 1:  // near-saturated: sums that round around 255
        rng.fill(image, cv::RNG::UNIFORM, 250, 256);
        break;
      default:  // smooth content, where sums land near .5 more often than in noise
        cv::resize(cv::Mat(3, 4, CV_8UC3, cv::Scalar(17, 128, 240)) + cv::Scalar::all(trial % 5), image, from, 0, 0,
                   cv::INTER_LINEAR);
        break;
    }
    CAPTURE(from);
    CAPTURE(to);
    const cv::Mat ours = skin::area_shrink(image, to);
    REQUIRE(ours.size() == to);
    REQUIRE(ours.type() == CV_8UC3);
    CHECK(cv::norm(ours, opencv_area(image, to), cv::NORM_INF) == 0);
    ++compared;
  }
  CHECK(compared == 600);
}

TEST_CASE("the model's own case: a half-scale 600x450 decode to 160x160, and integer factors") {
  cv::Mat image(225, 300, CV_8UC3);
  cv::randu(image, 0, 256);
  CHECK(cv::norm(skin::area_shrink(image, {160, 160}), opencv_area(image, {160, 160}), cv::NORM_INF) == 0);
  cv::Mat even(320, 320, CV_8UC3);
  cv::randu(even, 0, 256);
  CHECK(cv::norm(skin::area_shrink(even, {160, 160}), opencv_area(even, {160, 160}), cv::NORM_INF) == 0);
  CHECK(cv::norm(skin::area_shrink(even, {160, 80}), opencv_area(even, {160, 80}), cv::NORM_INF) == 0);
}

TEST_CASE("area shrinking refuses what it does not do") {
  cv::Mat grey(20, 20, CV_8UC1, cv::Scalar(0));
  cv::Mat colour(20, 20, CV_8UC3, cv::Scalar::all(0));
  CHECK_THROWS(skin::area_shrink(grey, {10, 10}));
  CHECK_THROWS(skin::area_shrink(colour, {20, 10}));  // not smaller in width
  CHECK_THROWS(skin::area_shrink(colour, {30, 10}));
}
