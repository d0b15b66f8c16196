// label_map_test.cpp: parsing and applying class-column maps (skin/input/label_map.hpp).
#include "skin/input/label_map.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

TEST_CASE("columns merge, drop and renormalise; unmapped columns keep their name") {
  auto r = skin::resolve_labels({"MEL", "AK", "SCC", "UNK"}, skin::parse_label_map("AK=akiec, SCC=akiec,UNK=-"));
  CHECK(r.labels == std::vector<std::string>{"mel", "akiec"});
  CHECK(r.target == std::vector<int>{0, 1, 1, -1});
  CHECK(r.renormalise);
  const double row[] = {0.4, 0.2, 0.2, 0.2};
  auto p = r.apply(row);
  CHECK(p[0] == doctest::Approx(0.5));
  CHECK(p[1] == doctest::Approx(0.5));
  auto same = skin::resolve_labels({"a", "b"}, skin::LabelMap{});
  CHECK(same.identity);
  CHECK(same.labels == std::vector<std::string>{"a", "b"});
}

TEST_CASE("bad maps are usage errors naming the entry") {
  CHECK(test::error_of([] { skin::parse_label_map(",,"); }, skin::ErrorKind::usage) == "--label-map: no entries");
  CHECK(test::error_of(
            [] {
              skin::resolve_labels({"a", "b"}, skin::parse_label_map("a=-,b=-"));
            },
            skin::ErrorKind::usage) == "a=-,b=-: the label map drops every column");
}
