// writers.cpp: JSON Lines, CSV and ISIC submission writers.
#include "skin/writers.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

#include <fmt/format.h>

#include "skin/error.hpp"
#include "skin/json_text.hpp"
#include "skin/strings.hpp"

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
  CsvWriter(OutputFile& out, const Manifest& m) : out_(out), manifest_(m) {
    std::string header = "path,id,label,probability";
    for (const auto& l : manifest_.labels) header += "," + csv_escape(l);
    out_.write(header + ",malignant_probability,error\n");
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
      row += ",";
    } else {
      row += ",,";  // label, probability
      for (std::size_t i = 0; i < manifest_.labels.size(); ++i) row += ",";
      row += "," + csv_escape(p.error);
    }
    out_.write(row + "\n");
    out_.flush();
  }

 private:
  OutputFile& out_;
  const Manifest& manifest_;
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

FinishedRecords read_jsonl_records(const std::string& path) {
  FinishedRecords done;
  std::ifstream in(path, std::ios::binary);
  if (!in) return done;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: the write was cut short
    try {
      auto j = nlohmann::json::parse(line);
      if (!j.is_object() || !j.contains("path") || !j["path"].is_string()) continue;
      done.paths.insert(j["path"].get<std::string>());
      done.lines.push_back(line);
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
                                              std::size_t top_k) {
  switch (format) {
    case OutputFormat::jsonl:
      return std::make_unique<JsonlWriter>(out, manifest, top_k);
    case OutputFormat::csv:
      return std::make_unique<CsvWriter>(out, manifest);
    case OutputFormat::isic:
      return std::make_unique<IsicWriter>(out, manifest);
  }
  throw Error(ErrorKind::usage, "unknown output format");
}

std::string per_image_csv(const Scoring& s) {
  std::string out = "id,path,truth,prediction,confidence,correct";
  for (const auto& label : s.labels) out += ",p_" + csv_escape(label);
  out += "\n";
  for (const auto& item : s.scored) {
    auto best = std::size_t(std::max_element(item.probabilities.begin(), item.probabilities.end()) -
                            item.probabilities.begin());
    out += fmt::format("{},{},{},{},{:.9g},{}", csv_escape(item.id), csv_escape(item.path),
                       s.labels[std::size_t(item.truth)], s.labels[best], item.probabilities[best],
                       int(best) == item.truth ? 1 : 0);
    for (double p : item.probabilities)
      out += fmt::format(",{:.17g}", p);  // round-trips: paired tests see the same ties
    out += "\n";
  }
  return out;
}

}  // namespace skin
