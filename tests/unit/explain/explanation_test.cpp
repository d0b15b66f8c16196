// explanation_test.cpp: risk level, uncertainty, warnings and texts (skin/explain/explanation.hpp).
#include "skin/explain/explanation.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

namespace {

std::vector<float> probs(float akiec, float bcc, float mel, float nv) {
  const float rest = (1.f - akiec - bcc - mel - nv) / 3;
  return {akiec, bcc, rest, rest, mel, nv, rest};
}

}  // namespace

TEST_CASE("risk level follows the summed malignant probability at the documented cut-offs") {
  auto m = test::ham_manifest();
  CHECK(skin::explain_prediction(m, probs(0.1f, 0.1f, 0.3f, 0.4f), {})["risk"]["level"] == "high");        // 0.5
  CHECK(skin::explain_prediction(m, probs(0.05f, 0.05f, 0.1f, 0.7f), {})["risk"]["level"] == "moderate");  // 0.2
  CHECK(skin::explain_prediction(m, probs(0.05f, 0.05f, 0.05f, 0.7f), {})["risk"]["level"] == "low");      // 0.15
  auto e = skin::explain_prediction(m, probs(0.1f, 0.1f, 0.3f, 0.4f), {});
  CHECK(e["risk"]["malignant_probability"].get<double>() == doctest::Approx(0.5));
  CHECK(e["next_step"].get<std::string>().rfind("See a dermatologist promptly", 0) == 0);
  m.malignant.clear();
  CHECK(skin::explain_prediction(m, probs(0.1f, 0.1f, 0.3f, 0.4f), {})["risk"]["level"] == "unknown");
}

TEST_CASE("an unsure prediction and a failed quality check both warn") {
  auto sure = skin::explain_prediction(test::ham_manifest(), probs(0.0f, 0.0f, 0.05f, 0.9f), {});
  CHECK_FALSE(sure["uncertainty"]["unsure"].get<bool>());
  CHECK(sure["warnings"].empty());
  auto unsure = skin::explain_prediction(test::ham_manifest(), probs(0.0f, 0.0f, 0.4f, 0.45f), {});
  CHECK(unsure["uncertainty"]["unsure"].get<bool>());
  CHECK(unsure["uncertainty"]["reasons"].size() == 2);  // top < 0.5 and margin < 0.15
  auto blurred = skin::explain_prediction(test::ham_manifest(), probs(0.0f, 0.0f, 0.05f, 0.9f),
                                          {{"blur", 2.0, "rule", false, "image looks blurred"}});
  CHECK(blurred["warnings"] == nlohmann::json{"image looks blurred"});
  CHECK(blurred["next_step"].get<std::string>().find("Because of the warnings above") != std::string::npos);
}

TEST_CASE("differential, class texts and the one disclaimer") {
  auto e = skin::explain_prediction(test::ham_manifest(), probs(0.0f, 0.0f, 0.05f, 0.9f), {});
  REQUIRE(e["differential"].size() == 3);
  CHECK(e["differential"][0]["label"] == "nv");
  CHECK(e["about_top_label"]["name"].is_string());
  CHECK(e["disclaimer"] == skin::disclaimer());
  CHECK(skin::disclaimer().find("not a diagnosis") != std::string::npos);
  for (const auto& label : test::ham_manifest().labels) CHECK(skin::lesion_info()["classes"].contains(label));
  auto text = skin::explanation_text(e);
  CHECK(text.find("Differential:") != std::string::npos);
  CHECK(text.find("Risk: low") != std::string::npos);
}
