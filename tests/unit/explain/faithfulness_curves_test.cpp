// faithfulness_curves_test.cpp: deletion/insertion curves, pixel rankings and bootstrap CIs
// (skin/explain/faithfulness.hpp) on fixtures; the real-data test is faithfulness_test.cpp.
#include <doctest/doctest.h>
#include <opencv2/imgproc.hpp>

#include "skin/explain/faithfulness.hpp"
#include "skin/input/image.hpp"
#include "support.hpp"

TEST_CASE("curve area is the trapezoid rule over [0, 1]; drops interpolate between points") {
  skin::Curve c{{1.0, 0.5, 0.0}};
  CHECK(c.area() == doctest::Approx(0.5));  // (1+0.5)/2 * 0.5 + (0.5+0)/2 * 0.5
  skin::Curve d{{0.8, 0.6, 0.6, 0.2, 0.0, 0.0}};
  CHECK(d.area() == doctest::Approx((0.7 + 0.6 + 0.4 + 0.1 + 0.0) / 5));
  CHECK(d.drop_at(0.0) == doctest::Approx(0.0));
  CHECK(d.drop_at(0.2) == doctest::Approx(0.2));
  CHECK(d.drop_at(0.5) == doctest::Approx(0.8 - 0.4));  // halfway between 0.6 and 0.2
  CHECK(d.drop_at(1.0) == doctest::Approx(0.8));
}

TEST_CASE("rankings: highest value first, ties in a seeded random order, not by position") {
  cv::Mat map = cv::Mat::zeros(4, 4, CV_32F);
  map.at<float>(2, 3) = 1.0f;
  map.at<float>(0, 1) = 0.5f;
  const auto order = skin::rank_pixels(map, 5);
  REQUIRE(order.size() == 16);
  CHECK(order[0] == 2 * 4 + 3);
  CHECK(order[1] == 1);
  CHECK(skin::rank_pixels(map, 5) == order);
  std::vector<int> tail(order.begin() + 2, order.end()), sorted = tail;
  std::sort(sorted.begin(), sorted.end());
  CHECK(tail != sorted);  // the 14 zeros are not left in raster order
  CHECK(skin::rank_pixels(map, 6) != order);
  const cv::Mat prior = skin::centre_prior({5, 3});
  cv::Point best;
  cv::minMaxLoc(prior, nullptr, nullptr, nullptr, &best);
  CHECK(best == cv::Point(2, 1));
  CHECK(prior.at<float>(0, 0) < prior.at<float>(1, 1));
}

TEST_CASE("heatmap step: large for nearest-neighbour blocks, small for a bilinear ramp") {
  cv::Mat cells = (cv::Mat_<float>(2, 2) << 0.0f, 1.0f, 1.0f, 0.0f), blocks, smooth;
  cv::resize(cells, blocks, cv::Size(448, 448), 0, 0, cv::INTER_NEAREST);
  CHECK(skin::heatmap_step_p999(blocks) >= 200);
  cv::Mat ramp(448, 448, CV_32F);
  for (int y = 0; y < ramp.rows; ++y)
    for (int x = 0; x < ramp.cols; ++x) ramp.at<float>(y, x) = float(x) / 447.0f;
  CHECK(skin::heatmap_step_p999(ramp) <= 2);
}

TEST_CASE("bootstrap mean: the mean exactly, a CI around it that narrows with more images") {
  const std::vector<double> same(20, 0.3);
  auto flat = skin::bootstrap_mean(same, 500, 1);
  CHECK(flat.mean == doctest::Approx(0.3));
  CHECK(flat.low == doctest::Approx(0.3));
  CHECK(flat.high == doctest::Approx(0.3));
  std::vector<double> small, large;
  for (int i = 0; i < 10; ++i) small.push_back(i % 2);
  for (int i = 0; i < 1000; ++i) large.push_back(i % 2);
  auto a = skin::bootstrap_mean(small, 2000, 1), b = skin::bootstrap_mean(large, 2000, 1);
  CHECK(a.mean == doctest::Approx(0.5));
  CHECK(a.low < 0.5);
  CHECK(a.high > 0.5);
  CHECK((b.high - b.low) < (a.high - a.low) / 5);
  // Normal approximation for n = 1000: 1.96 * 0.5 / sqrt(1000) = 0.031 either side.
  CHECK(b.high - 0.5 == doctest::Approx(0.031).epsilon(0.2));
}

TEST_CASE("measured curves start and end where they must, for every ranking") {
  skin::Classifier two(test::model("tiny2"));
  const cv::Mat image = skin::load_image(test::image("good/plain.png"), {});
  skin::FaithfulnessOptions o;
  o.steps = 5;
  const auto m = skin::measure_faithfulness(two, image, skin::SaliencyMethod::occlusion, o, 0);
  for (std::size_t r = 0; r < 3; ++r) {
    REQUIRE(m.deletion[r].probability.size() == 6);
    REQUIRE(m.insertion[r].probability.size() == 6);
    CHECK(m.deletion[r].probability.front() == doctest::Approx(m.probability).epsilon(1e-5));  // nothing blurred
    CHECK(m.insertion[r].probability.back() == doctest::Approx(m.probability).epsilon(1e-5));  // all revealed
    // Fully blurred is the same image whichever order got there.
    CHECK(m.deletion[r].probability.back() == doctest::Approx(m.insertion[0].probability.front()).epsilon(1e-5));
  }
  const auto report = skin::faithfulness_report("occlusion", two.manifest().labels, {"plain.png"}, {m}, o);
  CHECK(report["summary"]["images"] == 1);
  CHECK(report["images"][0]["deletion"]["centre"]["probability"].size() == 6);
  CHECK(report["summary"]["rankings"]["method"]["deletion_area"]["mean"].get<double>() ==
        doctest::Approx(m.deletion[0].area()));
  CHECK(report["summary"]["method_minus_centre"]["deletion_drop_at_20"]["mean"].get<double>() ==
        doctest::Approx(m.deletion[0].drop_at(0.2) - m.deletion[2].drop_at(0.2)));
}
