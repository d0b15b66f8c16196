// prediction_files.cpp: JSON Lines, CSV and ISIC submission writers, and their readers.
#include "skin/inference/prediction_files.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "skin/core/csv.hpp"
#include "skin/core/error.hpp"
#include "skin/core/json_text.hpp"
#include "skin/core/strings.hpp"

namespace skin {
namespace {

// %.9g round-trips a float exactly.
std::string number(double v) { return fmt::format("{:.9g}", v); }

class JsonlWriter : public PredictionWriter {
 public:
  JsonlWriter(OutputFile& out, const Manifest& m, std::size_t k) : out_(out), manifest_(m), k_(k) {}
  void write(const Prediction& p) override {
    out_.write(json_text(to_json(p, manifest_, k_)) + "\n");
    out_.flush();
  }

 private:
  OutputFile& out_;
  const Manifest& manifest_;
  std::size_t k_;
};

class CsvWriter : public PredictionWriter {
 public:
  CsvWriter(OutputFile& out, const Manifest& m, bool skin_tone) : out_(out), manifest_(m), skin_tone_(skin_tone) {
    std::string header = "path,id,label,probability";
    for (const auto& l : manifest_.labels) header += "," + csv_escape(l);
    // A model with conformal prediction sets adds them (labels joined by '|') before the error, and
    // one with a guaranteed-sensitivity threshold its malignant call (1 or 0), one with an OOD
    // flag its score and flag; --skin-tone adds the ITA and its category.
    out_.write(header + ",malignant_probability" + (manifest_.conformal ? ",prediction_set" : "") +
               (manifest_.malignant_guarantee ? ",malignant_call" : "") +
               (manifest_.ood ? ",ood_score,ood_flagged" : "") + (skin_tone_ ? ",ita,ita_category" : "") + ",error\n");
    out_.flush();
  }
  void write(const Prediction& p) override {
    std::string row = csv_escape(p.path) + "," + csv_escape(p.id) + ",";
    if (p.ok()) {
      auto best = top_k(p.probabilities, 1)[0];
      row += csv_escape(manifest_.labels[best]) + "," + number(p.probabilities[best]);
      for (float v : p.probabilities) row += "," + number(v);
      row += "," +
             (manifest_.malignant.empty() ? std::string() : number(malignant_probability(p.probabilities, manifest_)));
      if (manifest_.conformal) {
        const std::string set = fmt::format("{}", fmt::join(prediction_set_labels(p.probabilities, manifest_), "|"));
        row += "," + csv_escape(set);
      }
      if (manifest_.malignant_guarantee) row += malignant_call(p.probabilities, manifest_) ? ",1" : ",0";
      if (manifest_.ood) {
        const auto score = prediction_ood_score(p, manifest_);
        row += score ? "," + number(*score) + (ood_flagged(*score, manifest_) ? ",1" : ",0") : ",,";
      }
      if (skin_tone_) row += p.skin_tone ? "," + number(p.skin_tone->ita) + "," + p.skin_tone->category : ",,";
      row += ",";
    } else {
      row += ",,";  // label, probability
      for (std::size_t i = 0; i < manifest_.labels.size(); ++i) row += ",";
      row += std::string(1 + (manifest_.conformal ? 1 : 0) + (manifest_.malignant_guarantee ? 1 : 0) +
                             (manifest_.ood ? 2 : 0) + (skin_tone_ ? 2 : 0),
                         ',');
      row += csv_escape(p.error);
    }
    out_.write(row + "\n");
    out_.flush();
  }

 private:
  OutputFile& out_;
  const Manifest& manifest_;
  bool skin_tone_ = false;
};

class IsicWriter : public PredictionWriter {
 public:
  IsicWriter(OutputFile& out, const Manifest& m) : out_(out), indices_(isic_label_indices(m)) {
    out_.write(fmt::format("image,{}\n", fmt::join(kIsicColumns, ",")));
    out_.flush();
  }
  void write(const Prediction& p) override {
    if (!p.ok()) return;
    std::string row = csv_escape(p.id);
    for (auto i : indices_) row += "," + number(p.probabilities[i]);
    out_.write(row + "\n");
    out_.flush();
  }
  bool records_errors() const override { return false; }

 private:
  OutputFile& out_;
  std::vector<std::size_t> indices_;
};

}  // namespace

OutputFormat parse_output_format(const std::string& name) {
  if (name == "jsonl") return OutputFormat::jsonl;
  if (name == "csv") return OutputFormat::csv;
  if (name == "isic") return OutputFormat::isic;
  throw Error(ErrorKind::usage, fmt::format("unknown output format '{}' (use jsonl, csv or isic)", name));
}

std::vector<std::size_t> isic_label_indices(const Manifest& manifest) {
  std::vector<std::size_t> indices;
  for (const char* column : kIsicColumns) {
    auto it = std::find_if(manifest.labels.begin(), manifest.labels.end(),
                           [&](const std::string& l) { return to_lower(l) == to_lower(column); });
    if (it == manifest.labels.end())
      throw Error(ErrorKind::usage, fmt::format("isic format needs the 7 HAM10000 classes; model '{}' has no '{}'",
                                                manifest.name, to_lower(column)));
    indices.push_back(std::size_t(it - manifest.labels.begin()));
  }
  return indices;
}

RecordLines read_record_lines(std::istream& in) {
  RecordLines out;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (in.eof()) {  // no newline after it: the write was cut short
      if (line.find_first_not_of(" \t\r") != std::string::npos) {
        out.cut_off = true;
        out.cut_off_line = n;
      }
      break;
    }
    out.lines.emplace_back(n, std::move(line));
  }
  return out;
}

FinishedRecords read_jsonl_records(const std::string& path) {
  FinishedRecords done;
  std::ifstream in(path, std::ios::binary);
  if (!in) return done;
  for (auto& [n, line] : read_record_lines(in).lines) {
    try {
      auto j = nlohmann::json::parse(line);
      if (!j.is_object() || !j.contains("path") || !j["path"].is_string()) continue;
      done.paths.insert(j["path"].get<std::string>());
      done.lines.push_back(std::move(line));
    } catch (const nlohmann::json::exception&) {
      // a damaged record is redone
    }
  }
  return done;
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::unique_ptr<PredictionWriter> make_writer(OutputFormat format, OutputFile& out, const Manifest& manifest,
                                              std::size_t top_k, bool skin_tone) {
  switch (format) {
    case OutputFormat::jsonl:
      return std::make_unique<JsonlWriter>(out, manifest, top_k);
    case OutputFormat::csv:
      return std::make_unique<CsvWriter>(out, manifest, skin_tone);
    case OutputFormat::isic:
      return std::make_unique<IsicWriter>(out, manifest);
  }
  throw Error(ErrorKind::usage, "unknown output format");
}

namespace {

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
  const RecordLines file = read_record_lines(in);
  if (file.cut_off)
    throw Error(ErrorKind::input, fmt::format("{}: line {}: incomplete last line (no newline): was the run cut short?",
                                              path, file.cut_off_line));
  for (const auto& [number, line] : file.lines) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::size_t n = number;  // a lambda cannot capture a structured binding in C++17
    auto fail = [&](const std::string& what) {
      throw Error(ErrorKind::input, fmt::format("{}: line {}: {}", path, n, what));
    };
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

PredictionRows read_predictions(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open predictions", path));
  char first = 0;
  while (in.get(first) && std::isspace(static_cast<unsigned char>(first))) {
  }
  in.clear();
  in.seekg(0);
  return first == '{' ? read_jsonl_predictions(in, path) : read_csv_predictions(in, path);
}

ShardRecords read_shard_records(const std::string& path, OutputFormat format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, fmt::format("{}: cannot open shard output", path));
  std::stringstream text;
  text << in.rdbuf();
  const RecordLines file = read_record_lines(text);
  if (file.cut_off)
    throw Error(ErrorKind::input,
                fmt::format("{}: last line is incomplete (the task stopped while writing); {}", path,
                            format == OutputFormat::jsonl ? "re-run this shard with --resume" : "re-run this shard"));
  ShardRecords out;
  if (format == OutputFormat::jsonl) {
    for (const auto& [n, line] : file.lines) {
      if (line.empty()) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {
        throw Error(ErrorKind::input, fmt::format("{}: line {}: not a JSON record", path, n));
      }
      if (!j.is_object() || !j.contains("id") || !j["id"].is_string())
        throw Error(ErrorKind::input, fmt::format("{}: line {}: record has no image id", path, n));
      out.records.push_back({j["id"].get<std::string>(), line});
    }
    return out;
  }
  text.clear();
  text.seekg(0);
  CsvReader csv(text, path);
  const std::size_t id = csv.require_column(format == OutputFormat::isic ? "image" : "id");
  if (!file.lines.empty()) {
    out.header = file.lines.front().second;
    if (!out.header.empty() && out.header.back() == '\r') out.header.pop_back();
  }
  // Rows are re-emitted field by field (quoted where needed) so that the merged file is valid CSV.
  while (auto row = csv.next()) {
    std::string line;
    for (std::size_t c = 0; c < row->size(); ++c) line += (c ? "," : "") + csv_escape((*row)[c]);
    out.records.push_back({(*row)[id], line});
  }
  return out;
}

}  // namespace skin
