// skin/writers.hpp: one writer per prediction output format, shared by every subcommand.
#pragma once
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "skin/manifest.hpp"
#include "skin/output_file.hpp"
#include "skin/prediction.hpp"
#include "skin/scoring.hpp"

namespace skin {

enum class OutputFormat { jsonl, csv, isic };

OutputFormat parse_output_format(const std::string& name);  // throws Error(usage)

class PredictionWriter {
 public:
  virtual ~PredictionWriter() = default;
  virtual void write(const Prediction& prediction) = 0;
  // Whether failed items appear in the output (ISIC submissions have no place for them).
  virtual bool records_errors() const { return true; }
};

// Writers flush after every record so that pipes see results as they come and an interrupted
// run keeps what it had.
std::unique_ptr<PredictionWriter> make_writer(OutputFormat format, OutputFile& out, const Manifest& manifest,
                                              std::size_t top_k);

// The ISIC 2018 Task 3 column order, and where each column sits in the model's labels
// (case-insensitive). Throws Error(usage) when the model lacks one of the seven classes.
inline constexpr const char* kIsicColumns[7] = {"MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"};
std::vector<std::size_t> isic_label_indices(const Manifest& manifest);

std::string csv_escape(const std::string& field);

// `evaluate --per-image`: id, path, truth, prediction, confidence, correct, then one p_<label>
// column per class (what `compare` needs for paired tests on AUC).
std::string per_image_csv(const Scoring& scoring);

// Records of an earlier JSON Lines run, for --resume: the complete lines (a torn last line from
// an interrupted write is dropped) and the paths they cover.
struct FinishedRecords {
  std::vector<std::string> lines;
  std::unordered_set<std::string> paths;
};
FinishedRecords read_jsonl_records(const std::string& path);

}  // namespace skin
