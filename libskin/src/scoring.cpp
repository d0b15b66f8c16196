// scoring.cpp: scores a labelled dataset by running a model or by reading a predictions file.
#include "skin/scoring.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "skin/csv.hpp"
#include "skin/error.hpp"
#include "skin/sha256.hpp"
#include "skin/strings.hpp"
#include "skin/writers.hpp"

namespace skin {

int truth_index(const Scoring& s, const LabeledItem& item) {
  int t = find_label(s.labels, item.label);
  if (t < 0)
    throw Error(ErrorKind::input, fmt::format("image '{}' is labelled '{}', which is not one of the classes ({})",
                                              item.id, item.label, fmt::join(s.labels, ", ")));
  return t;
}

void check_label_space(const Dataset& dataset, const Scoring& s, const std::string& what) {
  std::vector<std::string> classes, missing;
  for (const auto& item : dataset.items) {
    const std::string label = to_lower(item.label);
    if (std::find(classes.begin(), classes.end(), label) != classes.end()) continue;
    classes.push_back(label);
    if (find_label(s.labels, label) < 0) missing.push_back(label);
  }
  if (missing.empty()) return;
  std::sort(classes.begin(), classes.end());
  throw Error(ErrorKind::usage,
              fmt::format("{} has classes ({}) but the dataset has ({}); not covered: {}. Map the columns with "
                          "--label-map (e.g. AK=akiec,SCC=akiec,UNK=-) or use a model for these classes",
                          what, fmt::join(s.labels, ", "), fmt::join(classes, ", "), fmt::join(missing, ", ")));
}

int find_label(const std::vector<std::string>& labels, const std::string& label) {
  const std::string want = to_lower(label);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (to_lower(labels[i]) == want) return int(i);
  return -1;
}

Scoring score_with_model(const Dataset& dataset, Classifier& classifier, const PipelineOptions& options,
                         const std::function<void(const PipelineStats&)>& progress, const LabelMap& label_map) {
  const Manifest& m = classifier.manifest();
  Scoring s;
  s.labels = m.labels;
  s.malignant = m.malignant;
  s.source = {{"kind", "model"},
              {"name", m.name},
              {"version", m.version},
              {"directory", classifier.directory()},
              {"manifest_sha256", sha256_file(classifier.directory() + "/manifest.json")},
              {"temperature", m.temperature}};
  const ResolvedLabels resolved = resolve_labels(m.labels, label_map);
  if (!resolved.identity) {
    s.labels = resolved.labels;
    s.malignant.clear();
    for (const auto& label : m.malignant)  // a malignant label survives if its column was not dropped
      for (std::size_t c = 0; c < m.labels.size(); ++c)
        if (m.labels[c] == label && resolved.target[c] >= 0) {
          const auto& mapped = resolved.labels[std::size_t(resolved.target[c])];
          if (std::find(s.malignant.begin(), s.malignant.end(), mapped) == s.malignant.end())
            s.malignant.push_back(mapped);
        }
  }
  if (!label_map.empty()) s.label_map = resolved.describe();
  check_label_space(dataset, s, "model '" + m.name + "'");  // before any image is decoded
  std::vector<std::string> paths;
  std::vector<const LabeledItem*> present;
  for (const auto& item : dataset.items) {
    if (item.path.empty()) {
      s.missing.push_back(item.id);
    } else {
      paths.push_back(item.path);
      present.push_back(&item);
    }
  }
  InputSource source(paths);
  std::size_t k = 0;
  classify_stream(
      source, classifier, options,
      [&](Prediction&& p) {
        const LabeledItem& item = *present[k++];
        if (!p.ok()) {
          s.failed.push_back({item.id, item.path, p.error});
          return;
        }
        std::vector<double> probabilities(p.probabilities.begin(), p.probabilities.end());
        if (resolved.identity) {
          s.scored.push_back({item.id, item.path, truth_index(s, item), std::move(probabilities),
                              std::vector<double>(p.scores.begin(), p.scores.end())});
        } else {  // merged columns have no raw score
          s.scored.push_back({item.id, item.path, truth_index(s, item), resolved.apply(probabilities.data()), {}});
        }
      },
      progress);
  return s;
}

namespace {

// The rows of a predictions file, read in the file's own class order.
struct PredictionRows {
  std::vector<std::string> labels;
  bool upper_case_labels = false;  // ISIC column names
  struct Row {
    std::vector<double> p;
    std::string error;
  };
  std::unordered_map<std::string, Row> rows;
};

void check_row_sum(double sum, const std::function<void(const std::string&)>& fail) {
  if (std::abs(sum - 1.0) > 1e-3) fail(fmt::format("probabilities sum to {:.6g}, not 1", sum));
}

PredictionRows read_csv_predictions(std::istream& in, const std::string& path) {
  CsvReader csv(in, path);
  PredictionRows out;
  std::vector<std::size_t> columns;
  std::size_t id_col = 0;
  std::optional<std::size_t> error_col;
  if (csv.column("image")) {  // ISIC submission: 2018 (MEL,NV,...,AKIEC,...) or 2019 (...,AK,SCC,UNK)
    id_col = *csv.column("image");
    out.upper_case_labels = true;
    for (std::size_t c = 0; c < csv.header().size(); ++c)
      if (c != id_col) columns.push_back(c), out.labels.push_back(csv.header()[c]);
  } else if (csv.column("id") && csv.column("probability") && csv.column("malignant_probability")) {  // skinscan csv
    id_col = *csv.column("id");
    error_col = csv.column("error");
    for (std::size_t c = *csv.column("probability") + 1; c < *csv.column("malignant_probability"); ++c)
      columns.push_back(c), out.labels.push_back(csv.header()[c]);
  } else {
    throw Error(ErrorKind::input,
                fmt::format("{}: not a predictions file (expected an ISIC submission header "
                            "'image,MEL,NV,...', skinscan batch --format csv, or skinscan JSON Lines)",
                            path));
  }
  if (out.labels.size() < 2) throw Error(ErrorKind::input, fmt::format("{}: fewer than 2 class columns", path));
  std::unordered_map<std::string, std::size_t> row_of;
  while (auto row = csv.next()) {
    std::string id = (*row)[id_col];
    if (id.empty()) csv.fail("empty image id");
    if (auto [it, fresh] = row_of.emplace(id, csv.row()); !fresh)
      csv.fail(fmt::format("duplicate image id '{}' (first at row {})", id, it->second));
    PredictionRows::Row r;
    if (error_col && !(*row)[*error_col].empty()) {
      r.error = (*row)[*error_col];
    } else {
      double sum = 0;
      for (std::size_t c : columns) sum += r.p.emplace_back(parse_probability(csv, (*row)[c], csv.header()[c]));
      check_row_sum(sum, [&](const std::string& what) { csv.fail(what); });
    }
    out.rows.emplace(std::move(id), std::move(r));
  }
  return out;
}

// skinscan batch JSON Lines: {"id", "probabilities": {label: p}} or {"id", "error"} per line.
PredictionRows read_jsonl_predictions(std::istream& in, const std::string& path) {
  PredictionRows out;
  std::unordered_map<std::string, std::size_t> line_of;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fail = [&](const std::string& what) {
      throw Error(ErrorKind::input, fmt::format("{}: line {}: {}", path, n, what));
    };
    if (in.eof()) fail("incomplete last line (no newline): was the run cut short?");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail("not a JSON record");
    }
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || j["id"].get<std::string>().empty())
      fail("record has no image id");
    const std::string id = j["id"].get<std::string>();
    if (auto [it, fresh] = line_of.emplace(id, n); !fresh)
      fail(fmt::format("duplicate image id '{}' (first at line {})", id, it->second));
    PredictionRows::Row r;
    if (j.contains("error") && j["error"].is_string()) {
      r.error = j["error"].get<std::string>();
    } else {
      if (!j.contains("probabilities") || !j["probabilities"].is_object())
        fail("record has neither probabilities nor error");
      const auto& probs = j["probabilities"];
      if (out.labels.empty())
        for (const auto& [label, v] : probs.items()) out.labels.push_back(label);
      if (probs.size() != out.labels.size()) fail("its classes differ from the first record's");
      double sum = 0;
      for (const auto& label : out.labels) {
        if (!probs.contains(label)) fail(fmt::format("no probability for '{}'", label));
        const auto& v = probs[label];
        if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < -1e-6 || v.get<double>() > 1 + 1e-6)
          fail(fmt::format("'{}' is not a probability: {}", label, v.dump()));
        sum += r.p.emplace_back(std::clamp(v.get<double>(), 0.0, 1.0));
      }
      check_row_sum(sum, fail);
    }
    out.rows.emplace(id, std::move(r));
  }
  if (out.labels.size() < 2 && !out.rows.empty())
    throw Error(ErrorKind::input, fmt::format("{}: fewer than 2 classes in its records", path));
  return out;
}

}  // namespace

Scoring score_with_predictions(const Dataset& dataset, const std::string& path,
                               const std::vector<std::string>& malignant, const LabelMap& label_map) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open predictions", path));
  char first = 0;
  while (in.get(first) && std::isspace(static_cast<unsigned char>(first))) {
  }
  in.clear();
  in.seekg(0);
  PredictionRows file = first == '{' ? read_jsonl_predictions(in, path) : read_csv_predictions(in, path);
  if (file.labels.empty()) throw Error(ErrorKind::input, fmt::format("{}: no predictions", path));

  Scoring s;
  const ResolvedLabels resolved = resolve_labels(file.labels, label_map);
  s.labels = resolved.labels;
  if (file.upper_case_labels)  // ISIC column names are upper case; classes are reported lower case
    for (auto& label : s.labels) label = to_lower(label);
  if (!label_map.empty()) s.label_map = resolved.describe();
  for (const auto& label : malignant)
    if (find_label(s.labels, label) >= 0) s.malignant.push_back(s.labels[std::size_t(find_label(s.labels, label))]);
  s.source = {{"kind", "predictions"}, {"path", path}, {"sha256", sha256_file(path)}};
  check_label_space(dataset, s, path);
  if (!resolved.identity)
    for (auto& [id, row] : file.rows)
      if (row.error.empty()) row.p = resolved.apply(row.p.data());

  std::unordered_set<std::string> labelled;
  for (const auto& item : dataset.items) labelled.insert(item.id);
  for (const auto& [id, row] : file.rows)
    if (!labelled.count(id) && !dataset.outside_split.count(id)) s.unlabelled.push_back(id);
  std::sort(s.unlabelled.begin(), s.unlabelled.end());
  for (const auto& item : dataset.items) {
    int t = truth_index(s, item);
    auto it = file.rows.find(item.id);
    if (it == file.rows.end()) {
      s.missing.push_back(item.id);
    } else if (!it->second.error.empty()) {
      s.failed.push_back({item.id, item.path, it->second.error});
    } else {
      s.scored.push_back({item.id, item.path, t, it->second.p, {}});
    }
  }
  return s;
}

void require_complete(const Scoring& s) {
  auto first = [](const std::vector<std::string>& ids) {
    std::string out;
    for (std::size_t i = 0; i < ids.size() && i < 5; ++i) out += (i ? ", " : "") + ids[i];
    return ids.size() > 5 ? out + ", ..." : out;
  };
  std::string problems;
  if (!s.missing.empty())
    problems += fmt::format("{} labelled items have no prediction ({})", s.missing.size(), first(s.missing));
  if (!s.unlabelled.empty())
    problems += fmt::format("{}{} predictions have no label ({})", problems.empty() ? "" : "; ", s.unlabelled.size(),
                            first(s.unlabelled));
  if (!problems.empty()) throw Error(ErrorKind::input, "--strict: " + problems);
}

}  // namespace skin
