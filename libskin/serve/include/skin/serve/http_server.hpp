// skin/serve/http_server.hpp: the HTTP API and upload page (`skinscan serve`), on cpp-httplib.
//
//   POST /v1/classify  multipart field `file` or a raw image body -> classify --json for one image
//   POST /predict      the same, in the answer shape of the Flask/FastAPI apps skinscan replaces
//   POST /v1/explain   explain --json for one image + the overlay PNG (base64); ?format=png: the PNG
//   GET  /health, /v1/model, /metrics (Prometheus text), / (upload page)
//
// Uploads live in memory and are dropped after the answer; nothing is written to disk. Requests
// are decoded on the connection threads and their forward passes micro-batched (micro_batcher.hpp).
// Every error is a JSON object {"error": message, "status": code}.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "skin/input/image.hpp"
#include "skin/model/classifier.hpp"

namespace skin {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;   // 0: any free port (see HttpServer::bind)
  int workers = 32;  // connection threads; each reads, decodes and answers one request at a time
  ImageLimits limits;
  std::size_t max_batch = 8;                                         // images per forward pass
  std::chrono::microseconds max_wait{std::chrono::milliseconds(5)};  // for a batch to fill
  int read_timeout_s = 10;                                           // per read; a client silent this long is dropped
  int write_timeout_s = 10;                                          // per write
  int keep_alive_s = 2;  // an idle kept-alive connection is closed after this
  // Receives one line per request: method, path, status, response bytes, milliseconds.
  std::function<void(const std::string&)> log;
};

class HttpServer {
 public:
  HttpServer(Classifier classifier, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket; returns the port. Throws Error(usage) when it cannot bind.
  int bind();
  // Serves until stop(); requests in flight are answered before it returns.
  void serve();
  // Stops serving (from any thread).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skin
