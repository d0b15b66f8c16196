// skin/classifier_impl.hpp: the LibTorch side of Classifier, for modules that need the
// TorchScript module itself (explanations). Including it pulls in LibTorch's headers.
#pragma once
#include <torch/script.h>

#include "skin/classifier.hpp"

namespace skin {

struct Classifier::Impl {
  torch::jit::script::Module module;
};

}  // namespace skin
