// manifest.cpp: manifest.json parsing with one clear error per broken field.
#include "skin/model/manifest.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/sha256.hpp"

namespace skin {
namespace {

using nlohmann::json;

struct Reader {
  const std::string& source;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorKind::model, fmt::format("{}: {}", source, what));
  }
  const json& field(const json& obj, const char* key, const char* path) const {
    if (!obj.contains(key)) fail(fmt::format("missing required field '{}'", path));
    return obj.at(key);
  }
  std::string string(const json& obj, const char* key, const char* path) const {
    const json& v = field(obj, key, path);
    if (!v.is_string() || v.get<std::string>().empty()) fail(fmt::format("'{}' must be a non-empty string", path));
    return v.get<std::string>();
  }
  double number(const json& v, const char* path) const {
    if (!v.is_number()) fail(fmt::format("'{}' must be a number", path));
    return v.get<double>();
  }
  std::vector<std::string> strings(const json& v, const char* path) const {
    if (!v.is_array()) fail(fmt::format("'{}' must be an array of strings", path));
    std::vector<std::string> out;
    for (const auto& item : v) {
      if (!item.is_string() || item.get<std::string>().empty())
        fail(fmt::format("'{}' must contain only non-empty strings", path));
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  std::array<float, 3> triple(const json& v, const char* path) const {
    if (!v.is_array() || v.size() != 3) fail(fmt::format("'{}' must be an array of 3 numbers", path));
    return {float(number(v[0], path)), float(number(v[1], path)), float(number(v[2], path))};
  }
  template <typename Enum>
  Enum choice(const json& obj, const char* key, const char* path, Enum fallback,
              std::initializer_list<std::pair<const char*, Enum>> options) const {
    if (!obj.contains(key)) return fallback;
    const json& v = obj.at(key);
    std::string allowed;
    for (const auto& [name, value] : options) {
      if (v.is_string() && v.get<std::string>() == name) return value;
      allowed += allowed.empty() ? name : std::string(", ") + name;
    }
    fail(fmt::format("'{}' must be one of: {}", path, allowed));
  }
};

// labels, label_names, malignant.
void parse_labels(Reader& r, const json& doc, Manifest& m) {
  m.labels = r.strings(r.field(doc, "labels", "labels"), "labels");
  if (m.labels.size() < 2) r.fail("'labels' must list at least 2 classes");
  std::set<std::string> unique(m.labels.begin(), m.labels.end());
  if (unique.size() != m.labels.size()) r.fail("'labels' contains a duplicate label");

  if (doc.contains("label_names")) {
    const json& names = doc.at("label_names");
    if (!names.is_object()) r.fail("'label_names' must be an object mapping label to name");
    for (const auto& [label, name] : names.items()) {
      if (!unique.count(label)) r.fail(fmt::format("'label_names' names unknown label '{}'", label));
      if (!name.is_string()) r.fail(fmt::format("'label_names.{}' must be a string", label));
      m.label_names[label] = name.get<std::string>();
    }
  }
  if (doc.contains("malignant")) {
    m.malignant = r.strings(doc.at("malignant"), "malignant");
    for (const auto& label : m.malignant)
      if (!unique.count(label)) r.fail(fmt::format("'malignant' lists unknown label '{}'", label));
  }
}

// input: size, resize, colour order, normalisation, colour constancy.
void parse_input(Reader& r, const json& doc, Manifest& m) {
  const json& input = r.field(doc, "input", "input");
  if (!input.is_object()) r.fail("'input' must be an object");
  auto size = [&](const char* key, const char* path) {
    const json& v = r.field(input, key, path);
    if (!v.is_number_integer() || v.get<int>() < 8 || v.get<int>() > 4096)
      r.fail(fmt::format("'{}' must be an integer between 8 and 4096", path));
    return v.get<int>();
  };
  m.input.width = size("width", "input.width");
  m.input.height = size("height", "input.height");
  m.input.resize =
      r.choice(input, "resize", "input.resize", ResizeMode::stretch,
               {{"stretch", ResizeMode::stretch}, {"center_crop", ResizeMode::center_crop}, {"pad", ResizeMode::pad}});
  m.input.color_order = r.choice(input, "color_order", "input.color_order", ColorOrder::rgb,
                                 {{"RGB", ColorOrder::rgb}, {"BGR", ColorOrder::bgr}});
  if (input.contains("scale")) {
    m.input.scale = float(r.number(input.at("scale"), "input.scale"));
    if (!(m.input.scale > 0)) r.fail("'input.scale' must be positive");
  }
  if (input.contains("mean")) m.input.mean = r.triple(input.at("mean"), "input.mean");
  if (input.contains("std")) {
    m.input.std = r.triple(input.at("std"), "input.std");
    for (float s : m.input.std)
      if (!(s > 0)) r.fail("'input.std' values must be positive");
  }
  if (input.contains("color_constancy")) {  // optional: older manifests have none
    const json& cc = input.at("color_constancy");
    if (!cc.is_object())
      r.fail("'input.color_constancy' must be an object like {\"method\": \"shades_of_gray\", \"p\": 6}");
    r.field(cc, "method", "input.color_constancy.method");
    r.choice(cc, "method", "input.color_constancy.method", 0, {{"shades_of_gray", 0}});
    m.input.shades_of_gray_p = cc.contains("p") ? r.number(cc.at("p"), "input.color_constancy.p") : 6.0;
    if (!(m.input.shades_of_gray_p >= 1 && m.input.shades_of_gray_p <= 16))
      r.fail("'input.color_constancy.p' must be between 1 and 16");
  }
}

// output: kind and temperature.
void parse_output(Reader& r, const json& doc, Manifest& m) {
  if (doc.contains("output")) {
    const json& output = doc.at("output");
    if (!output.is_object()) r.fail("'output' must be an object");
    m.output_kind = r.choice(output, "kind", "output.kind", OutputKind::logits,
                             {{"logits", OutputKind::logits}, {"probabilities", OutputKind::probabilities}});
    if (output.contains("temperature")) {
      m.temperature = r.number(output.at("temperature"), "output.temperature");
      if (!(m.temperature > 0) || m.temperature > 1e6) r.fail("'output.temperature' must be positive");
    }
  }
}

// explain: the exported methods behind saliency and pooled features.
void parse_explain(Reader& r, const json& doc, Manifest& m) {
  if (doc.contains("explain")) {
    const json& explain = doc.at("explain");
    if (!explain.is_object()) r.fail("'explain' must be an object");
    if (explain.contains("features")) m.features_method = r.string(explain, "features", "explain.features");
    if (explain.contains("head")) m.head_method = r.string(explain, "head", "explain.head");
    if (m.features_method.empty() != m.head_method.empty())
      r.fail("'explain' must name both 'features' and 'head', or neither");
    if (explain.contains("member_features"))
      m.member_features_method = r.string(explain, "member_features", "explain.member_features");
    if (explain.contains("member_logits"))
      m.member_logits_method = r.string(explain, "member_logits", "explain.member_logits");
    if (m.member_features_method.empty() != m.member_logits_method.empty())
      r.fail("'explain' must name both 'member_features' and 'member_logits', or neither");
  }
}

// feature_statistics: the train split's pooled-feature moments (dataset-shift score).
void parse_feature_statistics(Reader& r, const json& doc, Manifest& m) {
  if (doc.contains("feature_statistics")) {
    const json& fs = doc.at("feature_statistics");
    if (!fs.is_object()) r.fail("'feature_statistics' must be an object");
    if (m.features_method.empty()) r.fail("'feature_statistics' needs 'explain.features' (the method they describe)");
    FeatureStatistics stats;
    auto numbers = [&](const char* key, const char* path) {
      const json& v = r.field(fs, key, path);
      if (!v.is_array() || v.empty()) r.fail(fmt::format("'{}' must be a non-empty array of numbers", path));
      std::vector<double> out;
      for (const auto& x : v) out.push_back(r.number(x, path));
      return out;
    };
    stats.mean = numbers("mean", "feature_statistics.mean");
    stats.std = numbers("std", "feature_statistics.std");
    if (stats.mean.size() != stats.std.size())
      r.fail(fmt::format("'feature_statistics' has {} means but {} standard deviations", stats.mean.size(),
                         stats.std.size()));
    for (double s : stats.std)
      if (!(s >= 0)) r.fail("'feature_statistics.std' values must be non-negative");
    if (fs.contains("n")) {
      if (!fs.at("n").is_number_unsigned()) r.fail("'feature_statistics.n' must be a non-negative integer");
      stats.n = fs.at("n").get<std::size_t>();
    }
    if (fs.contains("warning_threshold")) {
      stats.warning_threshold = r.number(fs.at("warning_threshold"), "feature_statistics.warning_threshold");
      if (!(*stats.warning_threshold > 0)) r.fail("'feature_statistics.warning_threshold' must be positive");
    }
    if (fs.contains("threshold_calibration")) stats.threshold_calibration = fs.at("threshold_calibration");
    m.feature_statistics = std::move(stats);
  }
}

// What `calibrate` fits onto a model: conformal sets, the OOD flag, the guaranteed-sensitivity threshold.
void parse_calibrated_sections(Reader& r, const json& doc, Manifest& m) {
  if (doc.contains("conformal")) m.conformal = parse_conformal(doc.at("conformal"), m.labels.size(), r.source);
  if (doc.contains("ood")) {
    m.ood = parse_ood(doc.at("ood"), m.labels.size(), r.source);
    // Pooled features are computed for models with feature statistics: the class means need them.
    if (!m.ood->class_means.empty() &&
        (!m.feature_statistics || m.feature_statistics->mean.size() != m.ood->variance.size()))
      r.fail("'ood' class means need 'feature_statistics' over as many channels");
  }
  if (doc.contains("malignant_guarantee")) {
    if (m.malignant.empty()) r.fail("'malignant_guarantee' needs 'malignant' labels");
    m.malignant_guarantee = parse_sensitivity_guarantee(doc.at("malignant_guarantee"), r.source);
  }
}

}  // namespace

std::string Manifest::display_name(const std::string& label) const {
  auto it = label_names.find(label);
  return it == label_names.end() ? label : it->second;
}

bool Manifest::is_malignant(const std::string& label) const {
  return std::find(malignant.begin(), malignant.end(), label) != malignant.end();
}

Manifest parse_manifest(const json& doc, const std::string& source) {
  Reader r{source};
  if (!doc.is_object()) r.fail("manifest must be a JSON object");
  Manifest m;
  const json& version = r.field(doc, "schema_version", "schema_version");
  if (!version.is_number_integer()) r.fail("'schema_version' must be an integer");
  m.schema_version = version.get<int>();
  if (m.schema_version != kManifestSchemaVersion)
    r.fail(fmt::format("unsupported schema_version {} (this skinscan reads {})", m.schema_version,
                       kManifestSchemaVersion));
  m.name = r.string(doc, "name", "name");
  m.version = r.string(doc, "version", "version");

  parse_labels(r, doc, m);
  parse_input(r, doc, m);
  parse_output(r, doc, m);
  parse_explain(r, doc, m);
  parse_feature_statistics(r, doc, m);
  parse_calibrated_sections(r, doc, m);
  if (doc.contains("provenance")) m.provenance = doc.at("provenance");
  if (doc.contains("metrics")) m.metrics = doc.at("metrics");
  return m;
}

Manifest load_manifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::model, fmt::format("{}: cannot open manifest", path));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json doc;
  try {
    doc = json::parse(bytes);
  } catch (const json::parse_error& e) {
    throw Error(ErrorKind::model, fmt::format("{}: invalid JSON at byte {}", path, e.byte));
  }
  Manifest m = parse_manifest(doc, path);
  m.document = std::move(doc);
  m.file_sha256 = sha256_hex(bytes);
  return m;
}

Manifest load_model_manifest(const std::string& model_dir) {
  struct stat st {};
  if (::stat(model_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(ErrorKind::model, fmt::format("{}: model directory not found", model_dir));
  return load_manifest(manifest_path(model_dir));
}

}  // namespace skin
