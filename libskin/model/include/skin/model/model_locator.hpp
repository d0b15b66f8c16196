// skin/model/model_locator.hpp: finds the model directory to use: an explicit path, else
// $SKINSCAN_MODEL, else the bundled default (source tree or installed data dir).
#pragma once
#include <string>

namespace skin {

inline constexpr const char* kDefaultModelName = "ham10000-skinnet";

// `explicit_dir` may be empty. `executable` is argv[0] or /proc/self/exe, used to find the
// models installed beside the binary (PREFIX/bin/skinscan -> PREFIX/share/skinscan/models).
// Throws skin::Error(model) listing the places searched when nothing is found.
std::string locate_model(const std::string& explicit_dir, const std::string& executable);

}  // namespace skin
