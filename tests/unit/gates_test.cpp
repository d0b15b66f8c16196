// gates_test.cpp: METRIC=VALUE gates (skin/gates.hpp).
#include "skin/gates.hpp"

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
  CHECK(test::error_of([] { skin::check_gates(report, {}, {"speed=1"}); }, ErrorKind::usage) ==
        "gate 'speed=1': unknown metric 'speed'");
}
