// preprocess_test.cpp: resize modes, colour order and normalisation (skin/model/preprocess.hpp).
#include "skin/model/preprocess.hpp"

#include <doctest/doctest.h>

TEST_CASE("normalisation follows scale, mean and std per channel in the manifest's colour order") {
  skin::InputSpec spec;
  spec.width = spec.height = 8;
  spec.mean = {0.5f, 0.25f, 0.0f};
  spec.std = {0.5f, 0.25f, 1.0f};
  cv::Mat bgr(8, 8, CV_8UC3, cv::Scalar(0, 51, 255));  // B=0, G=51, R=255
  std::vector<float> out(3 * 64);
  SUBCASE("RGB") {
    skin::preprocess_into(bgr, spec, out.data());
    CHECK(out[0] == doctest::Approx((1.0 - 0.5) / 0.5));     // R plane first
    CHECK(out[64] == doctest::Approx((0.2 - 0.25) / 0.25));  // G
    CHECK(out[128] == doctest::Approx(0.0));                 // B
  }
  SUBCASE("BGR") {
    spec.color_order = skin::ColorOrder::bgr;
    skin::preprocess_into(bgr, spec, out.data());
    CHECK(out[0] == doctest::Approx((0.0 - 0.5) / 0.5));
    CHECK(out[128] == doctest::Approx(1.0));
  }
}

TEST_CASE("resize modes") {
  skin::InputSpec spec;
  spec.width = spec.height = 10;
  cv::Mat wide(10, 40, CV_8UC3, cv::Scalar(255, 255, 255));
  wide(cv::Rect(0, 0, 15, 10)).setTo(cv::Scalar(0, 0, 0));  // left part black
  SUBCASE("stretch keeps everything, squashed") {
    cv::Mat r = skin::resize_for_model(wide, spec);
    CHECK(r.size() == cv::Size(10, 10));
    CHECK(r.at<cv::Vec3b>(5, 0)[0] == 0);
    CHECK(r.at<cv::Vec3b>(5, 9)[0] == 255);
  }
  SUBCASE("center_crop keeps the middle") {
    spec.resize = skin::ResizeMode::center_crop;
    cv::Mat r = skin::resize_for_model(wide, spec);
    CHECK(r.size() == cv::Size(10, 10));
    CHECK(r.at<cv::Vec3b>(5, 0)[0] == 255);  // black strip (x < 15) is cropped away
  }
  SUBCASE("pad letterboxes on black") {
    spec.resize = skin::ResizeMode::pad;
    cv::Mat r = skin::resize_for_model(wide, spec);
    CHECK(r.size() == cv::Size(10, 10));
    CHECK(r.at<cv::Vec3b>(0, 9)[0] == 0);    // padding row
    CHECK(r.at<cv::Vec3b>(5, 9)[0] == 255);  // image row
  }
}
