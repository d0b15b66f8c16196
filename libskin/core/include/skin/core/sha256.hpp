// skin/core/sha256.hpp: SHA-256 of a byte string (FIPS 180-4), for identifying manifests and
// prediction files in reports.
#pragma once
#include <string>
#include <string_view>

namespace skin {

std::string sha256_hex(std::string_view data);
std::string sha256_file(const std::string& path);  // throws Error(io)

}  // namespace skin
