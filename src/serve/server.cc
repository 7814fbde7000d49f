#include "serve/server.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <functional>

#include "io/error.h"
#include "serve/api.h"

// OpenBLAS's thread switch (weak: absent with another BLAS). The server runs
// one request per thread; BLAS threads inside each would only fight over the
// same cores.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace podpower::serve {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kRoutes[] = {
    "/predict",         "/predict/batch", "/predict/from-yaml",
    "/infer/from-yaml", "/admission",     "/healthz",
    "/readyz",          "/metrics"};

// Route name for /metrics: a known path, else "other".
std::string EndpointName(const std::string& path) {
  for (const char* r : kRoutes) {
    if (path == r) return r;
  }
  return "other";
}

// When the current request on this thread started (set before routing).
thread_local Clock::time_point request_start{};

void Reply(httplib::Response& res, const ApiResponse& r) {
  res.status = r.status;
  res.set_content(r.body, r.content_type.c_str());
}

struct Address {
  std::string host;
  int port = 0;
};

Address ParseListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    throw Error("--listen: expected host:port, got '" + listen + "'");
  }
  Address a;
  a.host = listen.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']')
    a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty()) a.host = "0.0.0.0";
  const std::string port = listen.substr(colon + 1);
  try {
    size_t used = 0;
    a.port = std::stoi(port, &used);
    if (used != port.size() || a.port < 0 || a.port > 65535)
      throw std::out_of_range("port");
  } catch (const std::exception&) {
    throw Error("--listen: expected a port 0-65535 after ':', got '" + port +
                "'");
  }
  return a;
}

}  // namespace

void Log(const std::string& message) {
  const auto now = std::chrono::system_clock::now();
  const std::string line =
      fmt::format("{:%Y-%m-%dT%H:%M:%S}Z podpower serve: {}\n",
                  std::chrono::floor<std::chrono::seconds>(now), message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

Server::Server() = default;

Server::~Server() { Stop(); }

void Server::Start(const ServerOptions& options) {
  if (http_) throw Error("serve: server already started");
  options_ = options;
  if (options_.tls_cert.empty() != options_.tls_key.empty()) {
    throw Error("--tls-cert and --tls-key: give both or neither");
  }
  if (!(options_.step_seconds > 0)) {
    throw Error("--step-seconds: expected a number of seconds > 0");
  }
  const Address address = ParseListen(options_.listen);
  store_ = std::make_unique<ArtifactStore>(options_.artifacts);
  {
    const auto current = store_->Current();
    const auto& model = current->predictor->model();
    metrics_.SetModel({current->fingerprint, current->predictor->target(),
                       model.rows(), model.dim()});
  }
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(1);

  if (!options_.tls_cert.empty()) {
    auto https = std::make_unique<httplib::SSLServer>(options_.tls_cert.c_str(),
                                                      options_.tls_key.c_str());
    if (!https->is_valid()) {
      throw Error("--tls-cert " + options_.tls_cert + " / --tls-key " +
                  options_.tls_key +
                  ": cannot load the certificate and key (PEM expected)");
    }
    http_ = std::move(https);
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  const size_t threads = std::max<size_t>(options_.threads, 1);
  http_->new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  http_->set_payload_max_length(options_.max_body_bytes);
  http_->set_read_timeout(options_.read_timeout);
  http_->set_write_timeout(options_.write_timeout);
  // Idle keep-alive connections hold a worker until this timeout, and Stop()
  // waits for them: short, so a drain takes ~2 s at most beyond the requests.
  http_->set_keep_alive_max_count(100000);
  http_->set_keep_alive_timeout(2);
  http_->set_tcp_nodelay(true);
  Route();

  port_ = address.port;
  if (address.port == 0) {
    port_ = http_->bind_to_any_port(address.host);
    if (port_ < 0) port_ = 0;
  } else if (!http_->bind_to_port(address.host, address.port)) {
    port_ = 0;
  }
  if (port_ == 0) {
    http_.reset();
    throw Error("--listen " + options_.listen +
                ": cannot bind (address in use or not local?)");
  }
  listener_ = std::thread([this] { http_->listen_after_bind(); });
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = false;
  }
  if (options_.watch_interval.count() > 0) {
    watcher_ = std::thread([this] { Watch(); });
  }
  Log(fmt::format("listening on {}://{}:{} (model {}, target {})",
                  options_.tls_cert.empty() ? "http" : "https", address.host,
                  port_, store_->Current()->fingerprint,
                  store_->Current()->predictor->target()));
}

void Server::Stop() {
  if (!http_) return;
  draining_ = true;
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  // listen_after_bind() returns once the listening socket is closed and the
  // thread pool has finished every connection it accepted.
  http_->stop();
  if (listener_.joinable()) listener_.join();
  http_.reset();
  Log("stopped");
}

ReloadResult Server::Reload() {
  ReloadResult result = store_->Reload();
  Record(result);
  return result;
}

void Server::Record(const ReloadResult& result) {
  if (!result.attempted) return;
  metrics_.ObserveReload(result.ok);
  if (result.ok) {
    const auto current = store_->Current();
    const auto& model = current->predictor->model();
    metrics_.SetModel({current->fingerprint, current->predictor->target(),
                       model.rows(), model.dim()});
    Log("reloaded encoder and model: fingerprint " + result.message);
  } else {
    Log("reload refused, still serving " + store_->Current()->fingerprint +
        ": " + result.message);
  }
}

void Server::Watch() {
  std::unique_lock lock(watch_mutex_);
  while (!stopping_) {
    watch_cv_.wait_for(lock, options_.watch_interval,
                       [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    Record(store_->ReloadIfChanged());
    lock.lock();
  }
}

void Server::Route() {
  httplib::Server& s = *http_;
  s.set_pre_routing_handler(
      [this](const httplib::Request&, httplib::Response&) {
        request_start = Clock::now();
        metrics_.RequestStarted();
        return httplib::Server::HandlerResponse::Unhandled;
      });
  s.set_logger([this](const httplib::Request& req,
                      const httplib::Response& res) {
    double seconds = 0;
    if (request_start != Clock::time_point{}) {
      seconds =
          std::chrono::duration<double>(Clock::now() - request_start).count();
      metrics_.RequestFinished();
    }
    request_start = {};
    metrics_.ObserveRequest(EndpointName(req.path), res.status, seconds);
    if (options_.log_requests) {
      Log(fmt::format("{} {} {} {:.3f} ms", req.method, req.path, res.status,
                      seconds * 1e3));
    }
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        std::string reason = "HTTP error " + std::to_string(res.status);
        if (res.status == 404)
          reason = "no endpoint " + req.method + " " + req.path;
        if (res.status == 413) reason = "request body too large";
        if (res.status == 400) reason = "malformed HTTP request";
        if (res.status == 408) reason = "request timed out";
        Reply(res, ErrorResponse(res.status, reason));
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                             std::exception_ptr ep) {
    std::string reason = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      reason = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    Reply(res, ErrorResponse(500, reason));
  });

  if (options_.max_batch > 0)
    batcher_ =
        std::make_unique<PredictionBatcher>(options_.max_batch, 0, &metrics_);
  const ApiOptions api{options_.step_seconds, batcher_.get()};
  // POST handlers read the body themselves (content-reader routes): httplib's
  // plain routes parse form bodies and cap them at 8 KiB, and curl -d sends
  // every body as a form.
  using BodyHandler = std::function<ApiResponse(const std::string& body)>;
  auto post = [&s](const char* path, BodyHandler handler) {
    s.Post(path, [handler](const httplib::Request&, httplib::Response& res,
                           const httplib::ContentReader& reader) {
      std::string body;
      const bool complete = reader([&body](const char* data, size_t length) {
        body.append(data, length);
        return true;
      });
      if (!complete) {
        const int status = res.status >= 400 ? res.status : 400;
        Reply(res,
              ErrorResponse(status, status == 413 ? "request body too large"
                                                  : "incomplete request body"));
        return;
      }
      Reply(res, handler(body));
    });
  };
  auto predict_route = [this, api](auto handler) {
    return [this, api, handler](const std::string& body) {
      const auto artifacts = store_->Current();
      ApiResponse r = handler(body, *artifacts, api);
      metrics_.AddPredictions(r.predictions);
      return r;
    };
  };
  post("/predict", predict_route(HandlePredict));
  post("/predict/batch", predict_route(HandlePredictBatch));
  post("/predict/from-yaml", predict_route(HandlePredictFromYaml));
  post("/infer/from-yaml", HandleInferFromYaml);
  post("/admission", [this](const std::string& body) {
    nlohmann::json review;
    try {
      review = nlohmann::json::parse(body);
    } catch (const nlohmann::json::parse_error& e) {
      metrics_.ObserveAdmission("invalid");
      return ErrorResponse(400, std::string("body: invalid JSON: ") + e.what());
    }
    AdmissionOptions admission;
    admission.step_seconds = options_.step_seconds;
    admission.budgets = options_.budgets;
    admission.budget_mode = options_.budget_mode;
    try {
      const auto artifacts = store_->Current();
      AdmissionResult result = Admit(review, artifacts.get(), admission);
      metrics_.ObserveAdmission(result.decision);
      metrics_.AddPredictions(result.predictions);
      if (result.decision == "error" || result.decision == "denied") {
        Log("admission " + result.decision + ": " +
            result.review["response"].dump());
      }
      return ApiResponse{200, result.review.dump(), "application/json", 0};
    } catch (const Error& e) {
      metrics_.ObserveAdmission("invalid");
      return ErrorResponse(400, e.what());
    }
  });
  for (const char* path : {"/predict", "/predict/batch", "/predict/from-yaml",
                           "/infer/from-yaml", "/admission"}) {
    s.Get(path, [](const httplib::Request& req, httplib::Response& res) {
      Reply(res, ErrorResponse(405, req.path + ": use POST"));
      res.set_header("Allow", "POST");
    });
  }
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (draining_ || !store_->Current()) {
      Reply(res, ErrorResponse(503, "shutting down"));
      return;
    }
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
  });
}

void RunUntilSignalled(const ServerOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  // Blocked before any thread starts, so every thread inherits the mask and
  // only sigwait below sees these signals.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  Server server;
  server.Start(options);
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Log("SIGHUP: reloading encoder and model");
      server.Reload();
      continue;
    }
    Log(fmt::format("{}: draining requests in flight, then exiting",
                    sig == SIGTERM ? "SIGTERM" : "SIGINT"));
    break;
  }
  server.Stop();
}

}  // namespace podpower::serve
