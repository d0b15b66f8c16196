// sha256_test.cpp: FIPS 180-4 test vectors (skin/core/sha256.hpp).
#include "skin/core/sha256.hpp"

#include <doctest/doctest.h>

TEST_CASE("sha256 matches the standard test vectors") {
  CHECK(skin::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(skin::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(skin::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");  // two blocks
}
