// fuzz_csv.cpp: libFuzzer target for the CSV reader and probability cells (skin/core/csv.hpp).
// Any input must parse or throw skin::Error; never crash, hang or read out of bounds.
#include <cstdint>
#include <sstream>
#include <string>

#include "skin/core/csv.hpp"
#include "skin/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    skin::CsvReader csv(in, "fuzz.csv");
    csv.column("image");
    while (auto row = csv.next()) {
      if (row->size() != csv.header().size()) __builtin_trap();
      for (std::size_t i = 0; i < row->size(); ++i) {
        try {
          double p = skin::parse_probability(csv, (*row)[i], csv.header()[i]);
          if (!(p >= 0 && p <= 1)) __builtin_trap();
        } catch (const skin::Error&) {
        }
      }
    }
  } catch (const skin::Error&) {
  }
  return 0;
}
