// skin/inference/prediction_files.hpp: skinscan's prediction formats (JSON Lines, CSV, ISIC submission
// CSV): one writer and one reader per format, shared by every subcommand that writes them
// (classify, batch), reads them back (batch --resume, evaluate --predictions) or joins them (merge).
#pragma once
#include <istream>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "skin/core/output_file.hpp"
#include "skin/model/manifest.hpp"
#include "skin/model/prediction.hpp"

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
// `skin_tone`: the CSV gains ita and ita_category columns (batch --skin-tone).
std::unique_ptr<PredictionWriter> make_writer(OutputFormat format, OutputFile& out, const Manifest& manifest,
                                              std::size_t top_k, bool skin_tone = false);

// The ISIC 2018 Task 3 column order, and where each column sits in the model's labels
// (case-insensitive). Throws Error(usage) when the model lacks one of the seven classes.
inline constexpr const char* kIsicColumns[7] = {"MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"};
std::vector<std::size_t> isic_label_indices(const Manifest& manifest);

// RFC 4180 quoting: a field holding a comma, quote, CR or LF is quoted, inner quotes doubled.
std::string csv_escape(const std::string& field);

// --- Reading skinscan's outputs back ------------------------------------------------------------
// The one rule for a write that was cut short (an interrupted run, a killed array task): the
// file's last line has no newline. Writers end every record with one, so such a line is never
// a whole record. Resume drops it (the item is redone); evaluate and merge reject the file.
struct RecordLines {
  std::vector<std::pair<std::size_t, std::string>> lines;  // (1-based line number, text) of complete lines
  bool cut_off = false;                                    // a non-blank last line without newline
  std::size_t cut_off_line = 0;                            // its line number
};
RecordLines read_record_lines(std::istream& in);

// Records of an earlier JSON Lines run, for --resume: the complete lines (a cut-off last line
// and damaged records are dropped, so those items are redone) and the paths they cover.
struct FinishedRecords {
  std::vector<std::string> lines;
  std::unordered_set<std::string> paths;
};
FinishedRecords read_jsonl_records(const std::string& path);

// A predictions file for `evaluate --predictions`, in the file's own class order: skinscan JSON
// Lines (sniffed by a leading '{'), skinscan CSV, or an ISIC submission CSV (column `image`).
// Error(input) naming the file and line/row for anything that is not a whole, valid record
// (cut-off last line, duplicate id, probabilities outside [0, 1] or not summing to 1, ...).
struct PredictionRows {
  std::vector<std::string> labels;
  bool upper_case_labels = false;  // ISIC column names
  struct Row {
    std::vector<double> p;
    std::string error;
  };
  std::unordered_map<std::string, Row> rows;
};
PredictionRows read_predictions(const std::string& path);

// The records of one shard output for `merge`: each record's image id and its text (a JSON line,
// or a CSV row re-quoted with csv_escape), plus the CSV header. Error(input) for a cut-off last
// line or a record without an id.
struct ShardRecord {
  std::string id, text;
};
struct ShardRecords {
  std::string header;  // CSV formats only
  std::vector<ShardRecord> records;
};
ShardRecords read_shard_records(const std::string& path, OutputFormat format);

}  // namespace skin
