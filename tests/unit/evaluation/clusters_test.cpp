// clusters_test.cpp: cluster indices from a metadata column, repeated-unit detection, and the
// column check --group-by and --cluster-by run before any image is read (skin/evaluation/clusters.hpp).
#include "skin/evaluation/clusters.hpp"

#include <doctest/doctest.h>

#include "../support.hpp"

namespace {

skin::Dataset lesion_dataset(const std::vector<std::string>& lesions) {
  skin::Dataset d;
  d.root = "ham";
  for (std::size_t i = 0; i < lesions.size(); ++i)
    d.items.push_back({"I" + std::to_string(i), "nv", "", {{"lesion_id", lesions[i]}, {"sex", "f"}}});
  return d;
}

}  // namespace

TEST_CASE("rows with one value share a cluster; rows without a value are clusters of their own") {
  const std::map<std::string, std::string> a{{"lesion_id", "L1"}}, b{{"lesion_id", "L2"}}, blank{{"lesion_id", ""}},
      none{};
  const auto c = skin::cluster_indices({&a, &b, &a, &blank, &none, &b}, "lesion_id");
  CHECK(c[0] == c[2]);
  CHECK(c[1] == c[5]);
  CHECK(c[0] != c[1]);
  CHECK(c[3] != c[4]);
  CHECK(c[3] != c[0]);
  CHECK(c[4] != c[1]);
}

TEST_CASE("a lesion column with repeats is found and counted; ids map to their lesion") {
  const auto repeated = lesion_dataset({"L1", "L2", "L1", "L3", "L1"});
  CHECK(skin::repeated_unit_column(repeated) == std::optional<std::string>("lesion_id"));
  const auto count = skin::count_clusters(repeated, "lesion_id");
  CHECK(count.clusters == 3);
  CHECK(count.items_with_value == 5);
  CHECK(count.largest == 3);
  const auto of = skin::cluster_of_ids(repeated, "lesion_id");
  CHECK(of.at("I0") == of.at("I2"));
  CHECK(of.at("I0") != of.at("I1"));
  CHECK_FALSE(skin::repeated_unit_column(lesion_dataset({"L1", "L2", "L3"})));
}

TEST_CASE("require_column names the missing column and the columns there are") {
  const auto d = lesion_dataset({"L1"});
  skin::require_column(d, "lesion_id", "--cluster-by");
  CHECK(test::error_of([&] { skin::require_column(d, "patient_id", "--cluster-by"); }, skin::ErrorKind::usage) ==
        "--cluster-by patient_id: no item of ham has this column (columns: lesion_id, sex; others come from "
        "--metadata CSV)");
}
