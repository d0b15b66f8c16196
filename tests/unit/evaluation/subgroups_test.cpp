// subgroups_test.cpp: group formation, disparity and group gates (skin/evaluation/subgroups.hpp);
// the metric values are checked against pandas/scikit-learn in tests/metrics/check_research.py.
#include "skin/evaluation/subgroups.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

namespace {
std::vector<std::map<std::string, std::string>> rows = {{{"age", "25"}, {"sex", "m"}},
                                                        {{"age", "45"}, {"sex", "f"}},
                                                        {{"age", ""}, {"sex", "f"}},
                                                        {{"age", "200"}, {"sex", "m"}}};
std::vector<const std::map<std::string, std::string>*> pointers() {
  std::vector<const std::map<std::string, std::string>*> p;
  for (const auto& r : rows) p.push_back(&r);
  return p;
}
}  // namespace

TEST_CASE("numeric columns are binned, blanks and out-of-range values are (missing)") {
  CHECK(skin::group_values(pointers(), "age", {0, 30, 120}) ==
        std::vector<std::string>{"[0,30)", "[30,120)", "(missing)", "(missing)"});
  CHECK(skin::group_values(pointers(), "age", {}) == std::vector<std::string>{"25", "45", "(missing)", "200"});
  CHECK(skin::group_values(pointers(), "sex", {0, 30}) == std::vector<std::string>{"m", "f", "f", "m"});
  CHECK(test::error_of([] { skin::group_values(pointers(), "skin", {}); }, skin::ErrorKind::usage)
            .rfind("--group-by skin: no scored item has this column", 0) ==
        0);  // a library caller without the CLI check
}

TEST_CASE("small groups are reported, flagged and left out of disparity and gates") {
  skin::ScoreTable t;
  t.classes = 2;
  t.truth = {0, 1, 0, 1};
  t.probabilities = {0.9, 0.1, 0.2, 0.8, 0.3, 0.7, 0.6, 0.4};  // items 0, 1 right; 2, 3 wrong
  skin::SubgroupOptions o;
  o.columns = {"sex"};
  o.min_group_n = 2;
  auto r = skin::subgroup_report(t, pointers(), o);
  REQUIRE(r["subgroups"].size() == 2);
  CHECK(r["subgroups"][0]["group"] == "f");  // sorted
  CHECK(r["subgroups"][0]["metrics"]["accuracy"] == 0.5);
  CHECK(r["disparity"]["accuracy"]["max_gap"] == 0.0);
  o.min_group_n = 3;
  r = skin::subgroup_report(t, pointers(), o);
  CHECK(r["subgroups"][0]["flagged_small"] == true);
  CHECK(r["disparity"]["accuracy"].is_null());
  nlohmann::json report = {{"subgroups", r["subgroups"]}, {"disparity", r["disparity"]}};
  CHECK(skin::check_group_gates(report, {"accuracy=0.9"}, {}).empty());  // no group large enough
  CHECK(skin::check_group_gates(report, {}, {"accuracy=0.1"}) ==
        std::vector<std::string>{"accuracy: no two groups large enough to compare (gate max gap 0.1)"});
}
