// support.hpp: paths to generated fixtures, small file helpers and a HAM10000 manifest for unit tests.
#pragma once
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "skin/model/manifest.hpp"

namespace test {

// The message of the skin::Error that `action` throws (checking its kind), or "" if none.
template <typename Action>
std::string error_of(Action&& action, skin::ErrorKind kind) {
  try {
    action();
  } catch (const skin::Error& e) {
    CHECK(e.kind() == kind);
    return e.what();
  }
  return "";
}

inline std::string fixtures() {
  const char* dir = std::getenv("SKINSCAN_FIXTURES");
  REQUIRE_MESSAGE(dir != nullptr, "SKINSCAN_FIXTURES is not set: run through ctest");
  return dir;
}
inline std::string image(const std::string& name) { return fixtures() + "/images/" + name; }
inline std::string model(const std::string& name) { return fixtures() + "/models/" + name; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A manifest with the seven HAM10000 classes, for tests that need labels but no model.
inline skin::Manifest ham_manifest() {
  skin::Manifest m;
  m.name = "ham";
  m.labels = {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"};
  m.malignant = {"akiec", "bcc", "mel"};
  return m;
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace test
