// json_file_test.cpp: JSON documents from files and their errors (skin/core/json_file.hpp).
#include "skin/core/json_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "support.hpp"

namespace fs = std::filesystem;

TEST_CASE("a document parses; a missing file and bad JSON are errors naming the file") {
  fs::path p = fs::temp_directory_path() / ("skin_json_" + std::to_string(::getpid()) + ".json");
  { std::ofstream(p) << R"({"a": [1, 2]})"; }
  CHECK(skin::read_json_file(p.string(), "report")["a"][1] == 2);
  { std::ofstream(p) << "{\"a\": "; }
  CHECK(test::error_of([&] { skin::read_json_file(p.string(), "report"); }, skin::ErrorKind::input) ==
        p.string() + ": invalid JSON");
  fs::remove(p);
  CHECK(test::error_of([&] { skin::read_json_file(p.string(), "thresholds file"); }, skin::ErrorKind::io) ==
        p.string() + ": cannot open thresholds file");
}

TEST_CASE("write_json writes indented JSON with a newline, atomically, and replaces invalid UTF-8") {
  fs::path p = fs::temp_directory_path() / ("skin_json_w_" + std::to_string(::getpid()) + ".json");
  skin::write_json(p.string(), {{"a", 1}, {"name", std::string("bad\xff")}});
  CHECK(test::read_text(p.string()) == "{\n  \"a\": 1,\n  \"name\": \"bad\xef\xbf\xbd\"\n}\n");
  CHECK(!fs::exists(p.string() + ".partial"));
  fs::remove(p);
}
