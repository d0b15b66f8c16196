// server_metrics_test.cpp: Prometheus text for requests, errors, latency and batch sizes
// (skin/serve/server_metrics.hpp).
#include "skin/serve/server_metrics.hpp"

#include <doctest/doctest.h>

TEST_CASE("requests, errors and histograms render as Prometheus text with cumulative buckets") {
  skin::ServerMetrics m;
  m.record_request("/v1/classify", 200, 0.02);
  m.record_request("/v1/classify", 200, 0.2);
  m.record_request("/v1/classify", 415, 0.001);
  m.record_request("other", 404, 0.001);
  m.record_batch(1, 0.01);
  m.record_batch(3, 0.03);
  m.record_batch(8, 0.05);
  const std::string t = m.prometheus_text("ham", "1.0.0");
  auto has = [&](const std::string& line) {
    INFO(line);
    CHECK(t.find(line + "\n") != std::string::npos);
  };
  has("# TYPE skinscan_http_requests_total counter");
  has("skinscan_http_requests_total{route=\"/v1/classify\",code=\"200\"} 2");
  has("skinscan_http_requests_total{route=\"/v1/classify\",code=\"415\"} 1");
  has("skinscan_http_requests_total{route=\"other\",code=\"404\"} 1");
  has("skinscan_http_errors_total{code=\"404\"} 1");
  has("skinscan_http_errors_total{code=\"415\"} 1");
  CHECK(t.find("skinscan_http_errors_total{code=\"200\"}") == std::string::npos);
  has("skinscan_http_request_duration_seconds_bucket{le=\"0.005\"} 2");
  has("skinscan_http_request_duration_seconds_bucket{le=\"0.025\"} 3");
  has("skinscan_http_request_duration_seconds_bucket{le=\"0.25\"} 4");
  has("skinscan_http_request_duration_seconds_bucket{le=\"+Inf\"} 4");
  has("skinscan_http_request_duration_seconds_count 4");
  has("skinscan_batch_size_bucket{le=\"1\"} 1");
  has("skinscan_batch_size_bucket{le=\"2\"} 1");
  has("skinscan_batch_size_bucket{le=\"4\"} 2");
  has("skinscan_batch_size_bucket{le=\"8\"} 3");
  has("skinscan_batch_size_sum 12");
  has("skinscan_batch_size_count 3");
  has("skinscan_model_info{name=\"ham\",version=\"1.0.0\"} 1");
  CHECK(t.find("process_resident_memory_bytes ") != std::string::npos);
}

TEST_CASE("label values are escaped and a value past the last bucket only counts in +Inf") {
  skin::ServerMetrics m;
  m.record_request("other", 500, 100.0);
  const std::string t = m.prometheus_text("a\"b", "1\\2");
  CHECK(t.find("skinscan_model_info{name=\"a\\\"b\",version=\"1\\\\2\"} 1\n") != std::string::npos);
  CHECK(t.find("skinscan_http_request_duration_seconds_bucket{le=\"30\"} 0\n") != std::string::npos);
  CHECK(t.find("skinscan_http_request_duration_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
}

TEST_CASE("resident memory is read from /proc") { CHECK(skin::resident_memory_bytes() > 1024 * 1024); }
