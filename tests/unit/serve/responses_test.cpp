// responses_test.cpp: the classify --json document, the explain document and the legacy
// /predict shape (skin/serve/responses.hpp).
#include "skin/serve/responses.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

namespace {

skin::Prediction melanoma_like() {
  skin::Prediction p;
  p.path = "dir/a.jpg";
  p.id = "a";
  p.probabilities = {0.05f, 0.05f, 0.1f, 0.05f, 0.6f, 0.1f, 0.05f};
  p.decode_ms = 3;
  p.inference_ms = 7;
  return p;
}

}  // namespace

TEST_CASE("classification record and document carry what classify --json prints") {
  const auto m = test::ham_manifest();
  auto record = skin::classification_record(melanoma_like(), m, 2);
  CHECK(record["label"] == "mel");
  CHECK(record["top_k"].size() == 2);
  CHECK(record["timing_ms"]["decode"] == 3.0);
  CHECK(record["timing_ms"]["inference"] == 7.0);
  auto doc = skin::classification_document(m, "/models/x", nlohmann::json::array({record}), 12.5);
  CHECK(doc["model"]["name"] == "ham");
  CHECK(doc["model"]["directory"] == "/models/x");
  CHECK(doc["results"][0] == record);
  CHECK(doc["timing_ms"]["total"] == 12.5);
  CHECK(doc["disclaimer"].get<std::string>().find("not a diagnosis") != std::string::npos);

  skin::Prediction failed;
  failed.path = "b.jpg";
  failed.error = "b.jpg: file is empty";
  auto bad = skin::classification_record(failed, m, 3);
  CHECK(bad["error"] == "b.jpg: file is empty");
  CHECK_FALSE(bad.contains("timing_ms"));
}

TEST_CASE("the legacy /predict shape: success, prediction, all_predictions highest first") {
  const auto m = test::ham_manifest();
  auto r = skin::legacy_prediction_response(melanoma_like(), m);
  CHECK(r["success"] == true);
  CHECK(r["prediction"]["class_code"] == "mel");
  CHECK(r["prediction"]["class_name"] == m.display_name("mel"));
  CHECK(r["prediction"]["confidence"].get<double>() == doctest::Approx(0.6));
  CHECK(r["prediction"]["is_cancerous"] == true);
  CHECK(r["prediction"]["malignant_probability"].get<double>() == doctest::Approx(0.7));
  REQUIRE(r["all_predictions"].size() == 7);
  CHECK(r["all_predictions"][0]["class_code"] == "mel");
  CHECK(r["all_predictions"][1]["class_code"] == "bkl");  // 0.1 ties: label order
  CHECK(r["all_predictions"][2]["class_code"] == "nv");
  for (std::size_t i = 1; i < 7; ++i)
    CHECK(r["all_predictions"][i]["confidence"] <= r["all_predictions"][i - 1]["confidence"]);

  auto benign = melanoma_like();
  benign.probabilities = {0.05f, 0.05f, 0.1f, 0.05f, 0.1f, 0.6f, 0.05f};
  CHECK(skin::legacy_prediction_response(benign, m)["prediction"]["is_cancerous"] == false);
}

TEST_CASE("the explanation document names the model and carries the class texts' sources") {
  const auto m = test::ham_manifest();
  auto doc = skin::explanation_document(m, nlohmann::json::array({{{"path", "a.jpg"}}}));
  CHECK(doc["model"]["name"] == "ham");
  CHECK(doc["results"][0]["path"] == "a.jpg");
  CHECK(doc["sources"].is_array());
  CHECK_FALSE(doc["sources"].empty());
  CHECK(doc.contains("disclaimer"));
}
