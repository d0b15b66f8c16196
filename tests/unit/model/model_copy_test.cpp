// model_copy_test.cpp: the calibrated copy of a model directory (skin/model/model_copy.hpp).
#include "skin/model/model_copy.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "skin/model/classifier.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

TEST_CASE("the copy carries the new temperature and the record, and loads") {
  fs::path to = fs::temp_directory_path() / ("skin_copy_" + std::to_string(::getpid()));
  fs::remove_all(to);
  skin::save_with_temperature(test::model("tiny7"), to.string(), 1.7, {{"method", "test"}}, false);
  auto manifest = nlohmann::json::parse(std::ifstream(to / "manifest.json"));
  CHECK(manifest["output"]["temperature"].get<double>() == doctest::Approx(1.7));
  CHECK(manifest["provenance"]["calibration"]["method"] == "test");
  CHECK(test::read_bytes((to / "model.pt").string()) == test::read_bytes(test::model("tiny7") + "/model.pt"));
  CHECK(skin::Classifier(to.string()).manifest().temperature == doctest::Approx(1.7));
  CHECK_FALSE(fs::exists(to / "model.pt.partial"));

  // A second write needs overwrite; the input directory itself is never a target.
  CHECK(test::error_of([&] { skin::save_with_temperature(test::model("tiny7"), to.string(), 2.0, {}, false); },
                       skin::ErrorKind::usage) == to.string() + ": already holds a model (use --force to replace it)");
  skin::save_with_temperature(test::model("tiny7"), to.string(), 2.0, {}, true);
  CHECK(test::error_of([&] { skin::save_with_temperature(to.string(), to.string(), 2.0, {}, true); },
                       skin::ErrorKind::usage) ==
        to.string() + ": output directory is the input model; choose another");
  fs::remove_all(to);
}
