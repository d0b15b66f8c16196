// classifier.cpp: TorchScript loading, contract checks and batched inference.
#include "skin/model/classifier.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include "skin/core/error.hpp"
#include "skin/model/classifier_impl.hpp"

namespace skin {
namespace {

using LoadClock = std::chrono::steady_clock;

double ms_between(LoadClock::time_point a, LoadClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return text.substr(0, end);
}

}  // namespace

int default_threads() {
  // A scheduler's allocation (Slurm jobs, parallel test runners) arrives as OMP_NUM_THREADS;
  // more threads than that oversubscribe the cores the process was given.
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n <= 1024) return int(n);
  }
  // LibTorch's own default can be lower than the machine's cores (seen: half the throughput on
  // 2 cores), so otherwise every core, set explicitly.
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

void set_threads(int threads) { at::set_num_threads(threads > 0 ? threads : default_threads()); }

void use_set_threads_on_this_thread() { at::init_num_threads(); }

Classifier::Classifier(const std::string& model_dir, Startup startup)
    : dir_(model_dir), startup_(startup), impl_(std::make_unique<Impl>()) {
  const auto t_read = LoadClock::now();
  manifest_ = load_model_manifest(dir_);
  const std::string model_path = skin::model_path(dir_);
  struct stat st {};
  if (::stat(model_path.c_str(), &st) != 0)
    throw Error(ErrorKind::model, fmt::format("{}: model file not found", model_path));
  try {
    impl_->module = torch::jit::load(model_path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw Error(ErrorKind::model, fmt::format("{}: not a loadable TorchScript model ({})", model_path,
                                              first_line(e.what_without_backtrace())));
  }
  impl_->module.eval();
  const auto t_optimise = LoadClock::now();
  load_timings_.read_ms = ms_between(t_read, t_optimise);
  for (const std::string* method : {&manifest_.features_method, &manifest_.head_method,
                                    &manifest_.member_features_method, &manifest_.member_logits_method})
    if (!method->empty() && !impl_->module.find_method(*method))
      throw Error(ErrorKind::model,
                  fmt::format("{}: manifest names method '{}' but the model does not export it", model_path, *method));
  // The features/head pair is kept through the optimisation when the dataset-shift score needs it.
  std::vector<std::string> keep;
  if (manifest_.feature_statistics) keep = {manifest_.features_method, manifest_.head_method};
  if (startup_ == Startup::optimised)
    optimise(keep);
  else
    impl_->fast = impl_->module;
  const auto t_check = LoadClock::now();
  load_timings_.optimise_ms = ms_between(t_optimise, t_check);
  // One forward pass on a blank image checks the input size and the output shape.
  std::vector<float> blank(input_size(), 0.0f);
  std::vector<float> scores, pooled;
  try {
    scores = raw_scores(blank.data(), 1, &pooled);
  } catch (const Error& e) {
    throw Error(ErrorKind::model, fmt::format("{}: {}", model_path, e.what()));
  }
  load_timings_.check_ms = ms_between(t_check, LoadClock::now());
}

// optimize_for_inference freezes a copy and rewrites forward for CPU inference (conv/bn folding,
// MKLDNN layouts). Models it cannot handle keep the plain forward, with optimisation_warning()
// saying so.
void Classifier::optimise(const std::vector<std::string>& keep) {
  try {
    torch::jit::script::Module copy = impl_->module.clone();
    if (keep.empty()) {
      impl_->fast = torch::jit::optimize_for_inference(copy);
    } else {
      // One method returning (features map, head's scores): freezing and optimising it costs one
      // pass over the network's graph, where keeping forward, features and head costs two
      // (forward and features each hold the whole network): 0.1-0.4 s less start-up measured for
      // the default model (docs/performance.md), the same numbers.
      torch::jit::script::Module fused("skinscan.FeaturesAndHead");
      fused.register_attribute("training", c10::BoolType::get(), false);
      fused.register_module("model", copy);
      fused.define(
          fmt::format("def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:\n"
                      "    features = self.model.{}(x)\n"
                      "    return features, self.model.{}(features)\n",
                      keep[0], keep[1]));
      fused.eval();
      impl_->fast = torch::jit::optimize_for_inference(fused);
      impl_->fast_returns_features = true;
    }
  } catch (const std::exception& e) {
    impl_->fast = impl_->module;
    impl_->fast_returns_features = false;
    const c10::Error* torch_error = dynamic_cast<const c10::Error*>(&e);
    optimisation_warning_ =
        fmt::format("{}: the inference optimisation failed, running the unoptimised model (slower): {}",
                    skin::model_path(dir_), first_line(torch_error ? torch_error->what_without_backtrace() : e.what()));
    return;
  }
  load_timings_.optimised = true;
}

Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

std::size_t Classifier::input_size() const { return std::size_t(3) * manifest_.input.height * manifest_.input.width; }

std::vector<float> Classifier::raw_scores(const float* inputs, std::size_t count, std::vector<float>* pooled_features) {
  if (pooled_features) pooled_features->clear();
  if (count == 0) return {};
  c10::InferenceMode guard;
  // Thread-local in LibTorch: the quick startup's plain module skips the optimisation passes
  // on this thread's calls only.
  std::optional<torch::jit::GraphOptimizerEnabledGuard> optimiser_off;
  if (startup_ == Startup::quick) optimiser_off.emplace(false);
  auto batch =
      torch::from_blob(const_cast<float*>(inputs),
                       {std::int64_t(count), 3, manifest_.input.height, manifest_.input.width}, torch::kFloat32);
  torch::jit::IValue out;
  // Models with feature statistics always take the features/head path, pooled features wanted
  // or not, so that every caller (pipeline, server, explain) gets the same numbers.
  try {
    if (manifest_.feature_statistics) {
      torch::Tensor map;
      if (impl_->fast_returns_features) {
        const auto both = impl_->fast.forward({batch}).toTuple();
        map = both->elements()[0].toTensor();
        out = both->elements()[1];
      } else {
        map = impl_->fast.get_method(manifest_.features_method)({batch}).toTensor();
      }
      if (map.dim() != 4) throw Error(ErrorKind::model, "the features method must return an N x C x H x W map");
      const auto pooled = map.mean({2, 3}).to(torch::kFloat32).contiguous();
      if (std::size_t(pooled.size(1)) != manifest_.feature_statistics->mean.size())
        throw Error(ErrorKind::model, fmt::format("features have {} channels but feature_statistics describes {}",
                                                  pooled.size(1), manifest_.feature_statistics->mean.size()));
      if (pooled_features) pooled_features->assign(pooled.data_ptr<float>(), pooled.data_ptr<float>() + pooled.numel());
      if (!impl_->fast_returns_features) out = impl_->fast.get_method(manifest_.head_method)({map});
    } else {
      out = impl_->fast.forward({batch});
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::model, fmt::format("forward pass failed on a {}x3x{}x{} input ({})", count,
                                              manifest_.input.height, manifest_.input.width, first_line(e.what())));
  }
  if (!out.isTensor()) throw Error(ErrorKind::model, "model output is not a single tensor");
  auto scores = out.toTensor().to(torch::kFloat32).contiguous();
  const auto labels = std::int64_t(manifest_.labels.size());
  if (scores.dim() != 2 || scores.size(0) != std::int64_t(count))
    throw Error(ErrorKind::model, fmt::format("model output has shape {}, expected [{}, {}]",
                                              fmt::to_string(fmt::join(scores.sizes(), ", ")), count, labels));
  if (scores.size(1) != labels)
    throw Error(ErrorKind::model, fmt::format("manifest says {} labels, model outputs {}", labels, scores.size(1)));
  return std::vector<float>(scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel());
}

std::vector<float> Classifier::predict(const float* inputs, std::size_t count) {
  return scores_to_probabilities(raw_scores(inputs, count), count, manifest_);
}

std::vector<float> Classifier::predict_in_batches(const float* inputs, std::size_t count, std::size_t batch) {
  batch = std::max<std::size_t>(1, batch);
  std::vector<float> probs;
  probs.reserve(count * num_classes());
  for (std::size_t begin = 0; begin < count; begin += batch) {
    const std::vector<float> part = predict(inputs + begin * input_size(), std::min(batch, count - begin));
    probs.insert(probs.end(), part.begin(), part.end());
  }
  return probs;
}

std::vector<float> scores_to_probabilities(const std::vector<float>& scores, std::size_t count,
                                           const Manifest& manifest) {
  const std::size_t n = manifest.labels.size();
  std::vector<float> probs(scores.size());
  for (std::size_t i = 0; i < count; ++i) {
    const float* s = scores.data() + i * n;
    float* p = probs.data() + i * n;
    double total = 0;
    if (manifest.output_kind == OutputKind::logits) {
      // Softmax in double with the max subtracted: exact enough for metrics at 1e-6.
      double t = manifest.temperature, mx = s[0];
      for (std::size_t c = 1; c < n; ++c) mx = std::max<double>(mx, s[c]);
      std::vector<double> e(n);
      for (std::size_t c = 0; c < n; ++c) total += e[c] = std::exp((double(s[c]) - mx) / t);
      for (std::size_t c = 0; c < n; ++c) p[c] = float(e[c] / total);
    } else {
      for (std::size_t c = 0; c < n; ++c) total += std::max(0.0f, s[c]);
      for (std::size_t c = 0; c < n; ++c) p[c] = total > 0 ? float(std::max(0.0f, s[c]) / total) : float(1.0 / n);
    }
  }
  return probs;
}

}  // namespace skin
