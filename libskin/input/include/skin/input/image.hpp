// skin/input/image.hpp: safe image loading: format sniffed from content, limits checked from the header
// before any full decode, then decoded with OpenCV into 8-bit BGR (EXIF orientation applied).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace skin {

enum class ImageFormat { unknown, jpeg, png, bmp, tiff, webp, pnm };

const char* format_name(ImageFormat format);

// Identifies the format from the first bytes (magic numbers); extensions are never consulted.
ImageFormat sniff_format(const std::uint8_t* data, std::size_t size);

struct Dimensions {
  std::int64_t width = 0;
  std::int64_t height = 0;
};

// Reads width and height from the container header without decoding pixels.
// Returns nothing when the header is cut short or malformed.
std::optional<Dimensions> read_dimensions(ImageFormat format, const std::uint8_t* data, std::size_t size);

struct ImageLimits {
  std::size_t max_bytes = 20u * 1024u * 1024u;
  std::int64_t max_width = 8192;
  std::int64_t max_height = 8192;
};

// Validates and decodes an encoded image held in memory. `name` is used in error messages only.
// Throws skin::Error(input) with "name: reason" for anything that is not a complete, decodable
// image within the limits. The result is CV_8UC3 BGR: greyscale, alpha, 16-bit and CMYK inputs
// are converted.
// `at_least`, when given, lets JPEGs decode at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling)
// as long as both sides stay at least max(at_least.width, at_least.height): a large photo
// headed for a 224-pixel model input need not be decoded in full.
cv::Mat decode_image(const std::uint8_t* data, std::size_t size, const std::string& name, const ImageLimits& limits,
                     cv::Size at_least = {});
inline cv::Mat decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name, const ImageLimits& limits,
                            cv::Size at_least = {}) {
  return decode_image(bytes.data(), bytes.size(), name, limits, at_least);
}

// Reads a file (refusing non-regular files and files over the size limit before reading them)
// and decodes it with decode_image.
cv::Mat load_image(const std::string& path, const ImageLimits& limits, cv::Size at_least = {});

}  // namespace skin
