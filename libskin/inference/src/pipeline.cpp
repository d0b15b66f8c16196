// pipeline.cpp: decode workers + in-order batching consumer (the calling thread, or forward
// streams whose results the calling thread writes in order).
#include "skin/inference/pipeline.hpp"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "skin/core/error.hpp"
#include "skin/model/preprocess.hpp"

namespace skin {
// Not anonymous: DecodeAhead::State holds a Stream.
namespace pipeline_detail {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// CPU time of the calling thread (ms): unlike the wall clock, it does not grow while the thread
// waits for a core the machine has given to other work.
double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

bool same_preprocessing(const InputSpec& a, const InputSpec& b) {
  return a.width == b.width && a.height == b.height && a.resize == b.resize && a.color_order == b.color_order &&
         a.scale == b.scale && a.mean == b.mean && a.std == b.std && a.shades_of_gray_p == b.shades_of_gray_p;
}

// How the models of one run share work: one decode per distinct input size (JPEGs are decoded
// at reduced scale for the size asked, so models of one size see the same pixels they would
// alone), one preprocessing per distinct InputSpec.
struct Sharing {
  std::vector<cv::Size> decode_sizes;
  std::vector<InputSpec> specs;          // one per preprocessing group
  std::vector<std::size_t> spec_decode;  // preprocessing group -> decode size
  std::vector<std::size_t> model_spec;   // model -> preprocessing group

  explicit Sharing(const std::vector<InputSpec>& model_specs) {
    for (const InputSpec& spec : model_specs) {
      std::size_t g = 0;
      while (g < specs.size() && !same_preprocessing(specs[g], spec)) ++g;
      if (g == specs.size()) {
        const cv::Size size(spec.width, spec.height);
        std::size_t d = 0;
        while (d < decode_sizes.size() && decode_sizes[d] != size) ++d;
        if (d == decode_sizes.size()) decode_sizes.push_back(size);
        specs.push_back(spec);
        spec_decode.push_back(d);
      }
      model_spec.push_back(g);
    }
  }
};

std::vector<InputSpec> input_specs(const std::vector<Classifier*>& models) {
  std::vector<InputSpec> specs;
  for (const Classifier* m : models) specs.push_back(m->manifest().input);
  return specs;
}

struct Slot {
  Prediction prediction;
  // Per preprocessing group, `rows` preprocessed images: the decoded one, then its variants.
  std::vector<std::vector<float>> inputs;
  std::size_t rows = 0;
  double preprocess_ms = 0;  // of prediction.decode_ms
  double decode_cpu_ms = 0;  // the worker's CPU time for all of it (the adaptive overlap's measure)
};

class Stream {
 public:
  // `first_window`: how far the workers may run ahead until the first batch is taken (0: the
  // window).
  Stream(InputSource& source, const Sharing& sharing, const PipelineOptions& options, std::size_t first_window = 0)
      : source_(source),
        sharing_(sharing),
        options_(options),
        window_(options.window ? options.window : 4 * std::max<std::size_t>(1, options.batch_size)),
        ahead_(std::max(window_, first_window)) {}

  ~Stream() { shut_down(); }

  void start() {
    // The workers are the parallelism for decoding; OpenCV's own thread pool would only compete.
    cv::setNumThreads(0);
    for (int i = 0; i < std::max(1, options_.decode_threads); ++i) workers_.emplace_back([this] { work(); });
  }

  // Takes decodable items until they hold batch_size images (with any failed items between
  // them) in input order.
  std::vector<Slot> take_batch(PipelineStats& stats) {
    const auto t_wait = Clock::now();
    std::vector<Slot> batch;
    std::size_t decodable = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    ahead_ = window_;
    while (decodable < std::max<std::size_t>(1, options_.batch_size)) {
      ready_cv_.wait(lock,
                     [&] { return ready_.count(consumed_) || (source_done_ && consumed_ == assigned_) || stopping_; });
      auto node = ready_.extract(consumed_);
      if (node.empty()) break;
      ++consumed_;
      work_cv_.notify_one();
      if (node.mapped().prediction.ok()) decodable += node.mapped().rows;
      stats.read_decode_seconds += (node.mapped().prediction.decode_ms - node.mapped().preprocess_ms) / 1000.0;
      stats.preprocess_seconds += node.mapped().preprocess_ms / 1000.0;
      batch.push_back(std::move(node.mapped()));
    }
    stats.wait_seconds += ms_since(t_wait) / 1000.0;
    return batch;
  }

  std::size_t window() const { return window_; }

  // While paused the workers finish the image they hold and take no other. Counted: forward
  // streams pause and resume independently, and the workers wait until none holds a pause.
  void pause(bool paused) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pauses_ += paused ? 1 : -1;
    }
    if (!paused) work_cv_.notify_all();
  }

  std::size_t ready_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ready_.size();
  }

  void shut_down() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    ready_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

 private:
  bool stop_requested() const { return options_.stop && options_.stop->load(); }

  void work() {
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock,
                    [&] { return stopping_ || source_done_ || (pauses_ == 0 && assigned_ - consumed_ < ahead_); });
      if (stopping_ || source_done_) return;
      std::optional<InputItem> item;
      if (!stop_requested()) item = source_.next();
      if (!item) {
        source_done_ = true;
        ready_cv_.notify_all();
        work_cv_.notify_all();
        return;
      }
      const std::size_t seq = assigned_++;
      lock.unlock();

      Slot slot = prepare(*item);
      lock.lock();
      ready_.emplace(seq, std::move(slot));
      ready_cv_.notify_all();
    }
  }

  Slot prepare(const InputItem& item) {
    Slot slot;
    slot.prediction.path = item.path;
    slot.prediction.id = image_id(item.path);
    slot.prediction.error = item.error;
    if (!item.error.empty()) return slot;
    const auto t0 = Clock::now();
    const double cpu0 = thread_cpu_ms();
    try {
      slot.inputs.resize(sharing_.specs.size());
      for (std::size_t d = 0; d < sharing_.decode_sizes.size(); ++d) {
        cv::Mat image = load_image(item.path, options_.limits, sharing_.decode_sizes[d]);
        const auto t_preprocess = Clock::now();
        if (options_.skin_tone && d == 0) {
          slot.prediction.skin_tone_measured = true;
          slot.prediction.skin_tone = measure_skin_tone(image);
        }
        std::vector<cv::Mat> images{image};
        if (options_.variants)
          for (auto& variant : options_.variants(image, slot.prediction.id)) images.push_back(std::move(variant));
        for (std::size_t g = 0; g < sharing_.specs.size(); ++g) {
          if (sharing_.spec_decode[g] != d) continue;
          const InputSpec& spec = sharing_.specs[g];
          const std::size_t size = std::size_t(3) * std::size_t(spec.width) * std::size_t(spec.height);
          slot.inputs[g].resize(size * images.size());
          for (std::size_t i = 0; i < images.size(); ++i)
            preprocess_into(images[i], spec, slot.inputs[g].data() + i * size);
        }
        slot.rows = images.size();
        slot.preprocess_ms += ms_since(t_preprocess);
      }
    } catch (const Error& e) {
      slot.prediction.error = e.what();
    } catch (const std::exception& e) {  // e.g. out of memory inside the decoder
      slot.prediction.error = fmt::format("{}: {}", item.path, e.what());
    }
    slot.prediction.decode_ms = ms_since(t0);
    slot.decode_cpu_ms = thread_cpu_ms() - cpu0;
    return slot;
  }

  InputSource& source_;
  const Sharing& sharing_;
  const PipelineOptions& options_;
  const std::size_t window_;
  std::size_t ahead_;  // items the workers may hold: the first window, then window_ (under mutex_)
  std::mutex mutex_;
  std::condition_variable work_cv_, ready_cv_;
  std::map<std::size_t, Slot> ready_;
  std::size_t assigned_ = 0, consumed_ = 0;
  int pauses_ = 0;
  bool source_done_ = false, stopping_ = false;
  std::vector<std::thread> workers_;
};

// Raw scores of `count` preprocessed images, batch_size at a time (items with variants bring
// many images each; the forward pass is fastest in batches of about batch_size).
// `pooled` receives the rows' pooled features for models with feature statistics.
std::vector<float> classify_rows(Classifier& classifier, const std::vector<float>& inputs, std::size_t count,
                                 std::size_t batch_size, std::vector<float>& pooled) {
  batch_size = std::max<std::size_t>(1, batch_size);
  if (count <= batch_size) return classifier.raw_scores(inputs.data(), count, &pooled);
  std::vector<float> scores, part_pooled;
  pooled.clear();
  for (std::size_t start = 0; start < count; start += batch_size) {
    const std::size_t n = std::min(batch_size, count - start);
    const auto part = classifier.raw_scores(inputs.data() + start * classifier.input_size(), n, &part_pooled);
    scores.insert(scores.end(), part.begin(), part.end());
    pooled.insert(pooled.end(), part_pooled.begin(), part_pooled.end());
  }
  return scores;
}

// Runs `classifier` over the ok slots' rows of preprocessing group `group`, filling `predictions`
// (one per slot, in order).
void run_model(Classifier& classifier, std::vector<Slot>& batch, std::size_t group, const PipelineOptions& options,
               std::vector<Prediction*>& predictions) {
  std::vector<float> inputs;
  for (const auto& slot : batch)
    if (slot.prediction.ok()) inputs.insert(inputs.end(), slot.inputs[group].begin(), slot.inputs[group].end());
  const std::size_t count = inputs.size() / classifier.input_size();
  if (count == 0) return;
  auto t_batch = Clock::now();
  try {
    std::vector<float> pooled;
    std::vector<float> scores = classify_rows(classifier, inputs, count, options.batch_size, pooled);
    const auto& statistics = classifier.manifest().feature_statistics;
    const std::size_t channels = statistics ? statistics->mean.size() : 0;
    std::vector<float> probs = scores_to_probabilities(scores, count, classifier.manifest());
    const double per_item = ms_since(t_batch) / double(count);
    const auto width = std::ptrdiff_t(classifier.num_classes());
    std::ptrdiff_t offset = 0;
    auto take = [&](std::vector<float>& p, std::vector<float>& sc) {
      p.assign(probs.begin() + offset, probs.begin() + offset + width);
      sc.assign(scores.begin() + offset, scores.begin() + offset + width);
      offset += width;
    };
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i].prediction.ok()) continue;
      Prediction& p = *predictions[i];
      if (!pooled.empty()) {  // the decoded image's row; variants are not measured
        const auto* row = pooled.data() + std::size_t(offset / width) * channels;
        p.pooled_features.assign(row, row + channels);
      }
      take(p.probabilities, p.scores);
      p.variants.resize(batch[i].rows - 1);
      for (auto& v : p.variants) take(v.probabilities, v.scores);
      p.inference_ms = per_item * double(batch[i].rows);
    }
  } catch (const Error& e) {
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (batch[i].prediction.ok()) predictions[i]->error = fmt::format("{}: {}", batch[i].prediction.path, e.what());
  }
}

// A batch's results on their way to the sink; `failed` counts its items that could not be decoded.
struct BatchResults {
  std::vector<std::vector<Prediction>> per_item;
  std::size_t failed = 0;
};

// Every model over `batch`: per item, one prediction per model, each starting as the decoded
// item's record.
BatchResults forward_batch(std::vector<Slot>& batch, const Sharing& sharing,
                           const std::vector<Classifier*>& classifiers, const PipelineOptions& options) {
  BatchResults results;
  results.per_item.resize(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    results.per_item[i].assign(classifiers.size(), batch[i].prediction);
    if (!batch[i].prediction.ok()) ++results.failed;
  }
  for (std::size_t m = 0; m < classifiers.size(); ++m) {
    std::vector<Prediction*> predictions;
    for (auto& item : results.per_item) predictions.push_back(&item[m]);
    run_model(*classifiers[m], batch, sharing.model_spec[m], options, predictions);
  }
  return results;
}

// Writes a batch's results in order; the time goes to output_seconds.
void write_results(BatchResults&& results, const std::function<void(std::vector<Prediction>&&)>& sink,
                   PipelineStats& stats) {
  const auto t_output = Clock::now();
  for (auto& item : results.per_item) {
    ++stats.total;
    sink(std::move(item));
  }
  stats.failed += results.failed;
  stats.output_seconds += ms_since(t_output) / 1000.0;
}

// forward_batch with the decode workers paused during it if `pause`, its time and count added to
// `stats` (a stream's own stats).
BatchResults timed_forward_batch(Stream& stream, bool pause, std::vector<Slot>& batch, const Sharing& sharing,
                                 const std::vector<Classifier*>& classifiers, const PipelineOptions& options,
                                 PipelineStats& stats) {
  if (pause) {
    stream.pause(true);
    ++stats.paused_batches;
  }
  const auto t_forward = Clock::now();
  BatchResults results = forward_batch(batch, sharing, classifiers, options);
  if (pause) stream.pause(false);
  stats.forward_seconds += ms_since(t_forward) / 1000.0;
  ++stats.batches;
  return results;
}

// Adds the stages a forward stream measures (its waits, passes and the decoding it took) to `into`.
void add_stream_stages(PipelineStats& into, const PipelineStats& from) {
  into.read_decode_seconds += from.read_decode_seconds;
  into.preprocess_seconds += from.preprocess_seconds;
  into.wait_seconds += from.wait_seconds;
  into.forward_seconds += from.forward_seconds;
  into.batches += from.batches;
  into.paused_batches += from.paused_batches;
}

// One forward stream: the calling thread takes each batch, runs it and writes its results.
PipelineStats consume_serially(Stream& stream, const Sharing& sharing, const std::vector<Classifier*>& classifiers,
                               const PipelineOptions& options,
                               const std::function<void(std::vector<Prediction>&&)>& sink,
                               const std::function<void(const PipelineStats&)>& progress) {
  const auto t0 = Clock::now();
  PipelineStats stats;
  double decode_cpu_ms = 0;  // summed over the images of the batches so far
  std::size_t decoded = 0;
  for (;;) {
    if (options.stop && options.stop->load()) {
      stats.interrupted = true;
      break;
    }
    std::vector<Slot> batch = stream.take_batch(stats);
    if (batch.empty()) break;
    for (const Slot& slot : batch)
      if (slot.prediction.ok()) {
        decode_cpu_ms += slot.decode_cpu_ms;
        decoded += slot.rows;
      }
    // The first pass overlaps: there is no forward time to weigh the decoding against yet.
    const bool pause =
        options.overlap == DecodeOverlap::never ||
        (options.overlap == DecodeOverlap::adaptive && stats.batches > 0 && decoded > 0 &&
         decode_pauses_forward(decode_cpu_ms / double(decoded), 1000.0 * stats.forward_seconds / double(decoded)));
    write_results(timed_forward_batch(stream, pause, batch, sharing, classifiers, options, stats), sink, stats);
    stats.seconds = ms_since(t0) / 1000.0;
    if (progress) progress(stats);
  }
  stream.shut_down();
  stats.seconds = ms_since(t0) / 1000.0;
  return stats;
}

// Several forward streams: each stream thread takes a batch (one at a time, so the take order is
// the input order), runs it on its share of LibTorch's threads and leaves the results; the
// calling thread writes them in order. Decoding overlaps the passes unless the overlap is `never`.
PipelineStats consume_in_streams(Stream& stream, const Sharing& sharing, const std::vector<Classifier*>& classifiers,
                                 const PipelineOptions& options,
                                 const std::function<void(std::vector<Prediction>&&)>& sink,
                                 const std::function<void(const PipelineStats&)>& progress) {
  const auto t0 = Clock::now();
  const int streams = options.forward_streams;
  std::mutex take_mutex;  // held while taking a batch; always taken before `mutex`
  std::size_t taken = 0;  // batches taken (under take_mutex)
  std::mutex mutex;       // guards the rest
  std::condition_variable changed;
  std::map<std::size_t, BatchResults> done;  // by take order
  int ready_streams = 0, running = streams;
  bool interrupted = false, abandoned = false;
  std::exception_ptr failure;
  PipelineStats stream_stats;  // the streams' stages, summed

  auto record_failure = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    if (!failure) failure = std::current_exception();
  };
  auto run_stream = [&] {
    PipelineStats local;
    try {
      use_set_threads_on_this_thread();
    } catch (...) {
      record_failure();
    }
    {
      // Setting the count clears LibTorch's oneDNN primitive cache, so every stream sets it
      // before any stream runs a pass.
      std::unique_lock<std::mutex> lock(mutex);
      ++ready_streams;
      changed.notify_all();
      changed.wait(lock, [&] { return ready_streams == streams; });
    }
    try {
      for (;;) {
        std::vector<Slot> batch;
        std::size_t order = 0;
        {
          std::lock_guard<std::mutex> take(take_mutex);
          {
            std::lock_guard<std::mutex> lock(mutex);
            if (abandoned || failure) break;
            if (options.stop && options.stop->load()) {
              interrupted = true;
              break;
            }
          }
          batch = stream.take_batch(local);
          if (batch.empty()) break;
          order = taken++;
        }
        const bool pause = options.overlap == DecodeOverlap::never;
        BatchResults results = timed_forward_batch(stream, pause, batch, sharing, classifiers, options, local);
        std::lock_guard<std::mutex> lock(mutex);
        done.emplace(order, std::move(results));
        changed.notify_all();
      }
    } catch (...) {
      record_failure();
    }
    std::lock_guard<std::mutex> lock(mutex);
    add_stream_stages(stream_stats, local);
    --running;
    changed.notify_all();
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < streams; ++i) threads.emplace_back(run_stream);
  PipelineStats stats;
  try {
    for (std::size_t next = 0;; ++next) {
      BatchResults results;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return done.count(next) || running == 0 || failure; });
        if (failure) break;
        auto node = done.extract(next);
        if (node.empty()) break;
        results = std::move(node.mapped());
      }
      write_results(std::move(results), sink, stats);
      stats.seconds = ms_since(t0) / 1000.0;
      if (progress) progress(stats);
    }
  } catch (...) {
    // The sink failed (e.g. a full disk): stop the streams before passing the error on.
    {
      std::lock_guard<std::mutex> lock(mutex);
      abandoned = true;
    }
    stream.shut_down();
    for (auto& t : threads) t.join();
    throw;
  }
  stream.shut_down();  // a stream waiting for images returns with none
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  add_stream_stages(stats, stream_stats);  // the calling thread measured none of these
  stats.forward_streams = streams;
  stats.interrupted = interrupted;
  stats.seconds = ms_since(t0) / 1000.0;
  return stats;
}

// The calling thread's side of a run: batches from `stream` through every model to `sink`.
PipelineStats consume_batches(Stream& stream, const Sharing& sharing, const std::vector<Classifier*>& classifiers,
                              const PipelineOptions& options,
                              const std::function<void(std::vector<Prediction>&&)>& sink,
                              const std::function<void(const PipelineStats&)>& progress) {
  if (options.forward_streams > 1) return consume_in_streams(stream, sharing, classifiers, options, sink, progress);
  return consume_serially(stream, sharing, classifiers, options, sink, progress);
}

// Bytes of preprocessed input per image, over the distinct preprocessings.
std::size_t preprocessed_bytes_per_image(const Sharing& sharing) {
  std::size_t bytes = 0;
  for (const InputSpec& spec : sharing.specs) bytes += sizeof(float) * 3 * std::size_t(spec.width) * spec.height;
  return std::max<std::size_t>(1, bytes);
}

constexpr std::size_t kPrefetchBatches = 16;
constexpr std::size_t kPrefetchBytes = std::size_t(64) << 20;

}  // namespace pipeline_detail

bool decode_pauses_forward(double decode_ms_per_image, double forward_ms_per_image) {
  return decode_ms_per_image < forward_ms_per_image / 4;
}

int resolve_forward_streams(int threads, int requested) {
  const int available = threads > 0 ? threads : default_threads();
  return requested > 0 ? std::min(requested, available) : available;
}

int threads_per_forward_stream(int threads, int streams) {
  const int available = threads > 0 ? threads : default_threads();
  return std::max(1, available / std::max(1, streams));
}

bool shares_preprocessing(const Classifier& a, const Classifier& b) {
  return pipeline_detail::same_preprocessing(a.manifest().input, b.manifest().input);
}

PipelineStats classify_stream_models(InputSource& source, const std::vector<Classifier*>& classifiers,
                                     const PipelineOptions& options,
                                     const std::function<void(std::vector<Prediction>&&)>& sink,
                                     const std::function<void(const PipelineStats&)>& progress) {
  if (classifiers.empty()) throw Error(ErrorKind::usage, "no model to run");
  const pipeline_detail::Sharing sharing(pipeline_detail::input_specs(classifiers));
  pipeline_detail::Stream stream(source, sharing, options);
  stream.start();
  return pipeline_detail::consume_batches(stream, sharing, classifiers, options, sink, progress);
}

struct DecodeAhead::State {
  PipelineOptions options;
  pipeline_detail::Sharing sharing;
  std::size_t prefetch;
  pipeline_detail::Stream stream;
  bool consumed = false;

  State(InputSource& source, const InputSpec& spec, const PipelineOptions& o)
      : options(o),
        sharing(std::vector<InputSpec>{spec}),
        prefetch(o.variants ? 0
                            : std::min(pipeline_detail::kPrefetchBatches * std::max<std::size_t>(1, o.batch_size),
                                       pipeline_detail::kPrefetchBytes /
                                           pipeline_detail::preprocessed_bytes_per_image(sharing))),
        stream(source, sharing, options, prefetch) {}
};

DecodeAhead::DecodeAhead(InputSource& source, const InputSpec& spec, const PipelineOptions& options)
    : state_(std::make_unique<State>(source, spec, options)) {
  state_->stream.start();
}

DecodeAhead::~DecodeAhead() = default;  // the stream's destructor stops and joins the workers

std::size_t DecodeAhead::prefetch_items() const { return std::max(state_->stream.window(), state_->prefetch); }

std::size_t DecodeAhead::ready_items() { return state_->stream.ready_count(); }

PipelineStats classify_stream(DecodeAhead& ahead, Classifier& classifier, const std::function<void(Prediction&&)>& sink,
                              const std::function<void(const PipelineStats&)>& progress) {
  DecodeAhead::State& s = ahead.state();
  if (s.consumed) throw Error(ErrorKind::usage, "decoding started ahead can be consumed once");
  s.consumed = true;
  if (!pipeline_detail::same_preprocessing(classifier.manifest().input, s.sharing.specs[0]))
    throw Error(ErrorKind::usage, "the model's input spec is not the one its images were decoded for");
  const std::size_t ready = s.stream.ready_count();
  PipelineStats stats = pipeline_detail::consume_batches(
      s.stream, s.sharing, {&classifier}, s.options, [&](std::vector<Prediction>&& p) { sink(std::move(p[0])); },
      progress);
  stats.ready_at_start = ready;
  return stats;
}

PipelineStats classify_stream(InputSource& source, Classifier& classifier, const PipelineOptions& options,
                              const std::function<void(Prediction&&)>& sink,
                              const std::function<void(const PipelineStats&)>& progress) {
  return classify_stream_models(
      source, {&classifier}, options, [&](std::vector<Prediction>&& p) { sink(std::move(p[0])); }, progress);
}

}  // namespace skin
