// plots_test.cpp: evaluation figures (skin/evaluation/plots.hpp): ROC points and the PNGs.
#include "skin/evaluation/plots.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>

#include "skin/evaluation/report.hpp"

namespace fs = std::filesystem;

TEST_CASE("ROC points run from (0,0) to (1,1) and merge tied scores") {
  auto pts = skin::roc_points({true, false, true, false}, {0.9, 0.8, 0.8, 0.1});
  REQUIRE(pts.size() >= 3);
  CHECK(pts.front() == std::pair<double, double>{0.0, 0.0});
  CHECK(pts.back() == std::pair<double, double>{1.0, 1.0});
  // After 0.9: TPR 0.5; after the tie at 0.8 both move together (no stair step inside a tie).
  CHECK(std::find(pts.begin(), pts.end(), std::pair<double, double>{0.0, 0.5}) != pts.end());
  CHECK(std::find(pts.begin(), pts.end(), std::pair<double, double>{0.5, 1.0}) != pts.end());
  CHECK(std::find(pts.begin(), pts.end(), std::pair<double, double>{0.0, 1.0}) == pts.end());
}

TEST_CASE("write_evaluation_plots writes three readable PNGs") {
  skin::Scoring s;
  s.labels = {"a", "b"};
  s.scored = {{"1", "", 0, {0.9, 0.1}, {}}, {"2", "", 1, {0.3, 0.7}, {}}, {"3", "", 1, {0.6, 0.4}, {}}};
  skin::Dataset d;
  d.items = {{"1", "a", "x", {}}, {"2", "b", "y", {}}, {"3", "b", "z", {}}};
  auto report = skin::make_report(d, s, skin::ReportOptions{});
  fs::path dir = fs::temp_directory_path() / ("skin_plots_" + std::to_string(::getpid()));
  skin::write_evaluation_plots(dir.string(), s, report);
  for (const char* name : {"confusion_matrix.png", "reliability.png", "roc.png"}) {
    CAPTURE(name);
    cv::Mat img = cv::imread((dir / name).string());
    CHECK_FALSE(img.empty());
    CHECK(img.cols >= 300);
  }
  fs::remove_all(dir);
}
