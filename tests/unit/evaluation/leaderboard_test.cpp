// leaderboard_test.cpp: ranking and paired tests of several models (skin/evaluation/leaderboard.hpp);
// tests/cli/evaluate.sh checks a whole run against single-model runs and scipy.
#include "skin/evaluation/leaderboard.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

namespace {

// Two classes, "m" malignant; probabilities of class "m" per image, truth 0 = b, 1 = m.
skin::Scoring model_scoring(const std::vector<double>& p_m) {
  skin::Scoring s;
  s.labels = {"b", "m"};
  s.malignant = {"m"};
  const std::vector<int> truth{0, 0, 0, 1, 1, 1};
  for (std::size_t i = 0; i < truth.size(); ++i)
    s.scored.push_back({"i" + std::to_string(i), "", truth[i], {1 - p_m[i], p_m[i]}, {}});
  return s;
}

nlohmann::json model_report(const std::string& name, double balanced_accuracy, double ece) {
  return {{"model", {{"kind", "model"}, {"name", name}, {"version", "1"}}},
          {"metrics", {{"accuracy", 0.5}, {"balanced_accuracy", balanced_accuracy}, {"macro_auc", 0.5}, {"ece", ece}}},
          {"dataset", {{"scored", 6}}}};
}

}  // namespace

TEST_CASE("rows sorted by the chosen metric, lower-is-better ones ascending; pairs against the first") {
  // Reference: right on 4 of 6 (i0, i1, i3, i4); other: right on all 6.
  const auto a = model_scoring({0.1, 0.2, 0.7, 0.8, 0.9, 0.4});
  const auto b = model_scoring({0.1, 0.2, 0.3, 0.8, 0.9, 0.6});
  skin::LeaderboardOptions o;
  o.bootstrap = 200;
  auto board = skin::leaderboard({model_report("a", 4.0 / 6, 0.2), model_report("b", 1.0, 0.3)}, {a, b}, o);
  CHECK(board["rows"][0]["model"] == "b 1");
  CHECK(board["rows"][0]["rank"] == 1);
  const auto& p = board["pairwise"][0];
  CHECK(p["paired_images"] == 6);
  CHECK(p["mcnemar"]["right_only_in_reference"] == 0);
  CHECK(p["mcnemar"]["right_only_in_model"] == 2);
  CHECK(p["mcnemar"]["p_value"].get<double>() == doctest::Approx(0.5));  // 2 x 0.5^2
  CHECK(p["balanced_accuracy_difference"]["estimate"].get<double>() == doctest::Approx(1.0 - 4.0 / 6));
  CHECK(p["delong_malignant"]["auc_model"].get<double>() == doctest::Approx(1.0));
  o.sort_by = "ece";
  board = skin::leaderboard({model_report("a", 4.0 / 6, 0.2), model_report("b", 1.0, 0.3)}, {a, b}, o);
  CHECK(board["rows"][0]["model"] == "a 1");
}

TEST_CASE("an unknown sort metric is a usage error listing the valid ones") {
  skin::LeaderboardOptions o;
  o.sort_by = "speed";
  CHECK(test::error_of([&] { skin::validate_leaderboard_options(o); }, skin::ErrorKind::usage)
            .rfind("--sort-by 'speed': unknown metric (use accuracy, ", 0) == 0);
}
