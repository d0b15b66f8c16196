// image_io_test.cpp: PNG writing (skin/input/image_io.hpp).
#include "skin/input/image_io.hpp"

#include <unistd.h>

#include <filesystem>

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>

#include "support.hpp"

namespace fs = std::filesystem;

TEST_CASE("write_png round-trips pixels and leaves no temporary file") {
  fs::path dir = fs::temp_directory_path() / ("skin_png_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  cv::Mat img(20, 30, CV_8UC3, cv::Scalar(10, 20, 30));
  img.at<cv::Vec3b>(5, 7) = {200, 100, 0};
  skin::write_png((dir / "a.png").string(), img);
  cv::Mat back = cv::imread((dir / "a.png").string(), cv::IMREAD_UNCHANGED);
  REQUIRE(back.size() == img.size());
  CHECK(cv::norm(back, img, cv::NORM_INF) == 0);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  fs::remove_all(dir);
}

TEST_CASE("write_png names the file when it cannot write") {
  cv::Mat img(2, 2, CV_8UC3, cv::Scalar(0, 0, 0));
  CHECK(test::error_of([&] { skin::write_png("/nonexistent-dir/a.png", img); }, skin::ErrorKind::io)
            .rfind("/nonexistent-dir/a.png: ", 0) == 0);
}
