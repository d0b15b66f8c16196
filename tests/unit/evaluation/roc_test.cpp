// roc_test.cpp: ROC curve, operating points, partial AUCs and thresholds on hand-worked cases
// (skin/evaluation/roc.hpp). tests/metrics/check_research.py checks them against scikit-learn at scale.
#include "skin/evaluation/roc.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

namespace {
// 4 positives, 4 negatives; scores tie once across the classes (0.6).
const std::vector<bool> kPositive{true, true, true, true, false, false, false, false};
const std::vector<double> kScore{0.9, 0.8, 0.6, 0.3, 0.7, 0.6, 0.2, 0.1};
}  // namespace

TEST_CASE("the curve has one point per distinct score, from (0,0) to (1,1)") {
  auto c = skin::roc_curve(kPositive, kScore);
  REQUIRE(c.size() == 8);  // (0,0) + 7 distinct scores
  CHECK_FALSE(c[0].threshold);
  CHECK(*c[3].threshold == 0.7);
  CHECK(c[3].fpr == 0.25);
  CHECK(c[3].tpr == 0.5);
  CHECK(c[4].fpr == 0.5);  // the tie at 0.6 moves both rates at once
  CHECK(c[4].tpr == 0.75);
  CHECK(c.back().fpr == 1.0);
  CHECK(skin::roc_curve({true, true}, {0.1, 0.2}).empty());
}

TEST_CASE("operating points and thresholds") {
  auto c = skin::roc_curve(kPositive, kScore);
  auto p = skin::sensitivity_at_specificity(c, 0.75);
  CHECK(p.sensitivity == 0.5);
  CHECK(p.specificity == 1.0);  // tpr 0.5 is reached at 0.8 already, with specificity 1
  CHECK(*p.threshold == 0.8);
  auto q = skin::specificity_at_sensitivity(c, 1.0);
  CHECK(q.specificity == 0.5);
  CHECK(*q.threshold == 0.3);
  CHECK(*skin::pick_threshold(c, "youden") == 0.8);  // tpr-fpr 0.5 first reached at 0.8
  CHECK(*skin::pick_threshold(c, "sens=0.75") == 0.6);
  CHECK(*skin::pick_threshold(c, "spec=1") == 0.8);
  CHECK(test::error_of([&] { skin::pick_threshold(c, "f1"); }, skin::ErrorKind::usage) ==
        "threshold rule 'f1': use youden, sens=X or spec=X");
}

TEST_CASE("partial AUCs: ISIC's raw area above a sensitivity, sklearn's standardised max_fpr") {
  auto c = skin::roc_curve(kPositive, kScore);
  // Sensitivity 0.8 is first reached at (0.5, 1.0) after (0.5, 0.75): interpolated FPR 0.5;
  // then (0.5,0.8) -> (0.5,1) -> (0.75,1) -> (1,1): area 0.5.
  CHECK(skin::pauc_above_sensitivity(c, 0.8) == doctest::Approx(0.5));
  // max_fpr 0.5: area 0.25*0.5 + 0.25*(0.5+0.75)/2 = 0.28125; McClish: 0.5*(1+(a-0.125)/(0.5-0.125)).
  CHECK(skin::standardized_partial_auc(c, 0.5) == doctest::Approx(0.5 * (1 + (0.28125 - 0.125) / 0.375)));
}

TEST_CASE("ISIC 2024's pAUC above a TPR flips labels and negates scores, on the 0 to 1 - TPR scale") {
  // Flipped curve: (0,0) (0,.25) (0,.5) (.25,.5) (.5,.75) [the 0.6 tie moves both] (.5,1) (.75,1) (1,1).
  // Up to FPR 0.2: height 0.5 from 0 to 0.2 (interpolated on the flat step).
  CHECK(*skin::pauc_above_tpr(kPositive, kScore, 0.80) == doctest::Approx(0.1));
  // Up to FPR 0.5: 0.25*0.5 + 0.25*(0.5+0.75)/2, the vertical step adding nothing.
  CHECK(*skin::pauc_above_tpr(kPositive, kScore, 0.50) == doctest::Approx(0.28125));
  // A perfect ranking fills the whole 0.2 x 1 strip; one class alone has no curve.
  CHECK(*skin::pauc_above_tpr({true, false}, {0.9, 0.1}, 0.80) == doctest::Approx(0.2));
  CHECK_FALSE(skin::pauc_above_tpr({true, true}, {0.9, 0.1}, 0.80));
  // Raw partial area of the original curve (what standardized_partial_auc corrects).
  CHECK(skin::partial_auc(skin::roc_curve(kPositive, kScore), 0.5) == doctest::Approx(0.28125));
}

TEST_CASE("metrics at a fixed threshold count the rule score >= threshold") {
  auto m = skin::metrics_at_threshold(kPositive, kScore, 0.6);
  CHECK(m.tp == 3);
  CHECK(m.fp == 2);
  CHECK(m.tn == 2);
  CHECK(m.fn == 1);
  CHECK(*m.ppv == doctest::Approx(0.6));
  CHECK(*m.npv == doctest::Approx(2.0 / 3));
  CHECK_FALSE(skin::metrics_at_threshold({false, false}, {0.1, 0.2}, 0.5).sensitivity);
}
