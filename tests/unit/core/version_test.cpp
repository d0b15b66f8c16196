// version_test.cpp: version strings (skin/core/version.hpp).
#include "skin/core/version.hpp"

#include <doctest/doctest.h>

TEST_CASE("the banner names skinscan, LibTorch and OpenCV versions") {
  CHECK_FALSE(skin::version().empty());
  const std::string banner = skin::version_banner();
  CHECK(banner.rfind("skinscan " + skin::version(), 0) == 0);
  CHECK(banner.find("LibTorch ") != std::string::npos);
  CHECK(banner.find("OpenCV ") != std::string::npos);
}
