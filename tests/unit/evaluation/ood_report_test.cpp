// ood_report_test.cpp: AUROC and FPR at 95% TPR of OOD scores (skin/evaluation/ood_report.hpp).
#include "skin/evaluation/ood_report.hpp"

#include <doctest/doctest.h>

TEST_CASE("perfect, reversed and tied separations") {
  std::vector<double> id, ood;
  for (int i = 0; i < 20; ++i) id.push_back(i), ood.push_back(100 + i);
  auto s = skin::ood_separation(id, ood);
  CHECK(*s.auroc == 1.0);
  CHECK(*s.fpr_at_95_tpr == 0.0);
  s = skin::ood_separation(ood, id);
  CHECK(*s.auroc == 0.0);
  CHECK(*s.fpr_at_95_tpr == 1.0);
  s = skin::ood_separation({1, 1, 1, 1}, {1, 1});
  CHECK(*s.auroc == 0.5);
  CHECK(*s.fpr_at_95_tpr == 1.0);  // every OOD score is at the in-distribution threshold
  CHECK_FALSE(skin::ood_separation({}, {1.0}).auroc);
}

TEST_CASE("FPR at 95% TPR counts OOD scores at or below the 95th in-distribution rank") {
  std::vector<double> id;
  for (int i = 1; i <= 100; ++i) id.push_back(i);  // threshold: the 95th smallest, 95
  const auto s = skin::ood_separation(id, {10, 95, 96, 200});
  CHECK(*s.fpr_at_95_tpr == doctest::Approx(0.5));
}
