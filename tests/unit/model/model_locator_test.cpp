// model_locator_test.cpp: the documented model lookup order (skin/model/model_locator.hpp).
#include "skin/model/model_locator.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "support.hpp"

namespace fs = std::filesystem;

TEST_CASE("an explicit directory wins, then $SKINSCAN_MODEL, then the bundled model") {
  ::setenv("SKINSCAN_MODEL", "/from/env", 1);
  CHECK(skin::locate_model("/explicit", "") == "/explicit");
  CHECK(skin::locate_model("", "") == "/from/env");
  ::unsetenv("SKINSCAN_MODEL");
  // From a build tree the bundled model is the source tree's.
  const std::string found = skin::locate_model("", "");
  CHECK(fs::path(found).filename() == skin::kDefaultModelName);
  CHECK(fs::exists(fs::path(found) / "manifest.json"));
}

TEST_CASE("an installed layout is found beside the binary") {
  fs::path prefix = fs::temp_directory_path() / ("skin_prefix_" + std::to_string(::getpid()));
  fs::create_directories(prefix / "bin");
  fs::create_directories(prefix / "share/skinscan/models" / skin::kDefaultModelName);
  { std::ofstream(prefix / "share/skinscan/models" / skin::kDefaultModelName / "manifest.json") << "{}"; }
  fs::copy_file("/proc/self/exe", prefix / "bin/skinscan");
  ::unsetenv("SKINSCAN_MODEL");
  CHECK(skin::locate_model("", (prefix / "bin/skinscan").string()) ==
        (prefix / "share/skinscan/models" / skin::kDefaultModelName).string());
  fs::remove_all(prefix);
}
