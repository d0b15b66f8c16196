// csv.cpp: RFC 4180 record reading with row-numbered errors.
#include "skin/core/csv.hpp"

#include <cmath>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/strings.hpp"

namespace skin {
CsvReader::CsvReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)) {
  if (!read_record(header_)) throw Error(ErrorKind::input, fmt::format("{}: file is empty", source_));
  if (!header_.empty() && header_[0].rfind("\xEF\xBB\xBF", 0) == 0) header_[0].erase(0, 3);  // UTF-8 BOM
  for (auto& h : header_) h = trim(h);
}

void CsvReader::fail(const std::string& what) const {
  throw Error(ErrorKind::input, fmt::format("{}: row {}: {}", source_, row_, what));
}

std::optional<std::size_t> CsvReader::column(const std::string& name) const {
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return i;
  return std::nullopt;
}

std::size_t CsvReader::require_column(const std::string& name) const {
  if (auto c = column(name)) return *c;
  throw Error(ErrorKind::input, fmt::format("{}: missing column '{}'", source_, name));
}

bool CsvReader::read_record(std::vector<std::string>& fields) {
  fields.clear();
  std::string line;
  for (;;) {  // skip blank lines
    if (!std::getline(in_, line)) return false;
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) break;
  }
  row_ = line_;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0;; ++i) {
    if (i == line.size()) {
      if (!quoted) break;
      // A quoted field spans lines.
      if (!std::getline(in_, line))
        throw Error(ErrorKind::input, fmt::format("{}: row {}: unterminated quote", source_, row_));
      ++line_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      field += '\n';
      i = std::size_t(-1);
      continue;
    }
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(was_quoted ? field : trim(field));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  fields.push_back(was_quoted ? field : trim(field));
  return true;
}

std::optional<std::vector<std::string>> CsvReader::next() {
  std::vector<std::string> fields;
  if (!read_record(fields)) return std::nullopt;
  if (fields.size() != header_.size()) fail(fmt::format("has {} fields, header has {}", fields.size(), header_.size()));
  return fields;
}

double parse_probability(const CsvReader& csv, const std::string& cell, const std::string& column) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(cell, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != cell.size()) csv.fail(fmt::format("'{}' is not a number: '{}'", column, cell));
  if (!std::isfinite(v)) csv.fail(fmt::format("'{}' is not finite: '{}'", column, cell));
  if (v < -1e-6 || v > 1 + 1e-6) csv.fail(fmt::format("'{}' is outside [0, 1]: {}", column, cell));
  return std::min(1.0, std::max(0.0, v));
}

}  // namespace skin
