// audit_test.cpp: which dataset items an audit puts on which side (skin/evaluation/audit.hpp).
#include "skin/evaluation/audit.hpp"

#include <doctest/doctest.h>

TEST_CASE("audit sides: listed ids (with or without extension), the rest, and ids on both lists") {
  skin::Dataset d;
  d.items = {{"a.jpg", "nv", "/x/a.jpg", {}},
             {"b.jpg", "mel", "/x/b.jpg", {}},
             {"c.jpg", "nv", "/x/c.jpg", {}},
             {"gone.jpg", "nv", "", {}}};
  auto sides = [](const std::vector<skin::AuditImage>& images) {
    std::vector<std::pair<std::string, int>> out;
    for (const auto& i : images) out.emplace_back(i.id, i.side);
    return out;
  };
  using Sides = std::vector<std::pair<std::string, int>>;
  // No audited list: everything not against is side 0; the image-less item is left out.
  CHECK(sides(skin::dataset_audit_images(d, {}, {"b"})) == Sides{{"a.jpg", 0}, {"b.jpg", 1}, {"c.jpg", 0}});
  // An id on both lists is on both sides.
  CHECK(sides(skin::dataset_audit_images(d, {"a", "b"}, {"b.jpg"})) == Sides{{"a.jpg", 0}, {"b.jpg", 0}, {"b.jpg", 1}});
  CHECK(skin::dataset_audit_images(d, {"gone"}, {}).empty());
}
