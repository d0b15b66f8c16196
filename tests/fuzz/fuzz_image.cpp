// fuzz_image.cpp: libFuzzer target for the image validator and decoder (skin/input/image.hpp).
// Any input must either decode to 8-bit BGR within the limits or throw skin::Error.
#include <cstdint>
#include <vector>

#include "skin/core/error.hpp"
#include "skin/input/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  skin::ImageLimits limits;
  limits.max_width = limits.max_height = 4096;  // bounded memory per input
  try {
    cv::Mat m = skin::decode_image(bytes, "fuzz", limits, cv::Size(64, 64));
    if (m.type() != CV_8UC3 || m.empty() || m.cols > 4096 || m.rows > 4096) __builtin_trap();
  } catch (const skin::Error&) {
  }
  return 0;
}
