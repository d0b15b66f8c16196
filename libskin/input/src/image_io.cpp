// image_io.cpp: PNG encoding through OpenCV, written with write_file_atomically.
#include "skin/input/image_io.hpp"

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "skin/core/error.hpp"
#include "skin/core/output_file.hpp"

namespace skin {

void write_png(const std::string& path, const cv::Mat& image) {
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", image, png)) throw Error(ErrorKind::io, fmt::format("{}: cannot encode png", path));
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

void write_float_tiff(const std::string& path, const cv::Mat& map) {
  CV_Assert(map.type() == CV_32F);
  std::vector<unsigned char> tiff;
  if (!cv::imencode(".tiff", map, tiff)) throw Error(ErrorKind::io, fmt::format("{}: cannot encode tiff", path));
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(tiff.data()), tiff.size()));
}

}  // namespace skin
