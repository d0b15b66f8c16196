// compare_test.cpp: report comparison, regression gates, McNemar (skin/evaluation/compare.hpp).
#include "skin/evaluation/compare.hpp"

#include <doctest/doctest.h>

TEST_CASE("McNemar exact p-value") {
  CHECK(skin::mcnemar_exact_p(10, 2) == doctest::Approx(2.0 * (1 + 12 + 66) / 4096.0));
  CHECK(skin::mcnemar_exact_p(2, 10) == doctest::Approx(2.0 * (1 + 12 + 66) / 4096.0));
  CHECK(skin::mcnemar_exact_p(0, 0) == 1.0);
  CHECK(skin::mcnemar_exact_p(5, 5) == 1.0);  // capped at 1
}

TEST_CASE("regressions count worse in the right direction") {
  auto base = nlohmann::json::parse(R"({"metrics": {"accuracy": 0.80, "balanced_accuracy": 0.60, "ece": 0.05}})");
  auto same = nlohmann::json::parse(R"({"metrics": {"accuracy": 0.795, "balanced_accuracy": 0.70, "ece": 0.054}})");
  CHECK(skin::check_regressions(same, base, 0.01).empty());
  auto worse = nlohmann::json::parse(R"({"metrics": {"accuracy": 0.78, "balanced_accuracy": 0.60, "ece": 0.07}})");
  auto failures = skin::check_regressions(worse, base, 0.01);
  REQUIRE(failures.size() == 2);
  CHECK(failures[0] == "accuracy = 0.7800 is 0.0200 worse than the baseline's 0.8000 (max drop 0.01)");
  CHECK(failures[1].rfind("ece = 0.0700 is 0.0200 worse", 0) == 0);
}

TEST_CASE("compare_reports gives B - A per metric and per class") {
  auto a = nlohmann::json::parse(
      R"({"metrics": {"accuracy": 0.5, "macro_auc": null}, "per_class": {"mel": {"recall": 0.25, "precision": 0.5, "f1": 0.3, "auc": 0.9}}})");
  auto b = nlohmann::json::parse(
      R"({"metrics": {"accuracy": 0.75, "macro_auc": 0.9}, "per_class": {"mel": {"recall": 0.5, "precision": 0.5, "f1": 0.3, "auc": 0.8}}})");
  auto d = skin::compare_reports(a, b);
  CHECK(d["metrics"]["accuracy"]["delta"].get<double>() == doctest::Approx(0.25));
  CHECK(d["metrics"]["macro_auc"]["delta"].is_null());
  CHECK(d["per_class"]["mel"]["recall"]["delta"].get<double>() == doctest::Approx(0.25));
}
