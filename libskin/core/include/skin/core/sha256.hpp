// skin/core/sha256.hpp: SHA-256 (FIPS 180-4, computed by OpenSSL's libcrypto) of a byte string or a
// file streamed from disk, for identifying models, manifests and
// prediction files in reports.
#pragma once
#include <string>
#include <string_view>

namespace skin {

std::string sha256_hex(std::string_view data);
std::string sha256_file(const std::string& path);  // throws Error(io)

}  // namespace skin
