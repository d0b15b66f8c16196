// skin/core/strings.hpp: small string helpers shared by the parsers (labels compare case-insensitively)
// and the server (base64 for images inside JSON).
#pragma once
#include <algorithm>
#include <cctype>
#include <ctime>
#include <string>
#include <string_view>

namespace skin {

// The current UTC time as ISO 8601 ("2026-12-01T09:30:00Z"), for records in reports and manifests.
inline std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

inline std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// `s` without leading and trailing characters from `whitespace`.
inline std::string trim(const std::string& s, const char* whitespace = " \t") {
  const auto b = s.find_first_not_of(whitespace), e = s.find_last_not_of(whitespace);
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Standard base64 (RFC 4648, section 4) with padding.
inline std::string base64_encode(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned v = (unsigned char)data[i] << 16 | (unsigned char)data[i + 1] << 8 | (unsigned char)data[i + 2];
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (i + 1 == data.size()) {
    const unsigned v = (unsigned char)data[i] << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == data.size()) {
    const unsigned v = (unsigned char)data[i] << 16 | (unsigned char)data[i + 1] << 8;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

}  // namespace skin
