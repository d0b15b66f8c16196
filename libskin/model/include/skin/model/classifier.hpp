// skin/model/classifier.hpp: a loaded model directory (TorchScript + manifest) that turns
// preprocessed image batches into calibrated class probabilities.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "skin/model/manifest.hpp"

namespace skin {

// Sets LibTorch's intra-op thread count. 0: default_threads(). A model optimised afterwards
// (Startup::optimised) keeps this count inside its convolutions, so set it before loading.
void set_threads(int threads);

// OMP_NUM_THREADS when it is set to a positive number (a scheduler's allocation), else one per
// hardware thread.
int default_threads();

// Gives the calling thread set_threads' count. LibTorch counts OpenMP threads per thread, and a
// thread the program starts itself begins with one per core; threads that run forward passes
// beside others (the pipeline's forward streams) call this before their first pass.
void use_set_threads_on_this_thread();

// Images per forward pass where the optimised pass costs least per image on CPU (default model,
// 2-core machine, docs/performance.md: batch 8 ~58 images/s, 16 and 32 ~29). Larger batches spill
// the caches. Batch work (the pipeline) and the many-forward explanations (occlusion,
// faithfulness curves) use it.
inline constexpr std::size_t kEfficientBatchSize = 8;

// How a Classifier prepares its forward pass.
enum class Startup {
  // freeze + optimize_for_inference (folded batch norm, MKLDNN convolutions): the fastest forward
  // pass, for about half a second more start-up (2-core machine, default model). Batch work.
  optimised,
  // The module as loaded, run without LibTorch's graph-executor optimisation passes (which cost
  // more than a forward pass on the first calls): the first results sooner, each forward slower
  // (default model, batch 8: ~1.6x the optimised time). A few images (classify).
  quick,
};

// Where a model's start-up time went (scripts/bench_profile.sh prints it).
struct LoadTimings {
  double read_ms = 0;      // manifest + torch::jit::load
  double optimise_ms = 0;  // freeze + optimize_for_inference (0 with Startup::quick)
  double check_ms = 0;     // the check forward pass on a blank image
  bool optimised = false;  // Startup::optimised and the optimisation succeeded
};

class Classifier {
 public:
  // Loads DIR/manifest.json and DIR/model.pt, prepares the forward pass as `startup` says, then
  // checks with one forward pass that the model takes the manifest's input size and returns one
  // score per label. Both startups give the same probabilities to within 1e-5.
  explicit Classifier(const std::string& model_dir, Startup startup = Startup::optimised);
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  const Manifest& manifest() const { return manifest_; }
  const std::string& directory() const { return dir_; }
  std::size_t num_classes() const { return manifest_.labels.size(); }
  // Floats per preprocessed image (3 * height * width).
  std::size_t input_size() const;

  // `inputs` holds `count` preprocessed images back to back (CHW floats, see preprocess.hpp).
  // Returns count * num_classes() probabilities (softmax of logits / temperature).
  std::vector<float> predict(const float* inputs, std::size_t count);
  // predict() over `batch` images per pass, so that a large `count` does not run as one pass.
  std::vector<float> predict_in_batches(const float* inputs, std::size_t count,
                                        std::size_t batch = kEfficientBatchSize);

  // The raw model outputs (logits, or probabilities for probability models) before calibration.
  // For a model whose manifest has feature_statistics the outputs come from head(features(x))
  // (forward's function; within 2e-6 of its optimised numbers) for every caller, and
  // `pooled_features`, if given, receives the features map averaged over positions, count x
  // channels; otherwise it is left empty.
  std::vector<float> raw_scores(const float* inputs, std::size_t count, std::vector<float>* pooled_features = nullptr);

  // Why the inference optimisation (freeze + optimize_for_inference) could not be applied, so
  // that the plain, slower module runs instead; empty when it was applied. Callers tell the user:
  // it once hid a 1.7x slowdown.
  const std::string& optimisation_warning() const { return optimisation_warning_; }

  const LoadTimings& load_timings() const { return load_timings_; }

  // The TorchScript module, for code that needs LibTorch directly (explanations). Opaque here so
  // that users of this header do not pay for LibTorch's headers.
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  void optimise(const std::vector<std::string>& keep_methods);

  std::string dir_;
  Manifest manifest_;
  std::string optimisation_warning_;
  LoadTimings load_timings_{};
  Startup startup_ = Startup::optimised;
  std::unique_ptr<Impl> impl_;
};

// Turns raw model outputs into probabilities for `manifest` (temperature-scaled softmax for
// logits; renormalised for probability outputs). `scores` holds count * labels values.
std::vector<float> scores_to_probabilities(const std::vector<float>& scores, std::size_t count,
                                           const Manifest& manifest);

}  // namespace skin
