// faithfulness_test.cpp: a deletion test of the saliency maps on real held-out images, in the
// spirit of ROAD / remove-most-relevant-first: blurring the 20% most salient pixels must lower
// the predicted class's probability more, on average, than blurring 20% random pixels.
// Needs the shared HAM10000 data and the bundled model; exits 77 (skipped) without them.
#include <cstdlib>
#include <fstream>
#include <random>

#include <doctest/doctest.h>
#include <opencv2/imgproc.hpp>

#include "skin/image.hpp"
#include "skin/model_locator.hpp"
#include "skin/preprocess.hpp"
#include "skin/saliency.hpp"

namespace {

struct Drops {
  double salient = 0, random = 0;
  int images = 0;
};

// The explained class's probability on each of the two perturbed images, in one forward pass.
std::pair<float, float> probabilities_after(skin::Classifier& c, const cv::Mat& a, const cv::Mat& b, std::size_t cls) {
  std::vector<float> input(2 * c.input_size());
  skin::preprocess_into(a, c.manifest().input, input.data());
  skin::preprocess_into(b, c.manifest().input, input.data() + c.input_size());
  const std::vector<float> p = c.predict(input.data(), 2);
  return {p[cls], p[c.num_classes() + cls]};
}

Drops deletion_drops(skin::SaliencyMethod method, int count) {
  const char* shared = std::getenv("SKINSCAN_SHARED_DATA");
  const char* source = std::getenv("SKINSCAN_SOURCE");
  std::ifstream ids(std::string(source ? source : ".") + "/datasets/splits/test.txt");
  if (!shared || !ids || !std::ifstream(std::string(shared) + "/HAM10000_metadata.csv")) {
    MESSAGE("SKIPPED: shared HAM10000 data not found");
    std::exit(77);
  }
  skin::Classifier c(skin::locate_model("", ""));
  std::mt19937 rng(11);
  Drops d;
  std::string id;
  while (d.images < count && std::getline(ids, id)) {
    const std::string path = std::string(shared) + "/HAM10000_images/" + id + ".jpg";
    if (!std::ifstream(path)) continue;
    cv::Mat image = skin::load_image(path, {});
    skin::Saliency s = skin::compute_saliency(c, image, method);
    const float before = s.probabilities[s.class_index];
    cv::Mat blurred;
    cv::GaussianBlur(image, blurred, cv::Size(0, 0), 8.0);
    // Threshold at the 80th percentile of the map: the 20% most salient pixels.
    std::vector<float> values(s.map.begin<float>(), s.map.end<float>());
    std::nth_element(values.begin(), values.begin() + values.size() * 8 / 10, values.end());
    cv::Mat salient_mask = s.map > values[values.size() * 8 / 10];
    cv::Mat random_mask(image.size(), CV_8U);
    std::uniform_real_distribution<float> u(0, 1);
    for (auto it = random_mask.begin<std::uint8_t>(); it != random_mask.end<std::uint8_t>(); ++it)
      *it = u(rng) < 0.2f ? 255 : 0;
    cv::Mat a = image.clone(), b = image.clone();
    blurred.copyTo(a, salient_mask);
    blurred.copyTo(b, random_mask);
    const auto [salient, random] = probabilities_after(c, a, b, s.class_index);
    d.salient += before - salient;
    d.random += before - random;
    ++d.images;
  }
  d.salient /= d.images;
  d.random /= d.images;
  return d;
}

}  // namespace

TEST_CASE("grad-cam: blurring the most salient 20% hurts more than blurring random 20%") {
  Drops d = deletion_drops(skin::SaliencyMethod::grad_cam, 40);
  MESSAGE("grad-cam deletion test on " << d.images << " test images: mean drop salient " << d.salient << ", random "
                                       << d.random);
  CHECK(d.images == 40);
  CHECK(d.salient > d.random);
}

TEST_CASE("occlusion: blurring the most salient 20% hurts more than blurring random 20%") {
  Drops d = deletion_drops(skin::SaliencyMethod::occlusion, 8);
  MESSAGE("occlusion deletion test on " << d.images << " test images: mean drop salient " << d.salient << ", random "
                                        << d.random);
  CHECK(d.salient > d.random);
}
