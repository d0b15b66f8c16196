// strings_test.cpp: to_lower, base64_encode and json_text (skin/core/strings.hpp, skin/core/json_text.hpp).
#include "skin/core/strings.hpp"

#include <doctest/doctest.h>

#include "skin/core/json_text.hpp"

TEST_CASE("to_lower is ASCII-only and leaves other bytes alone") {
  CHECK(skin::to_lower("MEL-Nv_1") == "mel-nv_1");
  CHECK(skin::to_lower("\xc3\x84X") == "\xc3\x84x");
}

TEST_CASE("json_text replaces invalid UTF-8 instead of throwing") {
  nlohmann::json j = {{"path", std::string("bad\xff.jpg")}};
  CHECK(skin::json_text(j) == "{\"path\":\"bad\xef\xbf\xbd.jpg\"}");
}

TEST_CASE("base64_encode matches the RFC 4648 test vectors and handles any byte") {
  CHECK(skin::base64_encode("") == "");
  CHECK(skin::base64_encode("f") == "Zg==");
  CHECK(skin::base64_encode("fo") == "Zm8=");
  CHECK(skin::base64_encode("foo") == "Zm9v");
  CHECK(skin::base64_encode("foob") == "Zm9vYg==");
  CHECK(skin::base64_encode("fooba") == "Zm9vYmE=");
  CHECK(skin::base64_encode("foobar") == "Zm9vYmFy");
  CHECK(skin::base64_encode(std::string("\xff\xfe\x00\x80", 4)) == "//4AgA==");
}
