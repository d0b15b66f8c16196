// skin/input/label_map.hpp: maps the class columns of a model or predictions file onto a dataset's
// classes, e.g. ISIC 2019's AK, SCC and UNK onto HAM10000's akiec: "AK=akiec,SCC=akiec,UNK=-".
// Columns mapped to the same class are summed; "-" drops a column, and rows are then
// renormalised to sum to 1. Unmapped columns keep their (lower-cased) name.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

struct LabelMap {
  std::vector<std::pair<std::string, std::string>> entries;  // column (case-insensitive) -> class or "-"
  std::string source;                                        // the option text or file it came from
  bool empty() const { return entries.empty(); }
};

// "A=b,C=d", or a file with one "A=b" (or "A,b") per line. Error(usage) for malformed entries.
LabelMap parse_label_map(const std::string& spec);

struct ResolvedLabels {
  std::vector<std::string> labels;  // the classes after mapping, in order of first appearance
  std::vector<int> target;          // per source column: index into labels, or -1 when dropped
  bool renormalise = false;         // some column was dropped
  bool identity = true;             // nothing changed
  nlohmann::json describe() const;  // {"columns": {source: class|null}, "renormalised": bool}
  std::vector<std::string> source;
  // One source row -> one row over `labels`.
  std::vector<double> apply(const double* row) const;
};

// Error(usage) when a map entry names no source column or every column would be dropped.
ResolvedLabels resolve_labels(const std::vector<std::string>& source_labels, const LabelMap& map);

}  // namespace skin
