// manifest_test.cpp: manifest parsing and its error messages (skin/model/manifest.hpp).
#include "skin/model/manifest.hpp"

#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "support.hpp"

using nlohmann::json;

namespace {
json valid() {
  return json::parse(R"({"schema_version": 1, "name": "m", "version": "1",
    "labels": ["a", "b", "c"], "label_names": {"a": "Alpha"}, "malignant": ["c"],
    "input": {"width": 64, "height": 48, "resize": "pad", "color_order": "BGR", "scale": 1.0,
              "mean": [1, 2, 3], "std": [4, 5, 6]},
    "output": {"kind": "logits", "temperature": 1.5},
    "explain": {"features": "f", "head": "h"}})");
}
std::string error_of(const json& doc) {
  return test::error_of([&] { skin::parse_manifest(doc, "m.json"); }, skin::ErrorKind::model);
}
}  // namespace

TEST_CASE("a complete manifest parses into every field") {
  auto m = skin::parse_manifest(valid(), "m.json");
  CHECK(m.labels == std::vector<std::string>{"a", "b", "c"});
  CHECK(m.display_name("a") == "Alpha");
  CHECK(m.display_name("b") == "b");
  CHECK(m.is_malignant("c"));
  CHECK_FALSE(m.is_malignant("a"));
  CHECK(m.input.width == 64);
  CHECK(m.input.height == 48);
  CHECK(m.input.resize == skin::ResizeMode::pad);
  CHECK(m.input.color_order == skin::ColorOrder::bgr);
  CHECK(m.input.scale == 1.0f);
  CHECK(m.input.std[2] == 6.0f);
  CHECK(m.temperature == 1.5);
  CHECK(m.features_method == "f");
}

TEST_CASE("defaults for optional fields") {
  json doc = valid();
  doc.erase("output");
  doc.erase("explain");
  doc.erase("malignant");
  doc["input"].erase("resize");
  auto m = skin::parse_manifest(doc, "m.json");
  CHECK(m.temperature == 1.0);
  CHECK(m.output_kind == skin::OutputKind::logits);
  CHECK(m.input.resize == skin::ResizeMode::stretch);
  CHECK(m.malignant.empty());
}

TEST_CASE("each broken field gets a message naming it") {
  json doc = valid();
  SUBCASE("schema version") {
    doc["schema_version"] = 2;
    CHECK(error_of(doc) == "m.json: unsupported schema_version 2 (this skinscan reads 1)");
  }
  SUBCASE("missing labels") {
    doc.erase("labels");
    CHECK(error_of(doc) == "m.json: missing required field 'labels'");
  }
  SUBCASE("duplicate label") {
    doc["labels"] = {"a", "a"};
    CHECK(error_of(doc) == "m.json: 'labels' contains a duplicate label");
  }
  SUBCASE("unknown malignant label") {
    doc["malignant"] = {"z"};
    CHECK(error_of(doc) == "m.json: 'malignant' lists unknown label 'z'");
  }
  SUBCASE("bad resize mode") {
    doc["input"]["resize"] = "squash";
    CHECK(error_of(doc) == "m.json: 'input.resize' must be one of: stretch, center_crop, pad");
  }
  SUBCASE("zero std") {
    doc["input"]["std"] = {1, 0, 1};
    CHECK(error_of(doc) == "m.json: 'input.std' values must be positive");
  }
  SUBCASE("bad size") {
    doc["input"]["width"] = 0;
    CHECK(error_of(doc) == "m.json: 'input.width' must be an integer between 8 and 4096");
  }
  SUBCASE("negative temperature") {
    doc["output"]["temperature"] = -1;
    CHECK(error_of(doc) == "m.json: 'output.temperature' must be positive");
  }
  SUBCASE("half an explain section") {
    doc["explain"].erase("head");
    CHECK(error_of(doc) == "m.json: 'explain' must name both 'features' and 'head', or neither");
  }
  SUBCASE("not an object") { CHECK(error_of(json::array()) == "m.json: manifest must be a JSON object"); }
}

TEST_CASE("colour constancy is optional, and checked when present") {
  CHECK(skin::parse_manifest(valid(), "m.json").input.shades_of_gray_p == 0);  // older manifests: none
  auto doc = valid();
  doc["input"]["color_constancy"] = {{"method", "shades_of_gray"}, {"p", 6}};
  CHECK(skin::parse_manifest(doc, "m.json").input.shades_of_gray_p == 6);
  doc["input"]["color_constancy"] = {{"method", "shades_of_gray"}};
  CHECK(skin::parse_manifest(doc, "m.json").input.shades_of_gray_p == 6);
  doc["input"]["color_constancy"] = {{"method", "grey_world"}};
  CHECK(error_of(doc) == "m.json: 'input.color_constancy.method' must be one of: shades_of_gray");
  doc["input"]["color_constancy"] = {{"method", "shades_of_gray"}, {"p", 0}};
  CHECK(error_of(doc) == "m.json: 'input.color_constancy.p' must be between 1 and 16");
  doc["input"]["color_constancy"] = "shades_of_gray";
  CHECK(error_of(doc).rfind("m.json: 'input.color_constancy' must be an object", 0) == 0);
}
