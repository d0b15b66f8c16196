// saliency_test.cpp: Grad-CAM and occlusion maps, geometry and rendering (skin/explain/saliency.hpp).
#include "skin/explain/saliency.hpp"

#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "skin/input/image.hpp"
#include "support.hpp"

namespace {
void check_map(const skin::Saliency& s, const cv::Mat& image) {
  CHECK(s.map.type() == CV_32F);
  CHECK(s.map.size() == image.size());
  double lo, hi;
  cv::minMaxLoc(s.map, &lo, &hi);
  CHECK(lo >= 0.0);
  CHECK(hi <= 1.0 + 1e-6);
}
}  // namespace

TEST_CASE("grad-cam through exported methods, occlusion for any model") {
  cv::Mat image = skin::load_image(test::image("good/plain.png"), {});
  skin::Classifier seven(test::model("tiny7"));
  skin::Classifier two(test::model("tiny2"));
  CHECK(skin::supports_grad_cam(seven));
  CHECK_FALSE(skin::supports_grad_cam(two));
  CHECK(skin::compute_saliency(seven, image, skin::SaliencyMethod::automatic).method == skin::kDefaultSaliencyMethod);
  auto g = skin::compute_saliency(seven, image, skin::SaliencyMethod::grad_cam_pp);
  CHECK(g.method == skin::SaliencyMethod::grad_cam_pp);
  CHECK(skin::compute_saliency(seven, image, skin::SaliencyMethod::grad_cam).method == skin::SaliencyMethod::grad_cam);
  check_map(g, image);
  auto o = skin::compute_saliency(two, image, skin::SaliencyMethod::automatic, 1);
  CHECK(o.method == skin::kDefaultSaliencyMethod);  // an occlusion: the model exports no methods
  CHECK(o.class_index == 1);
  check_map(o, image);
  CHECK_THROWS_WITH_AS(skin::compute_saliency(two, image, skin::SaliencyMethod::grad_cam),
                       "model 'tiny2' exports no features/head methods: use --method occlusion", skin::Error);
}

// The values are checked against a PyTorch reference in tests/explain/check_saliency_reference.py;
// here the native path runs (under the sanitizers too).
TEST_CASE("an ensemble is explained member by member, its map combined from each member's own") {
  cv::Mat image = skin::load_image(test::image("good/plain.png"), {});
  skin::Classifier ensemble(test::model("tiny7_ensemble"));
  CHECK(skin::supports_grad_cam(ensemble));
  CHECK_FALSE(ensemble.manifest().member_features_method.empty());
  for (auto method : {skin::SaliencyMethod::grad_cam, skin::SaliencyMethod::grad_cam_pp}) {
    auto s = skin::compute_saliency(ensemble, image, method);
    check_map(s, image);
    double hi;
    cv::minMaxLoc(s.input_map, nullptr, &hi);
    CHECK(hi == doctest::Approx(1.0));  // scaled to its maximum, as a single model's map
  }
}

TEST_CASE("maps return to the original geometry for every resize mode") {
  skin::InputSpec spec;
  spec.width = spec.height = 10;
  cv::Mat m = cv::Mat::zeros(10, 10, CV_32F);
  m(cv::Rect(0, 0, 5, 10)).setTo(1.0f);  // left half of the input is salient
  cv::Size wide(40, 20);
  SUBCASE("stretch") {
    spec.resize = skin::ResizeMode::stretch;
    cv::Mat out = skin::map_to_image(m, wide, spec);
    CHECK(out.size() == wide);
    CHECK(out.at<float>(10, 5) == doctest::Approx(1.0f));
    CHECK(out.at<float>(10, 35) == doctest::Approx(0.0f));
  }
  SUBCASE("center_crop: the cropped-away sides were never seen") {
    spec.resize = skin::ResizeMode::center_crop;
    cv::Mat out = skin::map_to_image(m, wide, spec);
    CHECK(out.size() == wide);
    CHECK(out.at<float>(10, 2) == doctest::Approx(0.0f));   // left quarter cropped away
    CHECK(out.at<float>(10, 14) == doctest::Approx(1.0f));  // left half of the centre
  }
  SUBCASE("pad: padding is dropped") {
    spec.resize = skin::ResizeMode::pad;
    cv::Mat out = skin::map_to_image(m, wide, spec);
    CHECK(out.size() == wide);
    CHECK(out.at<float>(10, 5) == doctest::Approx(1.0f));
  }
}

TEST_CASE("overlay and heatmap keep the image size") {
  cv::Mat image(90, 120, CV_8UC3, cv::Scalar(30, 60, 90));
  cv::Mat map(90, 120, CV_32F, cv::Scalar(0.5f));
  CHECK(skin::render_overlay(image, map, "nv 90.0% (grad-cam)").size() == image.size());
  cv::Mat heat = skin::render_heatmap(map);
  CHECK(heat.type() == CV_8U);
  CHECK(int(heat.at<std::uint8_t>(0, 0)) == 128);  // 0.5 * 255 rounded
}

TEST_CASE("blurred-patch occlusion: its own name, and nothing to find where blurring changes nothing") {
  CHECK(skin::parse_saliency_method("occlusion-blur") == skin::SaliencyMethod::occlusion_blur);
  CHECK(std::string(skin::saliency_method_name(skin::SaliencyMethod::occlusion_blur)) == "occlusion-blur");
  CHECK_THROWS_AS(skin::parse_saliency_method("occlusion_blur"), skin::Error);
  skin::Classifier two(test::model("tiny2"));  // no exported methods: occlusion needs none
  const cv::Mat textured = skin::load_image(test::image("good/plain.png"), {});
  const auto s = skin::compute_saliency(two, textured, skin::SaliencyMethod::occlusion_blur);
  CHECK(s.method == skin::SaliencyMethod::occlusion_blur);
  check_map(s, textured);
  // A uniform image blurs to itself: no patch changes the input, so no position matters.
  const cv::Mat flat(64, 64, CV_8UC3, cv::Scalar(40, 90, 200));
  const auto none = skin::compute_saliency(two, flat, skin::SaliencyMethod::occlusion_blur);
  CHECK(cv::countNonZero(none.input_map > 1e-6) == 0);
}
