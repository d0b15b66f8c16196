// skin/model/ood.hpp: per-image out-of-distribution scores (higher = less like the training data)
// and the model's flag threshold:
//   msp          1 - the top probability (Hendrycks & Gimpel 2017)
//   energy       -logsumexp(logits) at temperature 1 (Liu et al. 2020); needs a logits model
//   mahalanobis  the smallest squared Mahalanobis distance of the pooled features to a class mean,
//                with one diagonal covariance shared by the classes (Lee et al. 2018 use a full tied
//                covariance; 1,280 channels would put 1.6M numbers in the manifest, so the diagonal)
// `calibrate --ood METHOD` stores the class means and variances (from a labelled reference set)
// and the threshold that keeps the given share of in-distribution calibration images unflagged.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

enum class OodMethod { msp, energy, mahalanobis };

OodMethod parse_ood_method(const std::string& name);  // Error(usage) naming the choices
std::string ood_method_name(OodMethod method);
const std::vector<OodMethod>& all_ood_methods();

struct OodReference {
  OodMethod method = OodMethod::energy;
  double threshold = 0;  // flagged when score > threshold
  double tpr = 0.95;     // share of in-distribution calibration images at or below the threshold
  std::vector<std::vector<double>> class_means;  // per class: mean pooled features (mahalanobis)
  std::vector<double> variance;                  // within-class variance per channel, shared
  nlohmann::json record = nlohmann::json::object();
};

double msp_score(const std::vector<float>& probabilities);
double energy_score(const std::vector<float>& logits);
double mahalanobis_score(const std::vector<float>& pooled, const OodReference& reference);

// The score of `method` for one image; nullopt when the image lacks what it needs (logits from a
// probabilities model, pooled features, class means).
std::optional<double> ood_score(OodMethod method, const std::vector<float>& probabilities,
                                const std::vector<float>& logits, bool logits_are_logits,
                                const std::vector<float>& pooled, const OodReference* reference);

// Class means and the shared within-class variance of pooled features (rows) with true classes.
// Classes without images get no mean (empty vector) and are skipped by the distance.
void fit_class_gaussians(OodReference& reference, const std::vector<std::vector<float>>& pooled,
                         const std::vector<int>& truth, std::size_t classes);

// The ceil(tpr * n)-th smallest in-distribution score: at most 1 - tpr of them lie above it.
double ood_threshold(std::vector<double> in_distribution_scores, double tpr);

nlohmann::json ood_json(const OodReference& reference);  // the manifest's "ood" section
OodReference parse_ood(const nlohmann::json& section, std::size_t classes, const std::string& source);

}  // namespace skin
