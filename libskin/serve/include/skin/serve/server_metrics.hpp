// skin/serve/server_metrics.hpp: the HTTP server's counters in Prometheus text format (version 0.0.4):
// requests by route and status, errors by status, a request latency histogram, a histogram of
// forward-pass batch sizes and the process's resident memory.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace skin {

// Upper bounds of the latency buckets (seconds) and batch-size buckets.
inline constexpr std::array<double, 12> kLatencyBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
inline constexpr std::array<double, 8> kBatchBuckets{1, 2, 4, 8, 16, 32, 64, 128};

template <std::size_t N>
struct Histogram {
  std::array<std::uint64_t, N> counts{};  // per bucket, not cumulative
  std::uint64_t count = 0;
  double sum = 0;
};

class ServerMetrics {
 public:
  // `route` is the matched endpoint ("/v1/classify") or "other", so unknown paths cannot grow
  // the label set without bound.
  void record_request(const std::string& route, int status, double seconds);
  void record_batch(std::size_t size, double forward_seconds);

  // `model_name` and `model_version` go into skinscan_model_info.
  std::string prometheus_text(const std::string& model_name, const std::string& model_version) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  Histogram<kLatencyBuckets.size()> latency_;
  Histogram<kBatchBuckets.size()> batch_sizes_;
  double forward_seconds_ = 0;
};

// The resident set size of this process in bytes (from /proc/self/statm; 0 where unavailable).
std::size_t resident_memory_bytes();

}  // namespace skin
