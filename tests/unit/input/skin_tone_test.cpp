// skin_tone_test.cpp: CIELAB of known colours, Chardon's categories at their edges, and the ITA of
// a synthetic lesion on skin (skin/input/skin_tone.hpp); scikit-image checks the rest
// (tests/explain/check_skin_tone.py).
#include "skin/input/skin_tone.hpp"

#include <doctest/doctest.h>
#include <opencv2/imgproc.hpp>

TEST_CASE("CIELAB of white, black and sRGB red") {
  cv::Mat bgr(1, 3, CV_8UC3);
  bgr.at<cv::Vec3b>(0, 0) = {255, 255, 255};
  bgr.at<cv::Vec3b>(0, 1) = {0, 0, 0};
  bgr.at<cv::Vec3b>(0, 2) = {0, 0, 255};
  const cv::Mat lab = skin::srgb_to_lab(bgr);
  CHECK(lab.at<cv::Vec3d>(0, 0)[0] == doctest::Approx(100.0).epsilon(1e-6));
  CHECK(std::abs(lab.at<cv::Vec3d>(0, 0)[1]) < 0.01);  // 0.0025 in scikit-image too (its matrix's rounding)
  CHECK(lab.at<cv::Vec3d>(0, 1)[0] == doctest::Approx(0.0));
  // skimage.color.rgb2lab([[[1, 0, 0]]]) = (53.2408, 80.0925, 67.2032)
  CHECK(lab.at<cv::Vec3d>(0, 2)[0] == doctest::Approx(53.2408).epsilon(1e-5));
  CHECK(lab.at<cv::Vec3d>(0, 2)[1] == doctest::Approx(80.0925).epsilon(1e-5));
  CHECK(lab.at<cv::Vec3d>(0, 2)[2] == doctest::Approx(67.2032).epsilon(1e-5));
}

TEST_CASE("Chardon's categories, edges included in the darker one") {
  CHECK(skin::ita_category(55.01) == "very_light");
  CHECK(skin::ita_category(55) == "light");
  CHECK(skin::ita_category(41) == "intermediate");
  CHECK(skin::ita_category(28) == "tan");
  CHECK(skin::ita_category(10) == "brown");
  CHECK(skin::ita_category(-30) == "dark");
}

TEST_CASE("the ITA comes from the skin around the lesion, not the lesion") {
  cv::Mat image(240, 320, CV_8UC3, cv::Scalar(185, 200, 235));  // BGR light skin
  cv::circle(image, {160, 120}, 60, cv::Scalar(20, 25, 40), cv::FILLED);
  const auto tone = skin::measure_skin_tone(image);
  REQUIRE(tone);
  CHECK(tone->category == "very_light");
  const cv::Mat lab = skin::srgb_to_lab(cv::Mat(1, 1, CV_8UC3, cv::Scalar(185, 200, 235)));
  const cv::Vec3d v = lab.at<cv::Vec3d>(0, 0);
  CHECK(tone->ita == doctest::Approx(std::atan2(v[0] - 50, v[2]) * 180 / M_PI).epsilon(1e-9));
  // Lesion nearly everywhere (skin in two rows, inside the dilation): too little skin for an ITA.
  cv::Mat covered(100, 100, CV_8UC3, cv::Scalar(20, 25, 40));
  covered.rowRange(0, 2).setTo(cv::Scalar(185, 200, 235));
  CHECK_FALSE(skin::measure_skin_tone(covered));
}
