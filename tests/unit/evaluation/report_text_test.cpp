// report_text_test.cpp: the summary table evaluate prints (skin/evaluation/report_text.hpp).
#include "skin/evaluation/report_text.hpp"

#include <doctest/doctest.h>

TEST_CASE("the summary shows counts, classes with AUC intervals, headline metrics and subgroups") {
  auto r = nlohmann::json::parse(R"({
    "dataset": {"layout": "ham10000", "root": "/d", "split": null, "labelled": 6, "scored": 4, "missing": 1,
                "failed": 1, "unlabelled": 2},
    "per_class": {"mel": {"support": 2, "precision": 0.5, "recall": 0.5, "specificity": 0.75, "f1": 0.5, "auc": 0.8,
                          "auc_ci": [0.6, 0.95], "average_precision": 0.7}},
    "metrics": {"accuracy": 0.75, "balanced_accuracy": 0.5, "macro_f1": 0.5, "cohen_kappa": null, "macro_auc": 0.8,
                "ece": 0.1, "mce": 0.2, "brier": 0.3, "nll": 0.4},
    "calibration": {"bins_count": 15},
    "binary": null,
    "selective": {"aurc": 0.05, "risk_at_coverage_0.80": 0.1, "curve_points": 4},
    "subgroups": [{"column": "sex", "group": "female", "n": 3, "flagged_small": true,
                   "metrics": {"accuracy": 1.0, "balanced_accuracy": 1.0, "macro_auc": null, "ece": 0.1}}],
    "subgroup_options": {"min_group_n": 20},
    "disparity": {"accuracy": null}
  })");
  const std::string text = skin::report_summary_text(r);
  CHECK(text.find("6 labelled, 4 scored, 1 missing, 1 failed, 2 predictions without a label") != std::string::npos);
  CHECK(text.find("[0.6000, 0.9500]") != std::string::npos);
  CHECK(text.find("accuracy 0.7500") != std::string::npos);
  CHECK(text.find("kappa    -") != std::string::npos);  // undefined values print as a dash
  CHECK(text.find("aurc 0.0500") != std::string::npos);
  CHECK(text.find("sex            female") != std::string::npos);
  CHECK(text.find("(* fewer than 20 items") != std::string::npos);
}
