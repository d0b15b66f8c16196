// skin/inference/profile.hpp: where a run's time went, as lines for stderr: the start-up
// (process and libraries, then per model: read, optimise, check) and the pipeline's stages.
// scripts/bench_profile.sh reads these lines; keep their "name N.NNN s" form.
#pragma once
#include <string>
#include <vector>

#include "skin/inference/pipeline.hpp"
#include "skin/model/classifier.hpp"

namespace skin {

// The file of the shared object that provides this process's malloc (e.g.
// "/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"): skinscan is linked with tcmalloc, without
// which a forward pass runs several times slower (docs/performance.md); a program built on libskin
// can check what it got. Empty when it cannot be told.
std::string malloc_provider();

// `process_ms`: the process's age when main() began (process_clock.hpp). Each line starts with
// "profile: " and ends with a newline.
std::string profile_text(double process_ms, const std::vector<const Classifier*>& models, const PipelineStats& stats,
                         int decode_threads);

}  // namespace skin
