// skin/evaluation/ood_report.hpp: evaluate --ood DIR: how well each per-image OOD score (ood.hpp:
// MSP, energy, Mahalanobis) separates the labelled in-distribution images from a folder of images
// that are not like them: AUROC (OOD as positive, higher score = more OOD) and FPR at 95% TPR
// (the share of OOD images accepted when 95% of in-distribution images are).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/scoring.hpp"
#include "skin/inference/pipeline.hpp"
#include "skin/model/classifier.hpp"

namespace skin {

// Scores per method (all_ood_methods() order), one vector per method, for the images scored.
struct OodScores {
  std::vector<std::vector<double>> by_method;  // NaN where the method could not score the image
  std::size_t images = 0, failed = 0;
  std::vector<std::string> errors;  // the failed images' one-line errors
};

// Every method's score of one image; `reference` (the manifest's ood section) gives Mahalanobis
// its class means, without it Mahalanobis is NaN.
std::vector<double> all_ood_scores(const std::vector<float>& probabilities, const std::vector<float>& logits,
                                   bool logits_are_logits, const std::vector<float>& pooled,
                                   const OodReference* reference);

// The in-distribution side: the scored items of an evaluation.
OodScores ood_scores_of(const Scoring& scoring, const Classifier& classifier);

// The OOD side: every image under `folder` (or listed), classified with the model.
OodScores ood_scores_of_folder(const std::string& folder, Classifier& classifier, const PipelineOptions& options,
                               const std::function<void(const PipelineStats&)>& progress = {});

// AUROC (ties count half) and FPR at 95% TPR: the share of OOD scores at or below the
// ceil(0.95 n)-th smallest in-distribution score. nullopt when either side is empty.
struct OodSeparation {
  std::optional<double> auroc, fpr_at_95_tpr;
  std::size_t in_distribution = 0, out_of_distribution = 0;
};
OodSeparation ood_separation(const std::vector<double>& in_distribution,
                             const std::vector<double>& out_of_distribution);

// The report's "ood" section: per method {auroc, fpr_at_95_tpr, n}; and with the model's own
// method and threshold, the share of each side it flags. {folder, ood_images: 0, error} when the
// folder had no image that could be scored (the caller reports it; the evaluation is kept).
nlohmann::json ood_report(const OodScores& in_distribution, const OodScores& out_of_distribution,
                          const std::string& folder, const Classifier& classifier);

}  // namespace skin
