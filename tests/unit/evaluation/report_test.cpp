// report_test.cpp: report assembly and its summary table (skin/evaluation/report.hpp). Metric values are
// checked against scikit-learn in tests/metrics; here: structure, counts and the binary view.
#include "skin/evaluation/report.hpp"

#include <set>

#include <doctest/doctest.h>

#include "skin/evaluation/gates.hpp"
#include "support.hpp"

namespace {

// Three classes, a malignant "m"; 4 scored items, one missing, one failed.
skin::Scoring scoring() {
  skin::Scoring s;
  s.labels = {"b", "m", "n"};
  s.malignant = {"m"};
  s.scored = {{"1", "p1", 0, {0.8, 0.1, 0.1}, {}},
              {"2", "p2", 1, {0.2, 0.7, 0.1}, {}},
              {"3", "p3", 1, {0.6, 0.3, 0.1}, {}},
              {"4", "p4", 2, {0.1, 0.2, 0.7}, {}}};
  s.missing = {"5"};
  s.failed = {{"6", "p6", "p6: file is empty"}};
  s.source = {{"kind", "predictions"}};
  return s;
}

skin::Dataset dataset() {
  skin::Dataset d;
  d.layout = "imagefolder";
  d.root = "/x";
  d.items = {{"1", "b", "p1", {}}, {"2", "m", "p2", {}}, {"3", "m", "p3", {}},
             {"4", "n", "p4", {}}, {"5", "n", "", {}},   {"6", "b", "p6", {}}};
  return d;
}

}  // namespace

TEST_CASE("the report counts every labelled item once and scores only what was scored") {
  auto r = skin::make_report(dataset(), scoring(), skin::ReportOptions{});
  CHECK(r["schema_version"] == skin::kReportSchemaVersion);
  CHECK(r["dataset"]["labelled"] == 6);
  CHECK(r["dataset"]["scored"] == 4);
  CHECK(r["dataset"]["missing"] == 1);
  CHECK(r["dataset"]["failed"] == 1);
  CHECK(r["dataset"]["counts_per_class"] == nlohmann::json{{"b", 2}, {"m", 2}, {"n", 2}});
  CHECK(r["metrics"]["accuracy"].get<double>() == doctest::Approx(0.75));
  CHECK(r["metrics"]["balanced_accuracy"].get<double>() == doctest::Approx((1.0 + 0.5 + 1.0) / 3));
  CHECK(r["confusion_matrix"]["counts"] == nlohmann::json{{1, 0, 0}, {1, 1, 0}, {0, 0, 1}});
  CHECK(r["confusion_matrix"]["row_normalized"][1][0].get<double>() == doctest::Approx(0.5));
  CHECK(r["items_missing"] == nlohmann::json{"5"});
  CHECK(r["items_failed"][0]["error"] == "p6: file is empty");
  CHECK_FALSE(r.contains("confidence_intervals"));
}

TEST_CASE("the binary view sums the malignant probabilities") {
  auto r = skin::make_report(dataset(), scoring(), skin::ReportOptions{});
  const auto& b = r["binary"];
  CHECK(b["positives"] == 2);
  CHECK(b["negatives"] == 2);
  CHECK(b["sensitivity"].get<double>() == doctest::Approx(0.5));  // item 3 has p(m) = 0.3 < 0.5
  CHECK(b["specificity"].get<double>() == doctest::Approx(1.0));
  CHECK(b["auc"].get<double>() == doctest::Approx(1.0));  // 0.7, 0.3 above 0.1, 0.2
  auto no_malignant = scoring();
  no_malignant.malignant.clear();
  CHECK(skin::make_report(dataset(), no_malignant, skin::ReportOptions{})["binary"].is_null());
}

TEST_CASE("bootstrap intervals appear only when asked, with their method") {
  skin::ReportOptions o;
  o.bootstrap = 50;
  o.seed = 7;
  auto r = skin::make_report(dataset(), scoring(), o);
  CHECK(r["confidence_intervals"]["resamples"] == 50);
  CHECK(r["confidence_intervals"]["method"].get<std::string>().find("within each true class") != std::string::npos);
  CHECK(r["confidence_intervals"]["accuracy"].size() == 2);
}

TEST_CASE("a report of nothing is refused") {
  auto s = scoring();
  s.scored.clear();
  CHECK(test::error_of([&] { skin::make_report(dataset(), s, skin::ReportOptions{}); }, skin::ErrorKind::input) ==
        "/x: no items could be scored: nothing to report");
}

TEST_CASE("the gate metric names are exactly the report's metrics") {
  // Three classes: every metric but top_3_accuracy (which needs more than three).
  auto r = skin::make_report(dataset(), scoring(), skin::ReportOptions{});
  std::set<std::string> in_report, gate_names(skin::report_metric_names().begin(), skin::report_metric_names().end());
  for (const auto& [name, value] : r["metrics"].items()) in_report.insert(name);
  gate_names.erase("top_3_accuracy");
  gate_names.erase("conformal_coverage");  // only for models with conformal prediction sets
  gate_names.erase("conformal_mean_set_size");
  gate_names.erase("guarantee_sensitivity");  // only for models with a guaranteed-sensitivity threshold
  gate_names.erase("guarantee_specificity");
  CHECK(in_report == gate_names);
}
