// profile.cpp: the profile lines of a pipeline run.
#include "skin/inference/profile.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include <dlfcn.h>

namespace skin {

std::string malloc_provider() {
  // The address malloc resolves to in this process, then the object that holds it.
  void* (*resolved)(std::size_t) = &std::malloc;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(resolved), &info) == 0 || !info.dli_fname) return {};
  return info.dli_fname;
}

std::string profile_text(double process_ms, const std::vector<const Classifier*>& models, const PipelineStats& stats,
                         int decode_threads) {
  const std::string allocator = malloc_provider();
  std::string text = fmt::format("profile: start-up: process and libraries {:.3f} s (malloc from {})\n",
                                 process_ms / 1000.0, allocator.empty() ? "unknown" : allocator);
  for (const Classifier* model : models) {
    const LoadTimings& t = model->load_timings();
    text += fmt::format(
        "profile: start-up: {}: model read {:.3f} s, {}, check {:.3f} s\n", model->manifest().name, t.read_ms / 1000.0,
        t.optimised ? fmt::format("optimise {:.3f} s", t.optimise_ms / 1000.0) : "not optimised", t.check_ms / 1000.0);
  }
  const double n = stats.total > 0 ? double(stats.total) : 1.0;
  text += fmt::format("profile: run: {} images in {:.3f} s ({:.1f} images/s)", stats.total, stats.seconds,
                      stats.seconds > 0 ? double(stats.total) / stats.seconds : 0.0);
  if (stats.ready_at_start) text += fmt::format(", {} decoded while the model loaded", stats.ready_at_start);
  text += "\n";
  // With several forward streams their waits and passes are summed over the streams (so the
  // per-image forward time is one stream's), and the calling thread's only stage is the output.
  const std::string who =
      stats.forward_streams > 1 ? fmt::format("forward streams ({}, summed)", stats.forward_streams) : "calling thread";
  text += fmt::format(
      "profile: {}: waiting for images {:.3f} s, forward {:.3f} s, output {:.3f} s "
      "({:.2f} ms/image forward); decoding paused during {} of {} forward passes\n",
      who, stats.wait_seconds, stats.forward_seconds, stats.output_seconds, 1000.0 * stats.forward_seconds / n,
      stats.paused_batches, stats.batches);
  text += fmt::format(
      "profile: decode workers ({}, summed): read and decode {:.3f} s, preprocess {:.3f} s "
      "({:.2f} and {:.2f} ms/image)\n",
      decode_threads, stats.read_decode_seconds, stats.preprocess_seconds, 1000.0 * stats.read_decode_seconds / n,
      1000.0 * stats.preprocess_seconds / n);
  return text;
}

}  // namespace skin
