// explanation.cpp: risk, next step and warnings from probabilities; text rendering.
#include "skin/explain/explanation.hpp"

#include <fmt/format.h>

#include "skin/model/prediction.hpp"

namespace skin {

extern const char* const kLesionInfoJson;

const nlohmann::json& lesion_info() {
  static const nlohmann::json info = nlohmann::json::parse(kLesionInfoJson);
  return info;
}

const std::string& disclaimer() {
  static const std::string text = lesion_info()["disclaimer"].get<std::string>();
  return text;
}

nlohmann::json explain_prediction(const Manifest& m, const std::vector<float>& p,
                                  const std::vector<QualityCheck>& quality) {
  using nlohmann::json;
  const auto& classes = lesion_info()["classes"];
  auto top = top_k(p, 3);
  json differential = json::array();
  for (auto i : top) {
    json d = {{"label", m.labels[i]}, {"name", m.display_name(m.labels[i])}, {"probability", p[i]}};
    if (classes.contains(m.labels[i])) d["nature"] = classes[m.labels[i]]["nature"];
    differential.push_back(d);
  }
  json risk;
  std::string next_step;
  if (m.malignant.empty()) {
    risk = {{"level", "unknown"}, {"rule", "the model's manifest names no malignant labels"}};
    next_step = "The model gives no malignancy estimate; have any worrying lesion examined by a dermatologist.";
  } else {
    double pm = malignant_probability(p, m);
    std::string level = pm >= kHighRisk ? "high" : pm >= kModerateRisk ? "moderate" : "low";
    risk = {{"level", level},
            {"malignant_probability", pm},
            {"malignant_labels", m.malignant},
            {"rule", fmt::format("summed probability of {}: high if >= {}, moderate if >= {}, low otherwise",
                                 fmt::join(m.malignant, ", "), kHighRisk, kModerateRisk)}};
    next_step = level == "high"
                    ? "See a dermatologist promptly (guidelines ask for about two weeks for a suspected skin cancer)."
                : level == "moderate" ? "Arrange a dermatologist appointment within weeks."
                                      : "No urgent action suggested by the model; watch the lesion and have it checked "
                                        "if it changes (size, shape, colour) or bleeds.";
  }
  const double top1 = p[top[0]], margin = top.size() > 1 ? top1 - p[top[1]] : top1;
  json reasons = json::array();
  if (top1 < kUnsureTop) reasons.push_back(fmt::format("top probability {:.2f} is below {}", top1, kUnsureTop));
  if (margin < kUnsureMargin)
    reasons.push_back(fmt::format("margin to the second label {:.2f} is below {}", margin, kUnsureMargin));
  json warnings = json::array();
  for (const auto& q : quality)
    if (!q.ok) warnings.push_back(q.message);
  if (!reasons.empty()) warnings.push_back("the model is unsure about this image; treat the ranking as weak evidence");
  if (!warnings.empty())
    next_step += " Because of the warnings above, retake the image or rely on an examination rather than this result.";
  json out = {{"differential", differential},
              {"risk", risk},
              {"next_step", next_step},
              {"uncertainty",
               {{"unsure", !reasons.empty()},
                {"reasons", reasons},
                {"rule", fmt::format("unsure when top probability < {} or margin < {}", kUnsureTop, kUnsureMargin)}}},
              {"quality", quality_to_json(quality)},
              {"warnings", warnings},
              {"disclaimer", disclaimer()}};
  if (classes.contains(m.labels[top[0]])) out["about_top_label"] = classes[m.labels[top[0]]];
  return out;
}

std::string explanation_text(const nlohmann::json& e) {
  std::string out = "  Differential:\n";
  for (const auto& d : e["differential"])
    out +=
        fmt::format("    {:5.1f}%  {} ({}){}\n", 100 * d["probability"].get<double>(), d["name"].get<std::string>(),
                    d["label"].get<std::string>(), d.contains("nature") ? ", " + d["nature"].get<std::string>() : "");
  const auto& r = e["risk"];
  out += fmt::format("  Risk: {}", r["level"].get<std::string>());
  if (r.contains("malignant_probability"))
    out += fmt::format(" (malignant probability {:.1f}%; {})", 100 * r["malignant_probability"].get<double>(),
                       r["rule"].get<std::string>());
  out += "\n";
  for (const auto& w : e["warnings"]) out += fmt::format("  Warning: {}\n", w.get<std::string>());
  out += fmt::format("  Next step: {}\n", e["next_step"].get<std::string>());
  if (e.contains("about_top_label")) {
    const auto& a = e["about_top_label"];
    out += fmt::format("  About {}: {}\n", a["name"].get<std::string>(), a["description"].get<std::string>());
    out += fmt::format("  Typical dermoscopic features: {}\n", a["dermoscopy"].get<std::string>());
    out += fmt::format("  Usually: {}. {}\n", a["nature"].get<std::string>(), a["urgency"].get<std::string>());
  }
  return out;
}

}  // namespace skin
