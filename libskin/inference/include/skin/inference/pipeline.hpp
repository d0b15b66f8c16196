// skin/inference/pipeline.hpp: streaming classification. Worker threads read, validate, decode and
// preprocess images while the calling thread (or several forward streams) runs batched inference;
// a bounded window of items in flight keeps memory flat however many inputs there are. Results
// come out in input order.
#pragma once
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "skin/input/image.hpp"
#include "skin/input/input_source.hpp"
#include "skin/model/classifier.hpp"
#include "skin/model/prediction.hpp"

namespace skin {

// Two decode threads keep the forward pass fed on a 2-core machine.
inline constexpr std::size_t kDefaultBatchSize = kEfficientBatchSize;
inline constexpr int kDefaultDecodeThreads = 2;

// Whether the decode workers keep decoding while a forward pass runs. With few cores they take
// cores from LibTorch's threads, which wait for each other at every layer, so a forward pass can
// slow by more than the decoding it hides. `adaptive` pauses them during each forward pass while
// decoding is cheap against it (decode_pauses_forward) and lets them overlap otherwise (a fast
// forward pass, or large PNGs and TIFFs, which cannot be decoded at reduced scale).
enum class DecodeOverlap { adaptive, always, never };

// Whether the decode workers keep decoding while a forward pass runs (forward_streams 1). With
// several streams `adaptive` overlaps (single-threaded passes have no barriers to stall) and
// `never` pauses the workers while any pass runs.
//
// The adaptive rule: pause when an image's decoding (ms of one worker's CPU time, which a busy
// machine does not inflate as it does the wall clock) is below a quarter of its forward pass
// (ms per image): decoding between passes then adds at most an eighth to the forward time with
// two workers. The gain measured on 2 cores was a few percent, inside that machine's noise
// (docs/performance.md); the outputs are the same either way.
bool decode_pauses_forward(double decode_ms_per_image, double forward_ms_per_image);

struct PipelineOptions {
  std::size_t batch_size = kDefaultBatchSize;
  int decode_threads = kDefaultDecodeThreads;
  // Forward passes run at once, each on its own batch with LibTorch's threads divided between
  // them (threads_per_forward_stream; set them before the model loads). A small network uses
  // two threads poorly: on 2 cores one pass of the default model at batch 8 costs 2.2 ms per
  // image on two threads and 3.4 on one, so two single-threaded streams do ~1.2x the work of
  // one two-threaded pass, and decoding beside them stalls no barrier (docs/performance.md).
  // 1: the calling thread runs the passes. More: that many threads do, the calling thread
  // writes their results in input order. The results are the same either way (to float
  // rounding of the thread split, within 1e-5).
  int forward_streams = 1;
  std::size_t window = 0;  // items in flight; 0 means 4 * batch_size
  DecodeOverlap overlap = DecodeOverlap::adaptive;
  ImageLimits limits;
  const std::atomic<bool>* stop = nullptr;  // when it becomes true the run ends after the current batch
  // Further versions of each decoded image to classify with it (evaluate --shift). Called on the
  // decode workers with the decoded 8-bit BGR image and the item's id; every image it returns is
  // preprocessed and classified too, its result in Prediction::variants in the same order. The
  // file is read and decoded once however many versions there are. Forward passes still take
  // batch_size images at a time.
  std::function<std::vector<cv::Mat>(const cv::Mat& decoded, const std::string& id)> variants;
  // Measure each decoded image's skin tone (ITA, skin_tone.hpp) on the decode workers, before any
  // colour constancy: Prediction::skin_tone.
  bool skin_tone = false;
};

// PipelineOptions::forward_streams for `threads` inference threads (0: default_threads()):
// `requested` (0: one stream per thread), never more streams than threads.
int resolve_forward_streams(int threads, int requested);

// The LibTorch threads (for set_threads) each of `streams` forward streams gets out of `threads`
// (0: default_threads()): an equal share, at least one.
int threads_per_forward_stream(int threads, int streams);

struct PipelineStats {
  std::size_t total = 0;
  std::size_t failed = 0;
  double seconds = 0;
  bool interrupted = false;
  // Where the time went (a profile: scripts/bench_profile.sh). The decode workers' stages are
  // summed over workers (they overlap each other and the forward passes). With one forward
  // stream the calling thread's stages (wait, forward, output) add up to `seconds` but for
  // set-up; with several, wait and forward are summed over the streams, which overlap.
  double read_decode_seconds = 0;  // reading and decoding files (workers)
  double preprocess_seconds = 0;   // skin tone, variants, resize, colour constancy, normalisation (workers)
  double wait_seconds = 0;         // the forward stream(s) waiting for decoded images
  double forward_seconds = 0;      // forward passes and probabilities, summed over the forward streams
  double output_seconds = 0;       // the sink: formatting and writing results
  std::size_t ready_at_start = 0;  // items already decoded when the first batch was taken (DecodeAhead)
  std::size_t batches = 0;         // forward passes over a batch of items
  std::size_t paused_batches = 0;  // of them, those with the decode workers paused (DecodeOverlap)
  int forward_streams = 1;         // forward passes run at once (PipelineOptions::forward_streams)
};

// Decoding that starts before the model is loaded. The workers read, decode and preprocess for
// `spec` while the caller loads the model (its read, freeze and optimisation take about a second,
// mostly on one core), so that the first batches find their images ready instead of sharing the
// cores with the forward passes. Until the first batch is taken the workers run ahead by up to
// 16 batches (at most 64 MiB of preprocessed input; the usual window when `options.variants` is
// set); after that by the usual window. Hand it to classify_stream with a model whose manifest
// has this input spec; destroying it unused stops the workers.
class DecodeAhead {
 public:
  DecodeAhead(InputSource& source, const InputSpec& spec, const PipelineOptions& options);
  ~DecodeAhead();
  DecodeAhead(const DecodeAhead&) = delete;
  DecodeAhead& operator=(const DecodeAhead&) = delete;

  // Images the workers may decode before the first batch is taken.
  std::size_t prefetch_items() const;
  // Items decoded (or failed) and waiting for the first batch.
  std::size_t ready_items();

  struct State;  // the pipeline's worker pool (pipeline.cpp)
  State& state() { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

// Calls `sink` once per input item, in input order, as soon as its batch is done. `progress`,
// if given, is called after each batch with the running totals.
PipelineStats classify_stream(InputSource& source, Classifier& classifier, const PipelineOptions& options,
                              const std::function<void(Prediction&&)>& sink,
                              const std::function<void(const PipelineStats&)>& progress = {});

// The same, consuming decoding started earlier (with `ahead`'s options). Throws ErrorKind::usage
// when the model's input spec is not the one `ahead` decodes for.
PipelineStats classify_stream(DecodeAhead& ahead, Classifier& classifier, const std::function<void(Prediction&&)>& sink,
                              const std::function<void(const PipelineStats&)>& progress = {});

// Several models over one read of each image (evaluate -m A -m B ...): each file is decoded once
// per distinct input size and preprocessed once per distinct preprocessing (InputSpec), then every
// model runs its batch; `sink` gets one Prediction per model, in the order given. A forward-pass
// error fails that model's predictions of the batch only.
PipelineStats classify_stream_models(InputSource& source, const std::vector<Classifier*>& classifiers,
                                     const PipelineOptions& options,
                                     const std::function<void(std::vector<Prediction>&&)>& sink,
                                     const std::function<void(const PipelineStats&)>& progress = {});

// Whether two models preprocess images identically (so one decode and preprocessing serves both).
bool shares_preprocessing(const Classifier& a, const Classifier& b);

}  // namespace skin
