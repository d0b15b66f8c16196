// skin/model/adaptation.hpp: `skinscan adapt`: a model's batch-norm statistics re-estimated on a new
// clinic's unlabelled images (AdaBN, Li et al. 2016), optionally mixed with the source statistics
// by a prior strength (Schneider et al. 2020), written as a new model directory.
//
// Exact and batch-size independent: the layers are taken one at a time in the order the forward
// pass reaches them; each one's running mean and variance become the mean and the unbiased
// variance of its input over every pixel of every image (float64 sums), computed with the layers
// before it already adapted. Training-mode batch statistics (which depend on how images are
// batched) are never used.
//
// Class-balanced target statistics (TargetWeighting::class_balanced): the source statistics come
// from class-balanced training batches, while a clinic's images carry its own class mix; plain
// target statistics would move the features by that mix as well. Each image is then weighted so
// that each class, as the unadapted model predicts it, contributes equally (the reweighting of
// Zhao et al., ICLR 2023, "DELTA", here over the whole adaptation set).
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/input/image.hpp"
#include "skin/model/classifier.hpp"

namespace skin {

enum class TargetWeighting {
  uniform,         // every image counts once
  class_balanced,  // weights from the unadapted model's probabilities: class_balanced_weights()
};

struct AdaptationOptions {
  std::size_t batch_size = 16;  // images per forward pass (the result does not depend on it)
  // How many source images the model's own statistics count as (Schneider et al., NeurIPS 2020):
  // each layer's mean and variance become (N x source + n x target) / (N + n) for n target images.
  // 0 replaces them outright (AdaBN).
  double prior_strength = 0;
  // Only the first `depth` batch-norm layers in forward order are re-estimated (0: all of them).
  // The early layers normalise low-level statistics (colour, contrast, texture), where clinics'
  // cameras differ most; the later ones hold the class evidence that target statistics can move.
  std::size_t depth = 0;
  TargetWeighting weighting = TargetWeighting::uniform;
  ImageLimits limits;
  std::string source;  // the folder the images came from, for the record
};

struct AdaptationResult {
  std::size_t images = 0;                                   // decoded and used
  std::size_t layers = 0;                                   // batch-norm layers re-estimated
  std::size_t layers_in_model = 0;                          // of them the model has
  std::vector<std::pair<std::string, std::string>> failed;  // path, reason (left out)
  nlohmann::json manifest;                                  // the new model's
};

// Per-image weights that give each class the same share of the target statistics, from `count` x
// `classes` probabilities p (row-major): w_i = n * sum_c p_ic / (K * sum_j p_jc), over the K
// classes with any probability mass. They average 1; images all predicted alike all get 1.
std::vector<double> class_balanced_weights(const std::vector<float>& probabilities, std::size_t count,
                                           std::size_t classes);

// Reads and preprocesses `image_paths` (unreadable images are left out and listed), re-estimates
// every batch-norm layer of `classifier`'s model on them and writes `out_dir` (created; must not
// exist or be empty) with model.pt and a manifest carrying an `adaptation` record (source,
// image count, sha256 of the sorted image ids, date, layers) and the version suffixed
// "+adapted". The model directory the classifier came from is not touched. Error(model) for a
// model with no batch-norm layer that keeps running statistics (for example one whose batch norm
// was folded into its convolutions at export), Error(input) when no image could be used.
// `progress(layer, layers)` is called after each layer.
AdaptationResult adapt_batch_norm(Classifier& classifier, const std::vector<std::string>& image_paths,
                                  const std::string& out_dir, const AdaptationOptions& options,
                                  const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace skin
