// skin/evaluation/audit.hpp: skinscan audit: what is wrong with a dataset before any model is
// scored on it: exact and near-duplicate images (duplicates.hpp) reported as clusters, leakage
// (near-duplicates that straddle two sides: a split against another, or two folders), with and
// without a shared lesion_id / patient_id, and likely label errors (label_issues.hpp) from
// out-of-sample probabilities.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/duplicates.hpp"
#include "skin/inference/pipeline.hpp"
#include "skin/input/dataset.hpp"
#include "skin/input/image.hpp"
#include "skin/model/classifier.hpp"
#include "skin/model/manifest.hpp"

namespace skin {

struct AuditImage {
  std::string id, path;
  int side = 0;                                                    // 0: the audited set; 1: the --against set
  const std::map<std::string, std::string>* attributes = nullptr;  // metadata (lesion_id, dx, ...), or null
  std::string label;                                               // empty when unlabelled
};

// The images of a dataset to audit: side 0 holds the items listed in `audited` (every item not in
// `against` when `audited` is empty), side 1 those in `against`; an item on both lists is audited on
// both sides (and is then a leak). Lists match an item's id or its id without extension; items
// without an image file are left out.
std::vector<AuditImage> dataset_audit_images(const Dataset& dataset, const std::unordered_set<std::string>& audited,
                                             const std::unordered_set<std::string>& against);

// Cosine similarity of the default model's pooled features at or above which two images are
// near-duplicates (docs/audit.md: chosen on planted copies of HAM10000 against its distinct lesions).
inline constexpr double kDefaultMinCosine = 0.94;

struct AuditOptions {
  int max_distance = 20;                // dHash bits for a near-duplicate pair
  double min_cosine = kNoFeaturePairs;  // feature similarity for a pair (with add_model_features)
  ImageLimits limits;
  InputSpec quality_spec;  // the input size the quality checks judge against
  int threads = 2;
};

struct AuditFingerprints {
  std::vector<Fingerprint> prints;    // of the images that decoded, in input order
  std::vector<std::size_t> image_of;  // prints[k] belongs to images[image_of[k]]
  std::vector<std::string> errors;    // one line per image that did not decode
};

// Decodes every image (on `threads` threads), fingerprints it and runs the quality checks
// (quality.hpp) on it; `progress(done)` after each.
AuditFingerprints fingerprint_images(const std::vector<AuditImage>& images, const AuditOptions& options,
                                     const std::function<void(std::size_t)>& progress = {});

// Runs `classifier` (a model whose manifest has feature statistics: its pooled features) over the
// fingerprinted images and stores each one's features, standardised by the training features'
// mean and standard deviation (the manifest's; no channel's below a tenth of the median channel's,
// so that channels dead in training cannot dominate) and scaled to unit length; an image the model cannot take
// keeps none (and its error is added). Error(usage) for a model without feature statistics.
void add_model_features(AuditFingerprints& fingerprints, const std::vector<AuditImage>& images, Classifier& classifier,
                        const PipelineOptions& options, const std::function<void(std::size_t)>& progress = {});

// {images, failed, duplicates: {exact_pairs, near_pairs, clusters: [[ids]], pairs: [...]},
// leaks: {pairs, same_lesion, different_lesion, list: [...]}, label_issues (when probabilities were
// given), quality (images failing each check), counts (the gate metrics: duplicate_pairs,
// exact_duplicates, leaks, label_issues, quality_flags), definitions}.
nlohmann::json audit_report(const std::vector<AuditImage>& images, const AuditFingerprints& fingerprints,
                            const AuditOptions& options, const nlohmann::json& label_issues);

// The audit's gate metric names (for --fail-over).
const std::vector<std::string>& audit_metric_names();

}  // namespace skin
