// skin/image_io.hpp: writing images (PNG, atomically) for plots and explanations.
#pragma once
#include <string>

#include <opencv2/core.hpp>

namespace skin {

void write_png(const std::string& path, const cv::Mat& image);  // throws Error(io)

}  // namespace skin
