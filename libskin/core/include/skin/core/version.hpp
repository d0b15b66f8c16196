// skin/core/version.hpp: version strings of skinscan and the libraries it runs on.
#pragma once
#include <string>

namespace skin {

std::string version();
// "skinscan 0.1.0 (LibTorch 1.13.0, OpenCV 4.6.0)"
std::string version_banner();

}  // namespace skin
