// sha256_test.cpp: FIPS 180-4 test vectors, strings and streamed files (skin/core/sha256.hpp).
#include "skin/core/sha256.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <doctest/doctest.h>

#include "support.hpp"

TEST_CASE("sha256 matches the standard test vectors") {
  CHECK(skin::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(skin::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(skin::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");  // two blocks
}

TEST_CASE("a file is hashed streamed, across read blocks, and a missing one is an io error") {
  // FIPS 180-4's long vector: one million 'a' (16 blocks of 64 KiB and a partial one).
  const std::string path =
      std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/skinscan_sha256_test.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(1000000, 'a');
  }
  CHECK(skin::sha256_file(path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  std::remove(path.c_str());
  CHECK(test::error_of([&] { skin::sha256_file(path); }, skin::ErrorKind::io) == path + ": cannot open");
}
