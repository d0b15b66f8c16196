// summary_markdown_test.cpp: the Markdown job summary (skin/evaluation/summary_markdown.hpp); the
// whole document is checked against a golden file in tests/cli/evaluate.sh.
#include "skin/evaluation/summary_markdown.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

namespace {

const nlohmann::json kReport = nlohmann::json::parse(R"({
  "model": {"kind": "model", "name": "net", "version": "1.0"},
  "dataset": {"root": "/d|x", "split": "val.txt", "scored": 10, "failed": 1, "missing": 0},
  "metrics": {"accuracy": 0.8, "balanced_accuracy": 0.7, "macro_f1": 0.6, "macro_auc": null, "ece": 0.05},
  "confidence_intervals": {"accuracy": [0.7, 0.9]},
  "per_class": {"mel": {"support": 4, "precision": 0.5, "recall": 0.25, "f1": 0.3333333, "auc": 0.9}}})");

}  // namespace

TEST_CASE("headline, gates and per-class tables; table cells cannot break the table") {
  skin::GateResult failed;
  failed.kind = "fail_under";
  failed.gate = "accuracy=0.9";
  failed.metric = "accuracy";
  failed.threshold = 0.9;
  failed.value = 0.8;
  failed.failures = {"accuracy = 0.8000 is below 0.9"};
  const std::string md = skin::summary_markdown(kReport, {failed}, nullptr);
  CHECK(md.rfind("## skinscan evaluate: net 1.0 on /d\\|x (split val.txt)\n\n**1 gate(s) failed.**\n", 0) == 0);
  CHECK(md.find("| accuracy | 0.8000 | 0.7000 to 0.9000 |\n") != std::string::npos);
  CHECK(md.find("| macro_auc | - | - |\n") != std::string::npos);
  CHECK(md.find("10 images scored, 1 failed, 0 missing.") != std::string::npos);
  CHECK(md.find("0 of 1 gates passed.") != std::string::npos);
  CHECK(md.find("| `accuracy=0.9` | fail_under | 0.8000 | - | 0.9000 | **FAIL** |\n") != std::string::npos);
  CHECK(md.find("- accuracy = 0.8000 is below 0.9") != std::string::npos);
  CHECK(md.find("| mel | 4 | 0.5000 | 0.2500 | 0.3333 | 0.9000 |\n") != std::string::npos);
  CHECK(md.find("Against the baseline") == std::string::npos);
}

TEST_CASE("no gates, and a baseline: its deltas") {
  nlohmann::json base = kReport;
  base["metrics"]["accuracy"] = 0.75;
  const std::string md = skin::summary_markdown(kReport, {}, base);
  CHECK(md.find("No gates were set.") != std::string::npos);
  CHECK(md.find("gate(s) failed") == std::string::npos);
  CHECK(md.find("| accuracy | 0.7500 | 0.8000 | +0.0500 |\n") != std::string::npos);
  CHECK(md.find("| ece (lower is better) | 0.0500 | 0.0500 | +0.0000 |\n") != std::string::npos);
}
