// http_server_test.cpp: the server answered through a real loopback connection with httplib's
// client: the same probabilities as the classifier directly, the error statuses, a clean stop
// (skin/serve/http_server.hpp). The CLI tests cover curl, bad clients, the browser and load.
#include "skin/serve/http_server.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <random>
#include <thread>

#include <doctest/doctest.h>
#include <httplib.h>

#include "skin/core/sha256.hpp"
#include "skin/input/image.hpp"
#include "skin/model/preprocess.hpp"
#include "support.hpp"

namespace {

// A server on a free loopback port, serving on its own thread until the fixture ends.
struct RunningServer {
  explicit RunningServer(skin::ServerOptions options = {}) {
    options.port = 0;
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex);
      log.push_back(line);
    };
    server = std::make_unique<skin::HttpServer>(skin::Classifier(test::model("tiny7")), options);
    port = server->bind();
    thread = std::thread([this] { server->serve(); });
  }
  ~RunningServer() {
    server->stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    return c;
  }
  std::unique_ptr<skin::HttpServer> server;
  int port = 0;
  std::thread thread;
  std::mutex log_mutex;
  std::vector<std::string> log;
};

std::string file_text(const std::string& path) { return test::read_text(path); }

}  // namespace

TEST_CASE("classify over HTTP gives the classifier's own probabilities, multipart or raw") {
  RunningServer s;
  const std::string path = test::image("good/plain.png");
  skin::Classifier direct(test::model("tiny7"));
  const auto& spec = direct.manifest().input;
  std::vector<float> input(direct.input_size());
  skin::preprocess_into(skin::load_image(path, {}, cv::Size(spec.width, spec.height)), spec, input.data());
  const auto expected = direct.predict(input.data(), 1);

  auto client = s.client();
  httplib::MultipartFormDataItems items = {{"file", file_text(path), "plain.png", "image/png"}};
  auto multipart = client.Post("/v1/classify?top_k=2", items);
  REQUIRE(multipart);
  CHECK(multipart->status == 200);
  auto doc = nlohmann::json::parse(multipart->body);
  const auto& r = doc["results"][0];
  CHECK(r["path"] == "plain.png");
  CHECK(r["top_k"].size() == 2);
  for (std::size_t i = 0; i < expected.size(); ++i)
    CHECK(r["probabilities"][direct.manifest().labels[i]].get<float>() == doctest::Approx(expected[i]).epsilon(1e-6));

  auto raw = client.Post("/v1/classify", file_text(path), "application/x-www-form-urlencoded");
  REQUIRE(raw);
  CHECK(raw->status == 200);
  CHECK(nlohmann::json::parse(raw->body)["results"][0]["probabilities"] == r["probabilities"]);
}

TEST_CASE("bad requests get JSON errors with their status, and the server keeps serving") {
  RunningServer s;
  auto client = s.client();
  auto status_and_error = [](const httplib::Result& res) {
    REQUIRE(res);
    auto j = nlohmann::json::parse(res->body);
    CHECK(j["status"] == res->status);
    return std::make_pair(res->status, j["error"].get<std::string>());
  };
  auto [s1, e1] = status_and_error(client.Post("/v1/classify", "", "application/octet-stream"));
  CHECK(s1 == 400);
  CHECK(e1.find("empty body") != std::string::npos);
  auto [s2, e2] = status_and_error(client.Post("/v1/classify", file_text(test::image("bad/text.jpg")), "image/jpeg"));
  CHECK(s2 == 415);
  CHECK(e2.find("not a supported image") != std::string::npos);
  auto [s3, e3] =
      status_and_error(client.Post("/v1/classify", file_text(test::image("bad/truncated.jpg")), "image/jpeg"));
  CHECK(s3 == 422);
  CHECK(e3.find("truncated") != std::string::npos);
  auto [s4, e4] = status_and_error(client.Post("/v1/classify", file_text(test::image("bad/bomb.png")), "image/png"));
  CHECK(s4 == 422);
  CHECK(e4.find("exceed") != std::string::npos);
  httplib::MultipartFormDataItems wrong_field = {{"image", "x", "a.png", "image/png"}};
  auto [s5, e5] = status_and_error(s.client().Post("/v1/classify", wrong_field));
  CHECK(s5 == 400);
  CHECK(e5 == "multipart form has no field 'file' (fields: image)");
  auto [s6, e6] = status_and_error(s.client().Get("/v1/classify"));
  CHECK(s6 == 405);
  CHECK(e6 == "/v1/classify does not accept GET; use POST");
  auto [s7, e7] = status_and_error(s.client().Get("/nowhere"));
  CHECK(s7 == 404);
  CHECK(e7 == "no such endpoint: GET /nowhere");
  auto [s8, e8] =
      status_and_error(s.client().Post("/v1/classify?top_k=99", file_text(test::image("good/plain.png")), "image/png"));
  CHECK(s8 == 400);
  CHECK(e8 == "top_k must be 1 to 7, got '99'");

  auto legacy = s.client().Post("/predict", "", "application/octet-stream");
  REQUIRE(legacy);
  CHECK(nlohmann::json::parse(legacy->body)["success"] == false);

  auto health = s.client().Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(nlohmann::json::parse(health->body)["model_loaded"] == true);
}

TEST_CASE("the byte limit is enforced from Content-Length, before the body is read") {
  skin::ServerOptions options;
  options.limits.max_bytes = 1000;
  RunningServer s(options);
  auto res = s.client().Post("/v1/classify", std::string(200000, 'x'), "application/octet-stream");
  REQUIRE(res);
  CHECK(res->status == 413);
  CHECK(res->get_header_value("Connection") == "close");
  CHECK(nlohmann::json::parse(res->body)["error"].get<std::string>().find("over the") != std::string::npos);
}

TEST_CASE("model, metrics, page and explain endpoints; one log line per request") {
  RunningServer s;
  auto model = s.client().Get("/v1/model");
  REQUIRE(model);
  auto m = nlohmann::json::parse(model->body);
  CHECK(m["manifest_sha256"] == skin::sha256_file(test::model("tiny7") + "/manifest.json"));
  CHECK(m["labels"].size() == 7);

  auto page = s.client().Get("/");
  REQUIRE(page);
  CHECK(page->get_header_value("Content-Type").find("text/html") == 0);
  CHECK(page->body.find("/v1/explain") != std::string::npos);

  const std::string image = file_text(test::image("good/plain.png"));
  auto png = s.client().Post("/v1/explain?format=png", image, "image/png");
  REQUIRE(png);
  CHECK(png->status == 200);
  CHECK(png->get_header_value("Content-Type") == "image/png");
  CHECK(png->body.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  auto explained = s.client().Post("/v1/explain?class=mel", image, "image/png");
  REQUIRE(explained);
  auto e = nlohmann::json::parse(explained->body)["results"][0];
  CHECK(e["saliency"]["class"] == "mel");
  CHECK(e["overlay_png_base64"].get<std::string>().rfind("iVBORw0KGgo", 0) == 0);  // base64 of the PNG magic
  auto bad_class = s.client().Post("/v1/explain?class=xyz", image, "image/png");
  REQUIRE(bad_class);
  CHECK(bad_class->status == 400);

  // Each request is counted and logged after its answer is written, so a client may read the
  // answer before that happens: wait for the five log lines (counting comes first) before asking
  // for the metrics. The lines may come in any order.
  auto logged = [&] {
    std::lock_guard<std::mutex> lock(s.log_mutex);
    return s.log;
  };
  auto wait_for_lines = [&](std::size_t n) {
    for (int i = 0; i < 200 && logged().size() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  wait_for_lines(5);
  auto metrics = s.client().Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("skinscan_http_requests_total{route=\"/v1/explain\",code=\"200\"} 2") != std::string::npos);
  CHECK(metrics->body.find("skinscan_http_requests_total{route=\"/v1/explain\",code=\"400\"} 1") != std::string::npos);

  wait_for_lines(6);
  const auto lines = logged();
  REQUIRE(lines.size() == 6);
  auto count = [&](const std::string& prefix) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
  };
  CHECK(count("GET /v1/model 200 ") == 1);
  CHECK(count("GET / 200 ") == 1);
  CHECK(count("POST /v1/explain 200 ") == 2);
  CHECK(count("POST /v1/explain 400 ") == 1);
  CHECK(count("GET /metrics 200 ") == 1);
  for (const auto& l : lines) CHECK(l.substr(l.size() - 2) == "ms");
}

TEST_CASE("binding a port in use is a usage error") {
  RunningServer s;
  skin::ServerOptions options;
  options.port = s.port;
  skin::HttpServer second(skin::Classifier(test::model("tiny7")), options);
  CHECK(test::error_of([&] { second.bind(); }, skin::ErrorKind::usage).find("cannot listen on 127.0.0.1:") == 0);
}

TEST_CASE("stop() ends serve() whenever it comes: before serve, as it starts, while it runs") {
  // Regression: httplib's stop() did nothing before its accept loop had started, so a stop in
  // that window was lost and serve() never returned (the CLI worked around it by repeating it).
  skin::ServerOptions options;
  options.port = 0;
  std::mt19937 rng(7);
  for (int round = 0; round < 60; ++round) {
    skin::HttpServer server(skin::Classifier(test::model("tiny7")), options);
    server.bind();
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> returned = done->get_future();
    const int mode = round % 3;
    if (mode == 0) server.stop();  // before serve()
    std::thread serving([&server, done] {
      server.serve();
      done->set_value();
    });
    if (mode == 1) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));  // as it starts
    if (mode == 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));            // while it runs
    server.stop();
    server.stop();  // twice is harmless
    if (returned.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      serving.detach();
      FAIL("serve() did not return after stop() (round " << round << ", mode " << mode << ")");
    }
    serving.join();
  }
}
