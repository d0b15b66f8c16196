// skin/strings.hpp: small string helpers shared by the parsers (labels compare case-insensitively).
#pragma once
#include <algorithm>
#include <cctype>
#include <string>

namespace skin {

inline std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

}  // namespace skin
