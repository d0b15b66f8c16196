// adaptation.cpp: layer-by-layer batch-norm re-estimation on the TorchScript graph. For each
// layer, a copy of the inlined forward graph that returns that layer's input (everything after
// it removed) runs over all images; the module's running statistics are then overwritten in
// place, so the next layer's probe sees the adapted layers before it.
#include "skin/model/adaptation.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/core/sha256.hpp"
#include "skin/core/strings.hpp"
#include "skin/model/classifier_impl.hpp"
#include "skin/model/model_directory_writer.hpp"
#include "skin/model/prediction.hpp"
#include "skin/model/preprocess.hpp"

namespace skin {
namespace {

namespace fs = std::filesystem;
using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

// Attribute names leading from the module (the graph's first input) to `v`; nothing when `v` is
// not such a chain of attribute reads.
std::optional<std::vector<std::string>> attribute_path(Value* v, Value* self) {
  std::vector<std::string> names;
  while (v != self) {
    Node* n = v->node();
    if (n->kind() != c10::prim::GetAttr) return std::nullopt;
    names.push_back(n->s(c10::attr::name));
    v = n->input(0);
  }
  std::reverse(names.begin(), names.end());
  return names;
}

c10::IValue resolve(const torch::jit::Module& module, const std::vector<std::string>& path) {
  c10::IValue v = module._ivalue();
  for (const auto& name : path) v = v.toObject()->getAttr(name);
  return v;
}

std::string dotted(const std::vector<std::string>& path) {
  std::string out;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) out += (i ? "." : "") + path[i];  // the layer, not the buffer
  return out;
}

struct Layer {
  std::string name;
  std::size_t node = 0;  // index among the graph's batch-norm calls (findAllNodes order)
  at::Tensor running_mean, running_var;
};

// The forward graph inlined, with the module's bool and int attributes (training, residual
// switches) turned into constants so that branches on them fold away and every batch-norm call
// sits in the top-level block.
std::shared_ptr<Graph> flat_forward(const torch::jit::Module& module) {
  auto graph = torch::jit::toGraphFunction(module.get_method("forward").function()).graph()->copy();
  torch::jit::Inline(*graph);
  Value* self = graph->inputs()[0];
  for (Node* n : torch::jit::findAllNodes(*graph, c10::prim::GetAttr, /*recurse=*/true)) {
    const auto kind = n->output()->type()->kind();
    if (kind != c10::TypeKind::BoolType && kind != c10::TypeKind::IntType) continue;
    const auto path = attribute_path(n->output(), self);
    if (!path) continue;
    torch::jit::WithInsertPoint guard(n);
    n->output()->replaceAllUsesWith(graph->insertConstant(resolve(module, *path)));
  }
  torch::jit::ConstantPropagation(graph);
  torch::jit::EliminateDeadCode(graph);
  return graph;
}

std::vector<Layer> batch_norm_layers(const torch::jit::Module& module, Graph& graph, const std::string& model) {
  std::vector<Layer> layers;
  Value* self = graph.inputs()[0];
  std::size_t index = 0;
  for (Node* n : torch::jit::findAllNodes(graph, c10::aten::batch_norm, /*recurse=*/true)) {
    const std::size_t node = index++;
    const auto mean_path = attribute_path(n->input(3), self), var_path = attribute_path(n->input(4), self);
    if (!mean_path || !var_path) continue;  // statistics not held by the module: nothing to re-estimate
    const c10::IValue mean = resolve(module, *mean_path), var = resolve(module, *var_path);
    if (!mean.isTensor() || !var.isTensor()) continue;  // track_running_stats=False
    if (n->owningBlock() != graph.block())
      throw Error(ErrorKind::model, fmt::format("{}: batch-norm layer {} runs inside control flow that depends on "
                                                "the input; it cannot be adapted layer by layer",
                                                model, dotted(*mean_path)));
    layers.push_back({dotted(*mean_path), node, mean.toTensor(), var.toTensor()});
  }
  if (layers.empty())
    throw Error(ErrorKind::model,
                fmt::format("{}: the model has no batch-norm layer with running statistics (batch norm folded into "
                            "the convolutions at export, or none at all): there is nothing to adapt",
                            model));
  return layers;
}

// A function returning the input of the `index`-th batch-norm call of `flat`.
std::unique_ptr<torch::jit::GraphFunction> probe(Graph& flat, std::size_t index) {
  auto graph = flat.copy();
  Node* bn = torch::jit::findAllNodes(*graph, c10::aten::batch_norm, /*recurse=*/true).at(index);
  Value* input = bn->input(0);
  while (!graph->outputs().empty()) graph->eraseOutput(0);
  graph->registerOutput(input);
  torch::jit::EliminateDeadCode(graph);
  return std::make_unique<torch::jit::GraphFunction>("skinscan_adapt_probe", graph, nullptr);
}

// Refuses an output that holds something, or that is the model being adapted.
void check_output_directory(const std::string& out_dir, const Classifier& classifier) {
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !(fs::is_directory(out_dir, ec) && fs::is_empty(out_dir, ec)))
    throw Error(ErrorKind::usage, fmt::format("{}: exists and is not an empty directory", out_dir));
  if (fs::weakly_canonical(out_dir, ec) == fs::weakly_canonical(classifier.directory(), ec))
    throw Error(ErrorKind::usage, fmt::format("{}: is the model being adapted; choose a new directory", out_dir));
}

// The usable images, preprocessed as the model wants them; the others go to result.failed.
struct PreparedImages {
  std::vector<float> inputs;
  std::vector<std::string> ids;
};

PreparedImages prepare_images(const Classifier& classifier, const std::vector<std::string>& image_paths,
                              const AdaptationOptions& options, AdaptationResult& result) {
  const InputSpec& spec = classifier.manifest().input;
  const std::size_t size = classifier.input_size();
  PreparedImages out;
  for (const auto& path : image_paths) {
    try {
      const cv::Mat image = load_image(path, options.limits, cv::Size(spec.width, spec.height));
      out.inputs.resize(out.inputs.size() + size);
      preprocess_into(image, spec, out.inputs.data() + out.inputs.size() - size);
      out.ids.push_back(image_id(path));
    } catch (const Error& e) {
      result.failed.emplace_back(path, e.what());
    }
  }
  result.images = out.ids.size();
  if (out.ids.empty())
    throw Error(ErrorKind::input, fmt::format("{}: no usable images to adapt on",
                                              options.source.empty() ? std::string("input") : options.source));
  return out;
}

// Layer by layer in forward order: each layer's input statistics over every pixel of every
// image, with the layers before it already adapted, copied into its running mean and variance.
// With a prior strength N > 0 the result is mixed with the layer's source statistics, weighted as
// N source images against the n target images: (N x source + n x target) / (N + n), for the mean
// and for the variance (Schneider et al., NeurIPS 2020). Every pixel of image i counts `weights`[i]
// times (all 1 for uniform weighting; they average 1 in any case); the unbiased variance divides by
// (sum of weights x pixels) - 1, as for integer weights.
void reestimate(torch::jit::script::Module& module, Graph& flat, const std::vector<Layer>& layers,
                std::vector<float>& inputs, const std::vector<double>& weights, const InputSpec& spec,
                std::size_t images, std::size_t batch_size, double prior_strength,
                const std::function<void(std::size_t, std::size_t)>& progress) {
  const std::size_t size = std::size_t(3 * spec.width * spec.height);
  const std::size_t batch = std::max<std::size_t>(1, batch_size);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    auto fn = probe(flat, layers[l].node);
    at::Tensor sum, sum_sq;
    double count = 0;
    {
      c10::InferenceMode guard;
      for (std::size_t start = 0; start < images; start += batch) {
        const std::int64_t n = std::int64_t(std::min(batch, images - start));
        auto x = torch::from_blob(inputs.data() + start * size, {n, 3, spec.height, spec.width}, torch::kFloat32);
        const at::Tensor activation = (*fn)({module._ivalue(), x}).toTensor().to(torch::kFloat64);
        // Each image's per-channel sums over its pixels (none to sum for a 1-d layer), weighted.
        std::vector<std::int64_t> spatial;
        for (std::int64_t d = 2; d < activation.dim(); ++d) spatial.push_back(d);
        const at::Tensor squares = activation * activation;
        const at::Tensor per_image = spatial.empty() ? activation : activation.sum(spatial);
        const at::Tensor per_image_sq = spatial.empty() ? squares : squares.sum(spatial);
        const at::Tensor w = torch::from_blob(const_cast<double*>(weights.data() + start), {n, 1}, torch::kFloat64);
        const at::Tensor s = (w * per_image).sum(0), s2 = (w * per_image_sq).sum(0);
        count += w.sum().item<double>() * double(activation.numel() / (activation.size(0) * activation.size(1)));
        sum = sum.defined() ? sum + s : s;
        sum_sq = sum_sq.defined() ? sum_sq + s2 : s2;
      }
    }
    at::Tensor mean = sum / count;
    at::Tensor var = ((sum_sq - count * mean * mean) / std::max(1.0, count - 1)).clamp_min(0);
    {
      torch::NoGradGuard no_grad;
      at::Tensor running_mean = layers[l].running_mean, running_var = layers[l].running_var;
      if (prior_strength > 0) {
        const double source_weight = prior_strength / (prior_strength + double(images));
        mean = source_weight * running_mean.to(torch::kFloat64) + (1 - source_weight) * mean;
        var = source_weight * running_var.to(torch::kFloat64) + (1 - source_weight) * var;
      }
      running_mean.copy_(mean.to(running_mean.dtype()));
      running_var.copy_(var.to(running_var.dtype()));
    }
    if (progress) progress(l + 1, layers.size());
  }
}

// The new manifest: the old one, version suffixed, with the adaptation on record. What was
// measured or fitted on the unadapted network (reference feature statistics, metrics, conformal
// quantiles, the guaranteed-sensitivity threshold, the OOD flag) no longer describes the new one:
// it moves into the record.
nlohmann::json adapted_manifest(const Classifier& classifier, const std::vector<std::string>& ids,
                                const AdaptationResult& result, const AdaptationOptions& options) {
  nlohmann::json manifest = classifier.manifest().document;
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  std::string joined;
  for (const auto& id : sorted) joined += id + "\n";
  nlohmann::json record = {
      {"method",
       "batch-norm running statistics re-estimated on unlabelled images (AdaBN, Li et al. 2016): layer by layer in "
       "forward order, mean and unbiased variance of each layer's input over all pixels of all images, the layers "
       "before it already adapted"},
      {"source", options.source},
      {"prior_strength", options.prior_strength},
      {"mixing", options.prior_strength > 0
                     ? "each layer's statistics = (N x source + n x target) / (N + n), N = prior_strength, n = images "
                       "(Schneider et al. 2020)"
                     : "replaced by the target's (N = 0)"},
      {"weighting", options.weighting == TargetWeighting::class_balanced
                        ? "class-balanced: each image weighted so that each class, as the unadapted model predicts "
                          "it, contributes equally (w_i = n sum_c p_ic / (K sum_j p_jc); Zhao et al. 2023)"
                        : "uniform: every image counts once"},
      {"images", result.images},
      {"images_failed", result.failed.size()},
      {"image_ids_sha256", sha256_hex(joined)},
      {"date", now_iso8601()},
      {"layers", result.layers},
      {"layers_in_model", result.layers_in_model},
      {"depth", options.depth == 0 ? "all batch-norm layers"
                                   : fmt::format("the first {} batch-norm layers in forward order", result.layers)},
      {"base_model",
       {{"name", classifier.manifest().name},
        {"version", classifier.manifest().version},
        {"manifest_sha256", classifier.manifest().file_sha256}}}};
  if (manifest.contains("metrics")) {
    record["base_metrics"] = manifest["metrics"];
    manifest.erase("metrics");
  }
  for (const char* stale : {"conformal", "malignant_guarantee", "ood"})
    if (manifest.contains(stale)) {
      record["base_calibration_dropped"].push_back(stale);
      manifest.erase(stale);
    }
  if (manifest.contains("feature_statistics")) manifest.erase("feature_statistics");
  manifest["version"] = classifier.manifest().version + "+adapted";
  manifest["adaptation"] = record;
  return manifest;
}

// Written in a staging folder of its own and renamed into place: no half-written model directory.
void write_model_directory(const std::string& out_dir, torch::jit::script::Module& module,
                           const nlohmann::json& manifest) {
  ModelDirectoryWriter writer(out_dir);
  try {
    module.save(writer.path(kModelFile));
  } catch (const c10::Error& e) {
    throw Error(ErrorKind::io,
                fmt::format("{}: cannot write the model ({})", writer.staging(), e.what_without_backtrace()));
  }
  write_json(writer.path(kManifestFile), manifest);
  writer.commit(false);
}

}  // namespace

std::vector<double> class_balanced_weights(const std::vector<float>& probabilities, std::size_t count,
                                           std::size_t classes) {
  if (probabilities.size() != count * classes)
    throw Error(ErrorKind::usage, fmt::format("class_balanced_weights: {} probabilities for {} images x {} classes",
                                              probabilities.size(), count, classes));
  std::vector<double> mass(classes, 0.0);  // sum_j p_jc: each class's expected count
  for (std::size_t i = 0; i < count; ++i)
    for (std::size_t c = 0; c < classes; ++c) mass[c] += probabilities[i * classes + c];
  const double present = double(std::count_if(mass.begin(), mass.end(), [](double m) { return m > 0; }));
  std::vector<double> weights(count, 0.0);
  for (std::size_t i = 0; i < count; ++i)
    for (std::size_t c = 0; c < classes; ++c)
      if (mass[c] > 0) weights[i] += double(count) * probabilities[i * classes + c] / (present * mass[c]);
  return weights;
}

AdaptationResult adapt_batch_norm(Classifier& classifier, const std::vector<std::string>& image_paths,
                                  const std::string& out_dir, const AdaptationOptions& options,
                                  const std::function<void(std::size_t, std::size_t)>& progress) {
  check_output_directory(out_dir, classifier);
  // A copy: the classifier's own module (and its model directory) stay as they were.
  torch::jit::script::Module module = classifier.impl().module.clone();
  module.eval();
  auto flat = flat_forward(module);
  std::vector<Layer> layers = batch_norm_layers(module, *flat, skin::model_path(classifier.directory()));
  AdaptationResult result;
  result.layers_in_model = layers.size();
  if (options.depth > 0 && options.depth < layers.size()) layers.resize(options.depth);

  PreparedImages prepared = prepare_images(classifier, image_paths, options, result);
  if (!(options.prior_strength >= 0))
    throw Error(ErrorKind::usage, "the prior strength must be 0 (replace the statistics) or more");
  const std::vector<double> weights =
      options.weighting == TargetWeighting::uniform
          ? std::vector<double>(result.images, 1.0)
          : class_balanced_weights(
                classifier.predict_in_batches(prepared.inputs.data(), result.images, options.batch_size), result.images,
                classifier.num_classes());
  reestimate(module, *flat, layers, prepared.inputs, weights, classifier.manifest().input, result.images,
             options.batch_size, options.prior_strength, progress);
  result.layers = layers.size();
  result.manifest = adapted_manifest(classifier, prepared.ids, result, options);
  write_model_directory(out_dir, module, result.manifest);
  return result;
}

}  // namespace skin
