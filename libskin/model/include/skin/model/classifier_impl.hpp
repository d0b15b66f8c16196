// skin/model/classifier_impl.hpp: the LibTorch side of Classifier, for modules that need the
// TorchScript module itself (explanations). Including it pulls in LibTorch's headers.
#pragma once
#include <torch/script.h>

#include "skin/model/classifier.hpp"

namespace skin {

struct Classifier::Impl {
  torch::jit::script::Module module;  // as loaded: exported methods intact, autograd works (explain)
  torch::jit::script::Module fast;    // forward optimised for CPU inference (MKLDNN, folding)
};

}  // namespace skin
