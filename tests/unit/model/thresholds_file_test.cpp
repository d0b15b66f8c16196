// thresholds_file_test.cpp: the thresholds file written by --save-thresholds and read by
// --thresholds (skin/model/thresholds_file.hpp).
#include "skin/model/thresholds_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "support.hpp"

namespace fs = std::filesystem;

TEST_CASE("thresholds_file needs a report with picked thresholds and records where they were picked") {
  nlohmann::json report = {{"model", {{"name", "m"}}}, {"dataset", {{"root", "/d"}, {"split", "val.txt"}}}};
  CHECK(test::error_of([&] { skin::thresholds_file(report); }, skin::ErrorKind::usage) ==
        "--save-thresholds needs --pick-threshold");
  report["thresholds_picked"] = {{"rule", "youden"}, {"thresholds", {{"mel", 0.3}, {"nv", nullptr}}}};
  const auto file = skin::thresholds_file(report);
  CHECK(file["rule"] == "youden");
  CHECK(file["picked_on"]["split"] == "val.txt");
  CHECK(file["thresholds"]["mel"] == 0.3);
}

TEST_CASE("load_thresholds reads its own files back and names the file on bad ones") {
  fs::path p = fs::temp_directory_path() / ("skin_thresholds_" + std::to_string(::getpid()) + ".json");
  { std::ofstream(p) << R"({"thresholds": {"mel": 0.3, "nv": null}})"; }
  CHECK(skin::load_thresholds(p.string())["thresholds"]["mel"] == 0.3);
  { std::ofstream(p) << R"({"rule": "youden"})"; }
  CHECK(test::error_of([&] { skin::load_thresholds(p.string()); }, skin::ErrorKind::input) ==
        p.string() + ": no 'thresholds' object (write one with --save-thresholds)");
  { std::ofstream(p) << R"({"thresholds": {"mel": "high"}})"; }
  CHECK(test::error_of([&] { skin::load_thresholds(p.string()); }, skin::ErrorKind::input) ==
        p.string() + ": threshold for 'mel' is not a number");
  fs::remove(p);
}
