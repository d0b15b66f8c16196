// http_server.cpp: routes, upload handling and error answers on cpp-httplib.
#include "skin/serve/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <httplib.h>
#include <opencv2/imgcodecs.hpp>

#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/core/json_text.hpp"
#include "skin/core/sha256.hpp"
#include "skin/core/strings.hpp"
#include "skin/core/version.hpp"
#include "skin/explain/explainer.hpp"
#include "skin/model/preprocess.hpp"
#include "skin/model/quality.hpp"
#include "skin/serve/micro_batcher.hpp"
#include "skin/serve/responses.hpp"
#include "skin/serve/server_metrics.hpp"
#include "skin/serve/upload_page.hpp"

namespace skin {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Route {
  const char* path;
  const char* method;
};
constexpr Route kRoutes[] = {{"/", "GET"},           {"/health", "GET"},       {"/v1/model", "GET"},
                             {"/metrics", "GET"},    {"/v1/classify", "POST"}, {"/predict", "POST"},
                             {"/v1/explain", "POST"}};

const Route* route_of(const std::string& path) {
  for (const auto& r : kRoutes)
    if (path == r.path) return &r;
  return nullptr;
}

// An answer other than 200, raised inside a handler.
struct HttpError : std::runtime_error {
  HttpError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

void answer_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(json_text(body), "application/json");  // invalid UTF-8 from clients is replaced
}

json error_body(int status, const std::string& message) { return {{"error", message}, {"status", status}}; }

constexpr int kListenBacklog = 1024;

// Room for the multipart envelope around an image at the byte limit.
constexpr std::size_t kEnvelopeBytes = 64 * 1024;

// When the request started (headers read), for the access log; set per connection thread.
thread_local std::optional<Clock::time_point> t_request_start;

struct Upload {
  std::string name = "upload";
  std::string bytes;
};

struct CountWhileAlive {
  explicit CountWhileAlive(std::atomic<std::size_t>& count) : n(count) { ++n; }
  ~CountWhileAlive() { --n; }
  std::atomic<std::size_t>& n;
};

}  // namespace

struct HttpServer::Impl {
  Impl(Classifier c, ServerOptions o) : classifier(std::move(c)), options(std::move(o)), started(Clock::now()) {}

  Classifier classifier;
  ServerOptions options;
  Clock::time_point started;
  std::mutex model_mutex;  // the classify batches' forward passes, one at a time
  // Explanations run on a second copy of the model (loaded at the first request), so a
  // Grad-CAM or occlusion request never holds the classify batches up; one at a time.
  std::mutex explain_mutex;
  std::optional<Classifier> explain_classifier;
  ServerMetrics metrics;
  std::unique_ptr<MicroBatcher> batcher;
  std::size_t pooled_channels() const {
    return manifest().feature_statistics ? manifest().feature_statistics->mean.size() : 0;
  }
  std::size_t row_size() const { return 2 * classifier.num_classes() + pooled_channels(); }
  httplib::Server server;
  json model_info;
  std::atomic<bool> stop_requested{false};
  socket_t listen_socket = -1;
  std::atomic<std::size_t> arriving{0};  // classify requests being read or decoded

  const Manifest& manifest() const { return classifier.manifest(); }

  void describe_model() {
    const std::string dir = classifier.directory();
    model_info = {{"name", manifest().name},
                  {"version", manifest().version},
                  {"directory", dir},
                  {"labels", manifest().labels},
                  {"malignant", manifest().malignant},
                  {"input", {{"width", manifest().input.width}, {"height", manifest().input.height}}},
                  {"manifest", manifest().document},
                  {"manifest_sha256", manifest().file_sha256},
                  {"model_sha256", sha256_file(model_path(dir))},
                  {"serving",
                   {{"max_batch", options.max_batch},
                    {"max_wait_ms", options.max_wait.count() / 1000.0},
                    {"workers", options.workers},
                    {"max_file_bytes", options.limits.max_bytes},
                    {"max_dimension", options.limits.max_width}}}};
  }

  // Reads the image from multipart field `file` or, for any other body, the body itself: its type
  // is judged by content, never by Content-Type (curl --data-binary says form-urlencoded).
  Upload upload_of(const httplib::Request& req, const httplib::ContentReader& reader) const {
    const std::size_t limit = options.limits.max_bytes + kEnvelopeBytes;
    const bool chunked = req.get_header_value("Transfer-Encoding") == "chunked";
    if (!chunked) {
      // Refused from the header alone: nothing of an oversized body is read.
      const auto length = req.get_header_value<std::uint64_t>("Content-Length");
      if (length > limit)
        throw HttpError(413, fmt::format("request body of {} bytes is over the {} byte limit (images up to {} bytes "
                                         "plus 64 KiB for a multipart envelope)",
                                         length, limit, options.limits.max_bytes));
      if (length == 0) return {};  // no body (a POST without Content-Length has none)
    }
    std::size_t received = 0;
    auto within_limit = [&](std::size_t n) { return (received += n) <= limit; };
    Upload upload;
    bool ok = true;
    if (req.is_multipart_form_data()) {
      std::vector<std::string> fields;
      bool in_file = false, found = false;
      ok = reader(
          [&](const httplib::MultipartFormData& part) {
            fields.push_back(part.name);
            in_file = part.name == "file" && !found;
            if (in_file) {
              found = true;
              if (!part.filename.empty()) upload.name = part.filename;
            }
            return true;
          },
          [&](const char* data, std::size_t n) {
            if (!within_limit(n)) return false;
            if (in_file) upload.bytes.append(data, n);
            return true;
          });
      if (ok && !found)
        throw HttpError(400, fmt::format("multipart form has no field 'file' (fields: {})",
                                         fields.empty() ? "none" : fmt::format("{}", fmt::join(fields, ", "))));
    } else {
      ok = reader([&](const char* data, std::size_t n) {
        if (!within_limit(n)) return false;
        upload.bytes.append(data, n);
        return true;
      });
    }
    if (received > limit)
      throw HttpError(413, fmt::format("request body over the {} byte limit (images up to {} bytes plus 64 KiB for a "
                                       "multipart envelope)",
                                       limit, options.limits.max_bytes));
    if (!ok)
      throw HttpError(400, req.is_multipart_form_data() ? "malformed multipart form (or the upload was cut short)"
                                                        : "request body cut short");
    return upload;
  }

  // Decodes like the CLI does; `at_least` lets large JPEGs decode at a reduced scale.
  cv::Mat decode(const Upload& u, cv::Size at_least) const {
    try {
      return decode_image(reinterpret_cast<const std::uint8_t*>(u.bytes.data()), u.bytes.size(), u.name, options.limits,
                          at_least);
    } catch (const Error& e) {
      switch (e.reason()) {
        case InputReason::empty:
          throw HttpError(400, "empty body: send the image as multipart field 'file' or as the raw request body");
        case InputReason::too_large:
          throw HttpError(413, e.what());
        case InputReason::not_an_image:
          throw HttpError(415, e.what());
        case InputReason::undecodable:
        case InputReason::unspecified:
          break;
      }
      throw HttpError(422, e.what());
    }
  }

  struct Classified {
    Prediction prediction;
    Upload upload;
  };

  Classified classify(const httplib::Request& req, const httplib::ContentReader& reader) {
    const auto t0 = Clock::now();
    Classified out;
    std::vector<float> input(classifier.input_size());
    {
      // Counted while read and decoded, so the batcher knows whether to wait for this request.
      const CountWhileAlive counted(arriving);
      out.upload = upload_of(req, reader);
      const InputSpec& spec = manifest().input;
      preprocess_into(decode(out.upload, cv::Size(spec.width, spec.height)), spec, input.data());
    }
    Prediction& p = out.prediction;
    p.path = out.upload.name;
    p.id = image_id(out.upload.name);
    p.decode_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    BatchedResult r = batcher->submit(std::move(input)).get();
    const auto k = long(classifier.num_classes());
    p.probabilities.assign(r.outputs.begin(), r.outputs.begin() + k);
    p.scores.assign(r.outputs.begin() + k, r.outputs.begin() + 2 * k);
    p.pooled_features.assign(r.outputs.begin() + 2 * k, r.outputs.end());
    p.inference_ms = r.inference_ms;
    return out;
  }

  std::size_t top_k_param(const httplib::Request& req) const {
    if (!req.has_param("top_k")) return 3;
    const std::string v = req.get_param_value("top_k");
    std::size_t k = 0;
    try {
      std::size_t used = 0;
      k = std::stoul(v, &used);
      if (used != v.size()) k = 0;
    } catch (const std::exception&) {
      k = 0;
    }
    if (k < 1 || k > manifest().labels.size())
      throw HttpError(400, fmt::format("top_k must be 1 to {}, got '{}'", manifest().labels.size(), v));
    return k;
  }

  void on_classify(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    const auto t0 = Clock::now();
    const std::size_t k = top_k_param(req);  // a bad parameter is refused before the upload is read
    Classified c = classify(req, reader);
    json record = classification_record(c.prediction, manifest(), k);
    // Judged on the full-size image, as `classify --quality` does (the classification may have
    // decoded a large JPEG at reduced scale).
    if (req.get_param_value("quality") == "1")
      record["quality"] = quality_to_json(assess_quality(decode(c.upload, {}), manifest().input));
    const double total_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    answer_json(res, 200, classification_document(manifest(), classifier.directory(), json::array({record}), total_ms));
  }

  void on_predict(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    answer_json(res, 200, legacy_prediction_response(classify(req, reader).prediction, manifest()));
  }

  void on_explain(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    ExplainRequest request;  // a bad parameter is refused before the upload is read
    try {
      if (req.has_param("method")) request.method = parse_saliency_method(req.get_param_value("method"));
      if (req.has_param("class")) request.class_index = class_index_of(manifest(), req.get_param_value("class"));
    } catch (const Error& e) {
      throw HttpError(400, e.what());
    }
    const Upload upload = upload_of(req, reader);
    const cv::Mat bgr = decode(upload, {});
    ImageExplanation e;
    {
      std::lock_guard<std::mutex> lock(explain_mutex);
      if (!explain_classifier) explain_classifier.emplace(classifier.directory());
      e = explain_image(*explain_classifier, bgr, request);
    }
    std::vector<uchar> png;
    cv::imencode(".png", e.overlay, png);
    const std::string png_bytes(png.begin(), png.end());
    if (req.get_param_value("format") == "png") {
      res.status = 200;
      res.set_content(png_bytes, "image/png");
      return;
    }
    e.json["path"] = upload.name;
    e.json["overlay_png_base64"] = base64_encode(png_bytes);
    answer_json(res, 200, explanation_document(manifest(), json::array({std::move(e.json)})));
  }

  // Wraps a handler: HttpError and library errors become JSON answers with their status.
  using UploadHandler = void (Impl::*)(const httplib::Request&, httplib::Response&, const httplib::ContentReader&);
  httplib::Server::HandlerWithContentReader guarded(UploadHandler handler, bool legacy_shape = false) {
    return [this, handler, legacy_shape](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
      int status = 500;
      std::string message;
      try {
        (this->*handler)(req, res, reader);
        return;
      } catch (const HttpError& e) {
        status = e.status;
        message = e.what();
      } catch (const Error& e) {
        status = e.kind() == ErrorKind::input ? 422 : 500;
        message = e.what();
      } catch (const std::exception& e) {
        message = fmt::format("internal error: {}", e.what());
      }
      json body = error_body(status, message);
      if (legacy_shape) body["success"] = false;
      // The body may be partly unread; the client must not send another request on this connection.
      if (status == 400 || status == 413) res.set_header("Connection", "close");
      answer_json(res, status, body);
    };
  }

  void log_request(const httplib::Request& req, const httplib::Response& res) {
    double ms = 0;
    if (t_request_start) ms = std::chrono::duration<double, std::milli>(Clock::now() - *t_request_start).count();
    t_request_start.reset();
    const Route* route = route_of(req.path);
    metrics.record_request(route ? route->path : "other", res.status, ms / 1000.0);
    if (options.log)
      options.log(fmt::format("{} {} {} {} {:.1f}ms", req.method.empty() ? "-" : req.method,
                              req.path.empty() ? "(unparsed request)" : req.path, res.status, res.body.size(), ms));
  }

  void set_up_routes() {
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(upload_page_html(), "text/html; charset=utf-8");
    });
    server.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      const double uptime = std::chrono::duration<double>(Clock::now() - started).count();
      answer_json(res, 200,
                  {{"status", "ok"},
                   {"model_loaded", true},
                   {"model", {{"name", manifest().name}, {"version", manifest().version}}},
                   {"skinscan", version()},
                   {"uptime_s", uptime}});
    });
    server.Get("/v1/model",
               [this](const httplib::Request&, httplib::Response& res) { answer_json(res, 200, model_info); });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.prometheus_text(manifest().name, manifest().version), "text/plain; version=0.0.4");
    });
    server.Post("/v1/classify", guarded(&Impl::on_classify));
    server.Post("/predict", guarded(&Impl::on_predict, true));
    server.Post("/v1/explain", guarded(&Impl::on_explain));

    // Known path, wrong method: 405 with Allow, before any body is read (so the connection closes).
    server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      t_request_start = Clock::now();
      const Route* route = route_of(req.path);
      if (!route || req.method == route->method || (req.method == "HEAD" && std::string(route->method) == "GET"))
        return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("Allow", route->method);
      res.set_header("Connection", "close");
      answer_json(res, 405,
                  error_body(405, fmt::format("{} does not accept {}; use {}", req.path, req.method, route->method)));
      return httplib::Server::HandlerResponse::Handled;
    });
    // Answers httplib makes itself (404, 400 for malformed requests, 413 over the payload limit).
    server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string message;
      switch (res.status) {
        case 404:
          message = fmt::format("no such endpoint: {} {}", req.method, req.path);
          break;
        case 413:
          message = fmt::format("request body over the {} byte limit", options.limits.max_bytes);
          break;
        case 400:
          message = "malformed request (bad headers, multipart form or chunked encoding)";
          break;
        default:
          message = fmt::format("request failed with status {}", res.status);
      }
      answer_json(res, res.status, error_body(res.status, message));
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string message = "internal error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        message = fmt::format("internal error: {}", e.what());
      } catch (...) {
      }
      answer_json(res, 500, error_body(500, message));
    });
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log_request(req, res); });
  }
};

HttpServer::HttpServer(Classifier classifier, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(classifier), std::move(options))) {
  Impl& s = *impl_;
  s.describe_model();
  // Each request's row: the probabilities, then the raw scores and, for models with feature
  // statistics, the pooled features (what the per-image OOD score needs).
  s.batcher = std::make_unique<MicroBatcher>(
      [&s](const float* inputs, std::size_t n) {
        std::vector<float> pooled, raw;
        {
          std::lock_guard<std::mutex> lock(s.model_mutex);
          raw = s.classifier.raw_scores(inputs, n, s.pooled_channels() ? &pooled : nullptr);
        }
        const std::vector<float> probabilities = scores_to_probabilities(raw, n, s.manifest());
        const std::size_t k = s.classifier.num_classes(), c = s.pooled_channels();
        std::vector<float> rows;
        rows.reserve(n * s.row_size());
        for (std::size_t i = 0; i < n; ++i) {
          rows.insert(rows.end(), probabilities.begin() + long(i * k), probabilities.begin() + long((i + 1) * k));
          rows.insert(rows.end(), raw.begin() + long(i * k), raw.begin() + long((i + 1) * k));
          if (c) rows.insert(rows.end(), pooled.begin() + long(i * c), pooled.begin() + long((i + 1) * c));
        }
        return rows;
      },
      s.classifier.input_size(), s.row_size(), s.options.max_batch, s.options.max_wait,
      [&s](std::size_t n, double seconds) { s.metrics.record_batch(n, seconds); }, [&s] { return s.arriving.load(); });
  const int workers = std::max(1, s.options.workers);
  s.server.new_task_queue = [workers] { return new httplib::ThreadPool(std::size_t(workers)); };
  // Bigger bodies get 413 from their Content-Length, before they are read.
  s.server.set_payload_max_length(s.options.limits.max_bytes + kEnvelopeBytes);
  s.server.set_read_timeout(s.options.read_timeout_s, 0);
  s.server.set_write_timeout(s.options.write_timeout_s, 0);
  s.server.set_keep_alive_timeout(s.options.keep_alive_s);
  s.server.set_keep_alive_max_count(1000);
  s.server.set_tcp_nodelay(true);  // small answers must not wait for the client's delayed ACK
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second server bind
  // the same port and silently take half of the connections.
  s.server.set_socket_options([&s](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    s.listen_socket = sock;
  });
  s.set_up_routes();
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
  Impl& s = *impl_;
  int port = s.options.port;
  if (port == 0) {
    port = s.server.bind_to_any_port(s.options.host);
  } else if (!s.server.bind_to_port(s.options.host, port)) {
    port = -1;
  }
  if (port < 0)
    throw Error(ErrorKind::usage, fmt::format("cannot listen on {}:{} (address in use, or not this machine's?)",
                                              s.options.host, s.options.port));
  // Debian's cpp-httplib listens with a backlog of 5: a burst of connections overflows it, and
  // with SYN cookies the overflow shows as connection resets. Listening again widens the queue.
  if (s.listen_socket >= 0) ::listen(s.listen_socket, kListenBacklog);
  return port;
}

void HttpServer::serve() {
  impl_->server.listen_after_bind();  // returns at once after a stop(): its socket is shut down
}

void HttpServer::stop() {
  Impl& s = *impl_;
  if (s.stop_requested.exchange(true)) return;
  // httplib's own stop() does nothing until its accept loop has started, so a stop that came
  // just before serve() reached it was lost. Shutting the listening socket down ends the loop
  // whenever it runs, now or later: accept() then fails at once, and httplib closes the socket
  // and answers the requests in flight before listen_after_bind() returns.
  if (s.listen_socket >= 0) ::shutdown(s.listen_socket, SHUT_RDWR);
}

}  // namespace skin
