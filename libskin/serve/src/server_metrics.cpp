// server_metrics.cpp: counters under one mutex; the text format is rendered on demand.
#include "skin/serve/server_metrics.hpp"

#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

namespace skin {
namespace {

template <std::size_t N>
void observe(Histogram<N>& h, const std::array<double, N>& bounds, double value) {
  for (std::size_t i = 0; i < N; ++i)
    if (value <= bounds[i]) {
      ++h.counts[i];
      break;
    }
  ++h.count;
  h.sum += value;
}

// Label values are route names and numbers; escape anyway, as the format requires.
std::string escape_label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

template <std::size_t N>
std::string histogram_text(const std::string& name, const std::string& help, const Histogram<N>& h,
                           const std::array<double, N>& bounds) {
  std::string out = fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < N; ++i) {
    cumulative += h.counts[i];
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds[i], cumulative);
  }
  out +=
      fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, h.count, name, h.sum, name, h.count);
  return out;
}

}  // namespace

void ServerMetrics::record_request(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  observe(latency_, kLatencyBuckets, seconds);
}

void ServerMetrics::record_batch(std::size_t size, double forward_seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  observe(batch_sizes_, kBatchBuckets, static_cast<double>(size));
  forward_seconds_ += forward_seconds;
}

std::string ServerMetrics::prometheus_text(const std::string& model_name, const std::string& model_version) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out =
      "# HELP skinscan_http_requests_total HTTP requests answered, by route and status code.\n"
      "# TYPE skinscan_http_requests_total counter\n";
  std::map<int, std::uint64_t> errors;
  for (const auto& [key, n] : requests_) {
    out += fmt::format("skinscan_http_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", escape_label(key.first),
                       key.second, n);
    if (key.second >= 400) errors[key.second] += n;
  }
  out +=
      "# HELP skinscan_http_errors_total HTTP requests answered with a 4xx or 5xx status, by code.\n"
      "# TYPE skinscan_http_errors_total counter\n";
  for (const auto& [code, n] : errors) out += fmt::format("skinscan_http_errors_total{{code=\"{}\"}} {}\n", code, n);
  out += histogram_text("skinscan_http_request_duration_seconds",
                        "Time from the request's headers to its answer, in seconds.", latency_, kLatencyBuckets);
  out +=
      histogram_text("skinscan_batch_size", "Images per forward pass (micro-batching).", batch_sizes_, kBatchBuckets);
  out += fmt::format(
      "# HELP skinscan_forward_seconds_total Time spent in forward passes.\n"
      "# TYPE skinscan_forward_seconds_total counter\nskinscan_forward_seconds_total {}\n",
      forward_seconds_);
  out += fmt::format(
      "# HELP skinscan_model_info The model being served.\n# TYPE skinscan_model_info gauge\n"
      "skinscan_model_info{{name=\"{}\",version=\"{}\"}} 1\n",
      escape_label(model_name), escape_label(model_version));
  out += fmt::format(
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n",
      resident_memory_bytes());
  return out;
}

std::size_t resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace skin
