// skin/model/manifest.hpp: the model contract. A model is a directory with model.pt (TorchScript)
// and manifest.json describing labels, preprocessing, output and provenance.
#pragma once
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/model/conformal.hpp"
#include "skin/model/ood.hpp"
#include "skin/model/sensitivity_guarantee.hpp"

namespace skin {

inline constexpr int kManifestSchemaVersion = 1;

enum class ResizeMode { stretch, center_crop, pad };
enum class ColorOrder { rgb, bgr };
enum class OutputKind { logits, probabilities };

struct InputSpec {
  int width = 224;
  int height = 224;
  ResizeMode resize = ResizeMode::stretch;
  ColorOrder color_order = ColorOrder::rgb;
  float scale = 255.0f;  // pixel values are divided by this before mean/std
  std::array<float, 3> mean{0.f, 0.f, 0.f};
  std::array<float, 3> std{1.f, 1.f, 1.f};
  // Illuminant normalisation applied to the resized image before scaling (see color_constancy.hpp);
  // Minkowski norm p, 0 when the manifest asks for none.
  double shades_of_gray_p = 0;
};

// Per-channel statistics of the pooled `features` map over the training images (written at export),
// the reference a dataset-shift score compares new images with (dataset_shift.hpp).
struct FeatureStatistics {
  std::vector<double> mean, std;
  std::size_t n = 0;                        // training images behind them
  std::optional<double> warning_threshold;  // folder score above which skinscan warns
  nlohmann::json threshold_calibration;     // how that threshold was chosen, for the record
};

struct Manifest {
  int schema_version = kManifestSchemaVersion;
  std::string name;
  std::string version;
  std::vector<std::string> labels;                 // in model output order
  std::map<std::string, std::string> label_names;  // label -> human-readable name
  std::vector<std::string> malignant;              // subset of labels
  InputSpec input;
  OutputKind output_kind = OutputKind::logits;
  double temperature = 1.0;
  std::string features_method;  // optional: exported method giving the last conv feature map
  std::string head_method;      // optional: exported method mapping that map to logits
  // Optional, for ensembles: a method giving each member's own last feature map (a list) and one
  // mapping that list to the members' calibrated logits (members x N x classes), so that each
  // member is explained on its own map and the maps are combined at the input's resolution.
  std::string member_features_method, member_logits_method;
  std::optional<FeatureStatistics> feature_statistics;  // needs features_method
  std::optional<ConformalSpec> conformal;               // prediction sets, from `calibrate --conformal`
  // The applied malignant threshold with its guarantee, from `calibrate --malignant-sensitivity`.
  std::optional<SensitivityGuarantee> malignant_guarantee;
  std::optional<OodReference> ood;  // per-image OOD score and flag, from `calibrate --ood`
  nlohmann::json provenance = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
  // The whole document and the SHA-256 of the file's bytes, as load_manifest read them (the file
  // is read once; copies that rewrite it and reports that identify it use these).
  nlohmann::json document;
  std::string file_sha256;

  std::string display_name(const std::string& label) const;
  bool is_malignant(const std::string& label) const;
};

// Parses and validates a manifest; `source` names the file in error messages.
// Throws skin::Error(model) naming the field and the problem.
Manifest parse_manifest(const nlohmann::json& doc, const std::string& source);
Manifest load_manifest(const std::string& path);
// The manifest of a model directory, with the same errors as loading the model (a missing
// directory first): for work that needs the manifest before the model is loaded.
Manifest load_model_manifest(const std::string& model_dir);

// The files of a model directory, named in one place.
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kModelFile = "model.pt";
inline std::string manifest_path(const std::string& model_dir) { return model_dir + "/" + kManifestFile; }
inline std::string model_path(const std::string& model_dir) { return model_dir + "/" + kModelFile; }

}  // namespace skin
