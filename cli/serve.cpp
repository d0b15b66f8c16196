// cli/serve.cpp: `skinscan serve`: the HTTP API and upload page (skin/serve/http_server.hpp) until
// SIGINT or SIGTERM, which stop it cleanly: requests in flight are answered, then exit 0.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/serve/http_server.hpp"

#include <malloc.h>
#include <pthread.h>

namespace cli {
namespace {

struct ServeOptions {
  CommonOptions common;
  ImageOptions image;
  skin::ServerOptions server;  // bound straight from the options below
  double max_wait_ms = 5;      // converted to server.max_wait
  int timeout_s = 10;          // server.read_timeout_s and write_timeout_s
};

int run(const ServeOptions& o) {
  // Each connection thread allocates upload-sized buffers; glibc would give every thread its own
  // arena that keeps freed memory, and RSS would creep up with the number of threads that have
  // served (10,000 requests with 32 threads: +135 MB with an arena per thread, +36 MB with 2).
  mallopt(M_ARENA_MAX, 2);
  // Block the stop signals in every thread the server starts; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  skin::ServerOptions so = o.server;
  so.limits = o.image.limits();
  so.max_wait = std::chrono::microseconds(static_cast<long long>(o.max_wait_ms * 1000.0));
  so.read_timeout_s = so.write_timeout_s = o.timeout_s;
  std::mutex log_mutex;
  if (!o.common.quiet)
    so.log = [&log_mutex](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex);
      std::fprintf(stderr, "%s\n", line.c_str());
    };
  skin::HttpServer server(load_classifier(o.common), so);
  const int port = server.bind();
  // The "listening" line is the readiness signal scripts wait for; it names the bound port.
  std::fprintf(stderr, "skinscan: serving http://%s:%d/ (Ctrl-C or SIGTERM stops)\n", so.host.c_str(), port);

  std::atomic<bool> served{false};
  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    if (served) return;  // woken by the line below: the server had already stopped
    std::fprintf(stderr, "skinscan: %s: finishing requests in flight, then stopping\n",
                 signal == SIGTERM ? "SIGTERM" : "SIGINT");
    server.stop();  // also when the accept loop has not started yet (HttpServer::stop)
  });
  server.serve();
  served = true;
  pthread_kill(signal_waiter.native_handle(), SIGTERM);  // harmless if it already returned
  signal_waiter.join();
  return kOk;
}

}  // namespace

Subcommand setup_serve(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  auto* sub = app.add_subcommand("serve", "Serve the model over HTTP: JSON API, Prometheus metrics, upload page");
  sub->add_option("--host", o->server.host, "Address to listen on (0.0.0.0 for every interface)")
      ->capture_default_str()
      ->group("Server");
  sub->add_option("-p,--port", o->server.port, "Port (0: any free port; the chosen one is printed)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str()
      ->group("Server");
  sub->add_option("--workers", o->server.workers, "Connection threads (each reads and decodes one request at a time)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str()
      ->group("Server");
  sub->add_option("--max-batch", o->server.max_batch, "Most images per forward pass (1 turns micro-batching off)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str()
      ->group("Server");
  sub->add_option("--max-wait-ms", o->max_wait_ms, "Longest a request waits for its batch to fill")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str()
      ->group("Server");
  sub->add_option("--timeout", o->timeout_s, "Seconds a client may stay silent while sending or receiving")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str()
      ->group("Server");
  add_image_options(*sub, o->image);
  add_common_options(*sub, o->common);
  sub->footer(
      std::string("Endpoints: POST /v1/classify, /predict, /v1/explain[?format=png]; GET /health, /v1/model,\n"
                  "/metrics, / (upload page). Send an image as multipart field 'file' or as the raw body.\n"
                  "Examples:\n"
                  "  skinscan serve --port 8080\n"
                  "  curl -F file=@lesion.jpg http://127.0.0.1:8080/v1/classify\n"
                  "  curl --data-binary @lesion.jpg 'http://127.0.0.1:8080/v1/explain?format=png' > overlay.png\n"
                  "--quiet turns off the access log (one line per request on stderr).\n") +
      docs_line("serve.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
