// skin/core/csv.hpp: a small RFC 4180 CSV reader (quotes, embedded commas/newlines, BOM, CRLF,
// blank lines) that reports problems by file and row.
#pragma once
#include <istream>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace skin {

class CsvReader {
 public:
  // Reads the header row at once. Throws Error(input) when the stream is empty.
  CsvReader(std::istream& in, std::string source);
  // The next non-empty record, or nothing at the end. Records shorter or longer than the
  // header are errors naming the row.
  std::optional<std::vector<std::string>> next();

  const std::vector<std::string>& header() const { return header_; }
  // Column index by name (exact match after trimming spaces); nothing if absent.
  std::optional<std::size_t> column(const std::string& name) const;
  std::size_t require_column(const std::string& name) const;  // Error naming the file if missing
  std::size_t row() const { return row_; }                    // 1-based line number of the last record's start
  [[noreturn]] void fail(const std::string& what) const;      // "source: row N: what"

 private:
  bool read_record(std::vector<std::string>& fields);
  std::istream& in_;
  std::string source_;
  std::vector<std::string> header_;
  std::size_t line_ = 0, row_ = 0;
};

// Parses a probability cell: finite, in [0, 1] (a little slack for rounding). Error names the row.
double parse_probability(const CsvReader& csv, const std::string& cell, const std::string& column);

}  // namespace skin
