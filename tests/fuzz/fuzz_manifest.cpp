// fuzz_manifest.cpp: libFuzzer target for manifest validation (skin/model/manifest.hpp). Any JSON
// must yield a manifest that satisfies the contract or a skin::Error.
#include <cstdint>
#include <set>
#include <string>

#include "skin/core/error.hpp"
#include "skin/model/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  try {
    skin::Manifest m = skin::parse_manifest(doc, "fuzz.json");
    std::set<std::string> labels(m.labels.begin(), m.labels.end());
    if (m.labels.size() < 2 || labels.size() != m.labels.size()) __builtin_trap();
    if (!(m.temperature > 0) || m.input.width < 8 || m.input.height < 8) __builtin_trap();
    for (const auto& l : m.malignant)
      if (!labels.count(l)) __builtin_trap();
  } catch (const skin::Error&) {
  }
  return 0;
}
