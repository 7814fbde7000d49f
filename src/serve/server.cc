#include "serve/server.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>

#include "io/error.h"
#include "serve/api.h"
#include "serve/deadline.h"

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

// cpp-httplib's request parser, router and response writer, run by the front
// on connections it has read a request from (front.h).
class Engine : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

// Probes and scrapes: no time budget, answered on the listener for probes.
bool IsProbePath(const std::string& path) {
  return path == "/healthz" || path == "/readyz" || path == "/metrics";
}

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

// OpenSSL's reason for the last error it queued ("" when none), for messages;
// clears the queue.
std::string OpenSslReason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

// Makes `ctx` ask every client for a certificate and refuse the handshake
// unless one comes that chains to a CA certificate of `path` (PEM, one or
// more). Only these CAs are trusted (the context has no default store), and
// their names go into the CertificateRequest so clients pick the right
// certificate. Throws podpower::Error naming the file when it cannot be read
// or holds no usable CA certificate.
void RequireClientCertificates(SSL_CTX* ctx, const std::string& path) {
  const std::string where = "--client-ca " + path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(where +
                ": is a folder; expected a PEM file of CA certificates");
  }
  ERR_clear_error();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"),
                                                BIO_free);
  if (!bio) {
    const int error = errno;
    ERR_clear_error();
    throw Error(where + ": cannot read: " + std::strerror(error));
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  size_t count = 0;
  for (;;) {
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) {
      const unsigned long code = ERR_peek_last_error();
      if (count > 0 && ERR_GET_LIB(code) == ERR_LIB_PEM &&
          ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
        ERR_clear_error();  // the end of the file after the last certificate
        break;
      }
      if (count == 0 && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        throw Error(where +
                    ": no PEM certificate in it; expected the CA "
                    "certificate(s) that sign client certificates");
      }
      throw Error(where + ": certificate " + std::to_string(count + 1) +
                  " is not a valid PEM certificate (" + OpenSslReason() + ")");
    }
    if (X509_check_ca(cert.get()) == 0) {
      throw Error(where + ": certificate " + std::to_string(count + 1) +
                  " is not a CA certificate (expected basicConstraints "
                  "CA:TRUE)");
    }
    if (X509_STORE_add_cert(store, cert.get()) != 1 ||
        SSL_CTX_add_client_CA(ctx, cert.get()) != 1) {
      throw Error(where + ": certificate " + std::to_string(count + 1) +
                  " cannot be used (" + OpenSslReason() + ")");
    }
    ++count;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  // A resumed session must come from this context's verified handshakes:
  // without an id context OpenSSL refuses every resumption once peers are
  // verified, and curl resumes by default.
  static constexpr unsigned char kSessionContext[] = "podpower-serve";
  SSL_CTX_set_session_id_context(ctx, kSessionContext,
                                 sizeof(kSessionContext) - 1);
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
  if (!options_.client_ca.empty() && options_.tls_cert.empty()) {
    throw Error("--client-ca " + options_.client_ca +
                ": needs --tls-cert and --tls-key (client certificates are "
                "checked in the TLS handshake)");
  }
  if (!(options_.step_seconds > 0)) {
    throw Error("--step-seconds: expected a number of seconds > 0");
  }
  const Address address = ParseListen(options_.listen);
  if (!options_.auth_token_file.empty())
    auth_ = std::make_unique<BearerTokenFile>(options_.auth_token_file);
  store_ = std::make_unique<ArtifactStore>(options_.artifacts);
  {
    const auto current = store_->Current();
    const auto& model = current->predictor->model();
    metrics_.SetModel({current->fingerprint, current->predictor->target(),
                       model.rows(), model.dim()});
  }
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(1);

  if (!options_.tls_cert.empty()) {
    tls_ = {SSL_CTX_new(TLS_server_method()), SSL_CTX_free};
    if (!tls_ ||
        SSL_CTX_set_min_proto_version(tls_.get(), TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(tls_.get(),
                                           options_.tls_cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_.get(), options_.tls_key.c_str(),
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(tls_.get()) != 1) {
      tls_.reset();
      throw Error("--tls-cert " + options_.tls_cert + " / --tls-key " +
                  options_.tls_key +
                  ": cannot load the certificate and key (PEM expected)");
    }
    if (!options_.client_ca.empty()) {
      try {
        RequireClientCertificates(tls_.get(), options_.client_ca);
      } catch (...) {
        tls_.reset();
        throw;
      }
    }
  }
  // Writes to a closed peer must fail with EPIPE, not kill the process
  // (OpenSSL writes with write(2), which has no MSG_NOSIGNAL).
  ::signal(SIGPIPE, SIG_IGN);
  http_ = std::make_unique<Engine>();
  http_->set_payload_max_length(options_.max_body_bytes);
  // What the Keep-Alive header announces; the front enforces it.
  const auto keep_alive_seconds =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(
                               options_.keep_alive_timeout)
                               .count());
  http_->set_keep_alive_max_count(1000);
  http_->set_keep_alive_timeout(keep_alive_seconds);
  Route();

  FrontOptions front;
  front.read_timeout = options_.read_timeout;
  front.write_timeout = options_.write_timeout;
  front.keep_alive_timeout = options_.keep_alive_timeout;
  front.keep_alive_max_count = 1000;
  front.workers = std::max<size_t>(options_.threads, 1);
  front.probe_workers = 2;
  front.tls = tls_.get();
  front.max_body_bytes = options_.max_body_bytes;
  auto* engine = static_cast<Engine*>(http_.get());
  front_ = std::make_unique<Front>(
      front, [engine](httplib::Stream& stream, bool close_connection,
                      bool& connection_closed) {
        const bool keep = engine->process_request(stream, close_connection,
                                                  connection_closed, nullptr);
        RequestDeadline::End();
        return keep;
      });
  try {
    ListenerOptions api;
    api.host = address.host;
    api.port = address.port;
    api.max_connections = std::max<size_t>(options_.max_connections, 1);
    api.tls = tls_ != nullptr;
    api.name = "api";
    port_ = front_->AddListener(api);
    if (!options_.health_listen.empty()) {
      const Address health = ParseListen(options_.health_listen);
      ListenerOptions probes;
      probes.host = health.host;
      probes.port = health.port;
      probes.max_connections =
          std::max<size_t>(options_.max_health_connections, 1);
      probes.evict_idle = true;
      probes.name = "health";
      health_port_ = front_->AddListener(probes);
    }
  } catch (...) {
    front_.reset();
    http_.reset();
    throw;
  }
  front_->Start();
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = false;
  }
  if (options_.watch_interval.count() > 0) {
    watcher_ = std::thread([this] { Watch(); });
  }
  Log(fmt::format(
      "listening on {}://{}:{} (model {}, target {}{})",
      options_.tls_cert.empty() ? "http" : "https", address.host, port_,
      store_->Current()->fingerprint, store_->Current()->predictor->target(),
      options_.client_ca.empty()
          ? ""
          : ", client certificates of " + options_.client_ca + " required"));
  if (health_port_ != 0) {
    Log(fmt::format("probes (/healthz, /readyz, /metrics) on http://{}:{}",
                    ParseListen(options_.health_listen).host, health_port_));
  }
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
  // Returns once the listeners are closed and every request a worker had
  // has been answered.
  front_->Stop();
  front_.reset();
  http_.reset();
  tls_.reset();
  Log("stopped");
}

void Server::BeginShutdown(Clock::time_point abandon_at) {
  draining_ = true;
  shutdown_deadline_ = abandon_at.time_since_epoch().count();
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
  s.set_pre_routing_handler([this](const httplib::Request& req,
                                   httplib::Response& res) {
    request_start = Clock::now();
    metrics_.RequestStarted();
    if (IsProbePath(req.path))
      return httplib::Server::HandlerResponse::Unhandled;
    if (health_port_ != 0 && req.local_port == health_port_) {
      Reply(res, ErrorResponse(404, "no endpoint " + req.method + " " +
                                        req.path + " on the probe listener"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (auth_ != nullptr && req.path != "/admission" &&
        !auth_->Accepts(req.get_header_value("Authorization"))) {
      // Answered before the body is read: the front ends the connection
      // after a 401 (front.cc), so unread body bytes cannot be taken for the
      // next request.
      Reply(res, ErrorResponse(401,
                               "missing or wrong bearer token (expected "
                               "'Authorization: Bearer <token>')"));
      res.set_header("WWW-Authenticate", "Bearer");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (options_.request_timeout.count() > 0 || shutdown_deadline_ != 0) {
      // The budget runs from when the front had the request, so time spent
      // waiting for a worker counts.
      Clock::time_point received = Front::RequestReceivedAt();
      if (received == Clock::time_point{}) received = request_start;
      const auto budget = options_.request_timeout.count() > 0
                              ? options_.request_timeout
                              : std::chrono::hours(24 * 365);
      // Checked by the handlers once the body is read: answering here would
      // leave the body unread on the connection.
      RequestDeadline::Begin(received + budget, &shutdown_deadline_,
                             options_.request_timeout);
    }
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
  s.set_exception_handler([this](const httplib::Request&,
                                 httplib::Response& res,
                                 std::exception_ptr ep) {
    std::string reason = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const RequestAbandoned& e) {
      metrics_.ObserveAbandoned(e.reason());
      Reply(res, ErrorResponse(503, e.what()));
      return;
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
        int status = res.status >= 400 ? res.status : 400;
        std::string reason = status == 413 ? "request body too large"
                                           : "incomplete request body";
        if (Front::BodyTimedOut()) {
          status = 408;
          reason = "request body not received in time";
        }
        Reply(res, ErrorResponse(status, reason));
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
    } catch (const nlohmann::json::exception& e) {
      // parse_error, and out_of_range for a number no double holds (1e400):
      // both are bodies the API server never sends, so 400 (failurePolicy
      // Ignore admits the object), not a 500.
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
            result.review["response"].dump(
                -1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
      // Warnings may quote the object's bytes cut mid-character: replaced
      // (U+FFFD) rather than a type_error and a 500.
      return ApiResponse{
          200,
          result.review.dump(-1, ' ', false,
                             nlohmann::json::error_handler_t::replace),
          "application/json", 0};
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
    std::vector<ConnectionStats> connections;
    if (front_) {
      for (size_t i = 0; i < front_->listeners(); ++i) {
        const FrontCounters& c = front_->counters(i);
        connections.push_back({front_->listener_name(i), c.open.load(),
                               c.accepted.load(), c.refused.load(),
                               c.evicted.load(), c.header_timeouts.load(),
                               c.body_timeouts.load(), c.tls_refused.load()});
      }
    }
    res.set_content(metrics_.Render() + RenderConnections(connections),
                    "text/plain; version=0.0.4");
  });
}

void RunUntilSignalled(const ServerOptions& options) {
  const auto grace =
      std::max(options.shutdown_grace, std::chrono::milliseconds(1));
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
    Log(fmt::format(
        "{}: draining requests in flight (grace {:.3f} s), then "
        "exiting",
        sig == SIGTERM ? "SIGTERM" : "SIGINT", grace.count() / 1000.0));
    break;
  }
  const auto start = Clock::now();
  server.BeginShutdown(start + grace * 3 / 4);
  // The backstop for work that cannot be stopped (one long computation
  // without a budget check): the process ends within the grace period anyway,
  // before the kubelet's SIGKILL.
  std::mutex mutex;
  std::condition_variable cv;
  bool stopped = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mutex);
    if (!cv.wait_until(lock, start + grace * 19 / 20,
                       [&] { return stopped; })) {
      Log(
          fmt::format("grace period of {:.3f} s over with {} request(s) in "
                      "flight; exiting now",
                      grace.count() / 1000.0, server.metrics().in_flight()));
      std::fflush(stderr);
      ::_exit(1);
    }
  });
  server.Stop();
  {
    std::lock_guard lock(mutex);
    stopped = true;
  }
  cv.notify_all();
  watchdog.join();
}

}  // namespace podpower::serve
