// artefacts_test.cpp: where the artefacts go and that they are reproducible (their drawings are
// checked against numpy in tests/shift/check_corruptions_reference.py).
#include "skin/robustness/artefacts.hpp"

#include <doctest/doctest.h>
#include <opencv2/imgproc.hpp>

#include "skin/robustness/corruptions.hpp"

namespace {
// Light skin with a dark round lesion centred at (cx, cy).
cv::Mat skin_with_lesion(int cols, int rows, int cx, int cy, int radius) {
  cv::Mat m(rows, cols, CV_8UC3, cv::Scalar(150, 170, 220));
  cv::circle(m, {cx, cy}, radius, cv::Scalar(40, 60, 110), cv::FILLED);
  return m;
}
cv::Mat changed_pixels(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  cv::cvtColor(diff, diff, cv::COLOR_BGR2GRAY);
  return diff > 0;
}
}  // namespace

TEST_CASE("lesion geometry finds an off-centre lesion; without one, the image centre") {
  const cv::Mat image = skin_with_lesion(300, 240, 170, 110, 40);
  const skin::LesionGeometry g = skin::lesion_geometry(image);
  CHECK(g.found);
  CHECK(g.cx == doctest::Approx(170).epsilon(0.03));
  CHECK(g.cy == doctest::Approx(110).epsilon(0.03));
  CHECK(g.radius > 40);  // the mask is dilated by 5% of the short side
  CHECK(g.radius < 60);
  const cv::Mat plain(240, 300, CV_8UC3, cv::Scalar(150, 170, 220));
  const skin::LesionGeometry none = skin::lesion_geometry(plain);
  CHECK_FALSE(none.found);
  CHECK(none.cx == 150);
  CHECK(none.cy == 120);
  CHECK(none.radius == 48);
}

TEST_CASE("ink surrounds the lesion and never touches its centre, for any seed") {
  const cv::Mat image = skin_with_lesion(300, 240, 150, 120, 45);
  const skin::LesionGeometry g = skin::lesion_geometry(image);
  const double keep_out = skin::ink_ring_radius(image, g) / 2;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const cv::Mat inked = skin::corrupt(image, skin::Corruption::ink, 5, seed);
    const cv::Mat changed = changed_pixels(image, inked);
    CHECK(cv::countNonZero(changed) > 0);
    cv::Mat centre = cv::Mat::zeros(image.size(), CV_8U);
    cv::circle(centre, {int(g.cx), int(g.cy)}, int(keep_out), 255, cv::FILLED);
    CHECK(cv::countNonZero(changed & centre) == 0);
  }
}

TEST_CASE("artefacts are reproducible per seed, differ between seeds, and grow with severity") {
  const cv::Mat image = skin_with_lesion(260, 200, 130, 100, 35);
  for (skin::Corruption c : skin::parse_corruptions("artefacts")) {
    CAPTURE(skin::corruption_name(c));
    CHECK(skin::is_artefact(c));
    const cv::Mat a = skin::corrupt(image, c, 3, 11), b = skin::corrupt(image, c, 3, 11);
    CHECK(cv::norm(a, b, cv::NORM_INF) == 0);
    const cv::Mat other = skin::corrupt(image, c, 3, 12);
    if (c != skin::Corruption::patch && c != skin::Corruption::ruler)  // one draw picks a corner / edge
      CHECK(cv::norm(a, other, cv::NORM_INF) > 0);
    CHECK(cv::countNonZero(changed_pixels(image, skin::corrupt(image, c, 5, 11))) >
          cv::countNonZero(changed_pixels(image, skin::corrupt(image, c, 1, 11))));
  }
  CHECK_FALSE(skin::is_artefact(skin::Corruption::blur));
}

TEST_CASE("the colour patch sits in one corner and the ruler along one edge") {
  const cv::Mat image(200, 260, CV_8UC3, cv::Scalar(150, 170, 220));
  const cv::Mat patched = changed_pixels(image, skin::corrupt(image, skin::Corruption::patch, 5, 3));
  const cv::Rect bounds = cv::boundingRect(patched);
  const bool left = bounds.x < 10, top = bounds.y < 10;
  CHECK((left || bounds.x + bounds.width > 250));
  CHECK((top || bounds.y + bounds.height > 190));
  CHECK(bounds.width == doctest::Approx(0.26 * 200 + 2).epsilon(0.05));
  const cv::Rect ruler = cv::boundingRect(changed_pixels(image, skin::corrupt(image, skin::Corruption::ruler, 5, 3)));
  const bool along_x = ruler.width > 200, along_y = ruler.height > 150;
  CHECK((along_x || along_y));
  CHECK(std::min(ruler.width, ruler.height) < 20);
}

TEST_CASE("the uniform stream is in [0, 1) and reproducible") {
  for (std::uint64_t k = 0; k < 1000; ++k) {
    const double u = skin::artefact_uniform(99, k);
    CHECK(u >= 0);
    CHECK(u < 1);
    CHECK(u == skin::artefact_uniform(99, k));
  }
  CHECK(skin::artefact_uniform(1, 0) != skin::artefact_uniform(2, 0));
}
