// scoring.cpp: scores a labelled dataset by running a model or by reading a predictions file.
#include "skin/scoring.hpp"

#include <cmath>
#include <fstream>
#include <optional>
#include <unordered_map>

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

int find_label(const std::vector<std::string>& labels, const std::string& label) {
  const std::string want = to_lower(label);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (to_lower(labels[i]) == want) return int(i);
  return -1;
}

Scoring score_with_model(const Dataset& dataset, Classifier& classifier, const PipelineOptions& options,
                         const std::function<void(const PipelineStats&)>& progress) {
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
  std::vector<std::string> paths;
  std::vector<const LabeledItem*> present;
  for (const auto& item : dataset.items) {
    truth_index(s, item);  // unknown labels fail before any image is decoded
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
        s.scored.push_back({item.id, item.path, truth_index(s, item),
                            std::vector<double>(p.probabilities.begin(), p.probabilities.end()),
                            std::vector<double>(p.scores.begin(), p.scores.end())});
      },
      progress);
  return s;
}

Scoring score_with_predictions(const Dataset& dataset, const std::string& path,
                               const std::vector<std::string>& malignant) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open predictions", path));
  CsvReader csv(in, path);
  Scoring s;
  std::vector<std::size_t> columns;
  std::size_t id_col = 0;
  std::optional<std::size_t> error_col;
  if (csv.column("image")) {  // ISIC submission
    id_col = *csv.column("image");
    for (const char* c : kIsicColumns) {
      columns.push_back(csv.require_column(c));
      s.labels.push_back(to_lower(c));
    }
  } else if (csv.column("id") && csv.column("probability") && csv.column("malignant_probability")) {  // skinscan csv
    id_col = *csv.column("id");
    error_col = csv.column("error");
    for (std::size_t c = *csv.column("probability") + 1; c < *csv.column("malignant_probability"); ++c) {
      columns.push_back(c);
      s.labels.push_back(csv.header()[c]);
    }
  } else {
    throw Error(ErrorKind::input, fmt::format("{}: not a predictions file (expected an ISIC submission header "
                                              "'image,MEL,NV,...' or skinscan batch --format csv)",
                                              path));
  }
  if (s.labels.size() < 2) throw Error(ErrorKind::input, fmt::format("{}: fewer than 2 class columns", path));
  for (const auto& label : malignant)
    if (find_label(s.labels, label) >= 0) s.malignant.push_back(s.labels[std::size_t(find_label(s.labels, label))]);

  struct Row {
    std::vector<double> p;
    std::string error;
  };
  std::unordered_map<std::string, Row> rows;
  std::unordered_map<std::string, std::size_t> row_of;
  while (auto row = csv.next()) {
    std::string id = (*row)[id_col];
    if (id.empty()) csv.fail("empty image id");
    if (auto [it, fresh] = row_of.emplace(id, csv.row()); !fresh)
      csv.fail(fmt::format("duplicate image id '{}' (first at row {})", id, it->second));
    Row r;
    if (error_col && !(*row)[*error_col].empty()) {
      r.error = (*row)[*error_col];
    } else {
      double sum = 0;
      for (std::size_t i = 0; i < columns.size(); ++i) {
        r.p.push_back(parse_probability(csv, (*row)[columns[i]], csv.header()[columns[i]]));
        sum += r.p.back();
      }
      if (std::abs(sum - 1.0) > 1e-3) csv.fail(fmt::format("probabilities sum to {:.6g}, not 1", sum));
    }
    rows.emplace(std::move(id), std::move(r));
  }
  s.source = {{"kind", "predictions"}, {"path", path}, {"sha256", sha256_file(path)}};
  for (const auto& item : dataset.items) {
    int t = truth_index(s, item);
    auto it = rows.find(item.id);
    if (it == rows.end()) {
      s.missing.push_back(item.id);
    } else if (!it->second.error.empty()) {
      s.failed.push_back({item.id, item.path, it->second.error});
    } else {
      s.scored.push_back({item.id, item.path, t, it->second.p, {}});
    }
  }
  return s;
}

}  // namespace skin
