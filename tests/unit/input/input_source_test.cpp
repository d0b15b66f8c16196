// input_source_test.cpp: lazy input expansion (skin/input/input_source.hpp).
#include "skin/input/input_source.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("skin_input_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};
void touch(const fs::path& p, const std::string& content) { std::ofstream(p, std::ios::binary) << content; }

std::vector<std::string> drain(skin::InputSource& s, std::vector<std::string>* errors = nullptr) {
  std::vector<std::string> paths;
  while (auto item = s.next()) {
    if (!item->error.empty() && errors) errors->push_back(item->error);
    paths.push_back(item->path);
  }
  return paths;
}
}  // namespace

TEST_CASE("directories are walked recursively, sorted, images only") {
  TempDir t;
  fs::create_directories(t.path / "b" / "deep");
  touch(t.path / "z.jpg", "x");  // claims to be an image by name: kept (so it is reported)
  touch(t.path / "a.png", "x");
  touch(t.path / "notes.txt", "hello");                    // neither name nor content: skipped
  touch(t.path / "b" / "deep" / "c", "\xFF\xD8\xFF\xE0");  // jpeg content, no extension: kept
  touch(t.path / "b" / "data.csv", "a,b");
  skin::InputSource s({t.path.string()});
  auto paths = drain(s);
  CHECK(paths == std::vector<std::string>{(t.path / "a.png").string(), (t.path / "b" / "deep" / "c").string(),
                                          (t.path / "z.jpg").string()});
  CHECK(s.skipped() == 2);
}

TEST_CASE("symlink loops do not hang the walk") {
  TempDir t;
  fs::create_directories(t.path / "d");
  touch(t.path / "d" / "x.jpg", "x");
  fs::create_directory_symlink(t.path, t.path / "d" / "loop");
  skin::InputSource s({t.path.string()});
  CHECK(drain(s) == std::vector<std::string>{(t.path / "d" / "x.jpg").string()});
}

TEST_CASE("explicit files are kept whatever they are; missing paths become error items") {
  TempDir t;
  touch(t.path / "notes.txt", "hello");
  skin::InputSource s({(t.path / "notes.txt").string(), (t.path / "missing.jpg").string()});
  std::vector<std::string> errors;
  auto paths = drain(s, &errors);
  CHECK(paths.size() == 2);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == (t.path / "missing.jpg").string() + ": no such file or directory");
}

TEST_CASE("- reads paths from a stream, one per line, CRLF and blank lines tolerated") {
  std::istringstream lines("a.jpg\r\n\nb c.jpg\n");
  skin::InputSource s({"first.jpg", "-", "last.jpg"}, &lines);
  auto paths = drain(s);
  CHECK(paths == std::vector<std::string>{"first.jpg", "a.jpg", "b c.jpg", "last.jpg"});
}
