// gates_test.cpp: METRIC=VALUE gates, checked before the work and recorded after it
// (skin/evaluation/gates.hpp).
#include "skin/evaluation/gates.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

namespace {
const nlohmann::json report =
    nlohmann::json::parse(R"({"metrics": {"accuracy": 0.8, "ece": 0.06, "macro_auc": null}})");
}

TEST_CASE("gates pass and fail in the right direction") {
  CHECK(skin::check_gates(report, {"accuracy=0.8"}, {"ece=0.06"}).empty());  // equal passes
  auto failures = skin::check_gates(report, {"accuracy=0.81"}, {"ece=0.05"});
  REQUIRE(failures.size() == 2);
  CHECK(failures[0] == "accuracy = 0.8000 is below 0.81");
  CHECK(failures[1] == "ece = 0.0600 is above 0.05");
}

TEST_CASE("an undefined metric fails its gate instead of passing silently") {
  auto failures = skin::check_gates(report, {"macro_auc=0.5"}, {});
  REQUIRE(failures.size() == 1);
  CHECK(failures[0] == "macro_auc is undefined for this data (gate >= 0.5)");
}

TEST_CASE("malformed gates and unknown metrics are usage errors") {
  using skin::ErrorKind;
  CHECK(test::error_of([] { skin::check_gates(report, {"accuracy"}, {}); }, ErrorKind::usage) ==
        "gate 'accuracy' must look like METRIC=VALUE");
  CHECK(test::error_of([] { skin::check_gates(report, {"accuracy=0.8x"}, {}); }, ErrorKind::usage) ==
        "gate 'accuracy=0.8x' must look like METRIC=VALUE");
  const std::string unknown = test::error_of([] { skin::check_gates(report, {}, {"speed=1"}); }, ErrorKind::usage);
  CHECK(unknown.rfind("gate 'speed=1': unknown metric 'speed' (use accuracy, balanced_accuracy, ", 0) == 0);
}

TEST_CASE("a known metric the data cannot give fails its gate instead of stopping the run") {
  auto failures = skin::check_gates(report, {"top_3_accuracy=0.9"}, {});
  REQUIRE(failures.size() == 1);
  CHECK(failures[0] == "top_3_accuracy is undefined for this data (gate >= 0.9)");
}

TEST_CASE("validate_gates refuses every bad gate before any work, listing the valid names") {
  using skin::ErrorKind;
  skin::GateSpec spec;
  spec.fail_under = {"balanced_acuracy=0.6"};
  const std::string message = test::error_of([&] { skin::validate_gates(spec); }, ErrorKind::usage);
  CHECK(message.rfind("gate 'balanced_acuracy=0.6': unknown metric 'balanced_acuracy' (use accuracy, ", 0) == 0);
  for (const auto& name : skin::report_metric_names()) CHECK(message.find(name) != std::string::npos);
  CHECK(message.find("shift_mean") == std::string::npos);  // not valid without --shift

  spec = {};
  spec.fail_over = {"shift_mean_corruption_error=1.2"};
  CHECK(test::error_of([&] { skin::validate_gates(spec); }, ErrorKind::usage) ==
        "gate 'shift_mean_corruption_error=1.2': shift_mean_corruption_error needs --shift");
  spec.shift = true;
  skin::validate_gates(spec);

  spec = {};
  spec.max_gap = {"accuracy=0.1"};
  CHECK(test::error_of([&] { skin::validate_gates(spec); }, ErrorKind::usage) ==
        "--fail-under-group and --max-gap need --group-by");
  spec.subgroups = true;
  skin::validate_gates(spec);
  spec.fail_under_group = {"auc=0.5"};
  CHECK(test::error_of([&] { skin::validate_gates(spec); }, ErrorKind::usage)
            .rfind("gate 'auc=0.5': unknown group metric 'auc' (use accuracy, balanced_accuracy", 0) == 0);
  spec.fail_under_group = {"ece=x"};
  CHECK(test::error_of([&] { skin::validate_gates(spec); }, ErrorKind::usage) ==
        "gate 'ece=x' must look like METRIC=VALUE");
}

TEST_CASE("evaluate_gates gives one record per gate with its value, interval and failures") {
  const auto r = nlohmann::json::parse(R"({
    "metrics": {"accuracy": 0.8, "balanced_accuracy": 0.7, "macro_f1": 0.6, "macro_auc": 0.9, "ece": 0.06},
    "confidence_intervals": {"balanced_accuracy": [0.65, 0.75]},
    "subgroups": [
      {"column": "sex", "group": "f", "n": 30, "flagged_small": false, "metrics": {"accuracy": 0.9}},
      {"column": "sex", "group": "m", "n": 30, "flagged_small": false, "metrics": {"accuracy": 0.7}},
      {"column": "sex", "group": "x", "n": 2, "flagged_small": true, "metrics": {"accuracy": 0.0}}],
    "disparity": {"accuracy": {"max_gap": 0.2, "worst_group": "sex=m", "worst_value": 0.7}}})");
  const auto baseline = nlohmann::json::parse(R"({"metrics": {"accuracy": 0.85, "balanced_accuracy": 0.7,
    "macro_f1": 0.6, "macro_auc": 0.9, "ece": 0.04}})");
  skin::GateSpec spec;
  spec.fail_under = {"balanced_accuracy=0.6"};
  spec.fail_over = {"ece=0.05"};
  spec.fail_under_group = {"accuracy=0.75"};
  spec.max_gap = {"accuracy=0.3", "malignant_auc=0.1"};
  spec.subgroups = spec.baseline = true;
  spec.baseline_report = baseline;
  spec.max_drop = 0.01;
  const auto results = skin::evaluate_gates(r, spec);
  REQUIRE(results.size() == 4 + 1 + 5);
  CHECK(results[0].passed());
  CHECK(results[0].value == 0.7);
  CHECK(results[0].ci == nlohmann::json{0.65, 0.75});
  CHECK(results[1].failures == std::vector<std::string>{"ece = 0.0600 is above 0.05"});
  CHECK(results[2].value == 0.7);  // the worst large-enough group (the small one is left out)
  CHECK(results[2].failures == std::vector<std::string>{"accuracy = 0.7000 for group sex=m (n = 30) is below 0.75"});
  CHECK(results[3].passed());
  CHECK(results[3].value == 0.2);
  CHECK(results[4].failures == std::vector<std::string>{"malignant_auc is undefined for this data (gate max gap 0.1)"});
  CHECK(results[5].kind == "baseline");
  CHECK(results[5].gate == "accuracy max_drop=0.01");
  CHECK(results[5].threshold == doctest::Approx(0.84));
  CHECK_FALSE(results[5].passed());  // 0.8 vs 0.85
  CHECK(results[6].passed());
  CHECK(results[9].metric == "ece");
  CHECK(results[9].threshold == doctest::Approx(0.05));
  CHECK_FALSE(results[9].passed());  // 0.06 vs 0.04, lower is better
  CHECK(skin::gate_failures(results).size() == 5);
  const auto j = skin::gates_json(spec, results);
  CHECK(j["results"].size() == 10);
  CHECK(j["failed"].size() == 5);
  CHECK(j["results"][1]["passed"] == false);
}
