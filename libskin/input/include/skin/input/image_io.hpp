// skin/input/image_io.hpp: writing images (PNG, 32-bit float TIFF; atomically) for plots and explanations.
#pragma once
#include <string>

#include <opencv2/core.hpp>

namespace skin {

void write_png(const std::string& path, const cv::Mat& image);  // throws Error(io)
// A CV_32F single-channel map as a 32-bit floating-point TIFF (numpy/PIL/tifffile read it losslessly).
void write_float_tiff(const std::string& path, const cv::Mat& map);

}  // namespace skin
