// skin/model/classifier_impl.hpp: the LibTorch side of Classifier, for modules that need the
// TorchScript module itself (explanations). Including it pulls in LibTorch's headers.
#pragma once
#include <torch/script.h>

#include "skin/model/classifier.hpp"

namespace skin {

struct Classifier::Impl {
  torch::jit::script::Module module;  // as loaded: exported methods intact, autograd works (explain)
  torch::jit::script::Module fast;    // forward optimised for CPU inference (MKLDNN, folding)
  // For models with feature statistics, the optimised `fast` returns (features map, scores) from
  // one forward call; otherwise (and when it is the plain module) it has the model's methods.
  bool fast_returns_features = false;
};

}  // namespace skin
