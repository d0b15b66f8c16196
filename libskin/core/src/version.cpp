// version.cpp: version strings (torch/version.h is tiny, unlike the rest of LibTorch).
#include "skin/core/version.hpp"

#include <fmt/format.h>
#include <opencv2/core/version.hpp>
#include <torch/version.h>

namespace skin {

std::string version() { return SKINSCAN_VERSION; }

std::string version_banner() {
  return fmt::format("skinscan {} (LibTorch {}, OpenCV {})", SKINSCAN_VERSION, TORCH_VERSION, CV_VERSION);
}

}  // namespace skin
