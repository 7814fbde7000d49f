// `podpower serve`: the HTTP(S) server behind the prediction API, the
// admission webhook and /metrics.
//
// Routes: POST /predict, /predict/batch, /predict/from-yaml, /infer/from-yaml
// (api.h), POST /admission (admission.h), GET /healthz (the process answers),
// GET /readyz (artifacts loaded and not shutting down), GET /metrics
// (metrics.h). Every error is JSON {"detail": reason}; bodies above
// max_body_bytes get 413, slow clients are cut off by the read/write timeouts
// and connections beyond the cap refused (front.h: the connection handling),
// requests past their time budget or whose client left abandoned with 503
// (deadline.h).
//
// The encoder and model are swapped atomically by Reload() (SIGHUP) and, when
// watch_interval > 0, whenever their files change; a broken new pair is refused
// and the old one keeps serving (logged, and counted in /metrics). Stop() stops
// accepting, lets requests in flight finish, and joins every thread.
//
// A Server object is used from one controlling thread (Start, Stop); Reload,
// port and metrics may be called from any thread while it runs.
#ifndef PODPOWER_SERVE_SERVER_H_
#define PODPOWER_SERVE_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "serve/admission.h"
#include "serve/artifacts.h"
#include "serve/batcher.h"
#include "serve/bearer_auth.h"
#include "serve/budget.h"
#include "serve/front.h"
#include "serve/metrics.h"

namespace httplib {
class Server;
}

namespace podpower::serve {

struct ServerOptions {
  ArtifactPaths artifacts;
  // host:port; port 0 picks a free port (see Server::port()). "[::1]:8000"
  // for IPv6, ":8000" for every IPv4 address.
  std::string listen = "127.0.0.1:0";
  // Optional second listener for probes (plain HTTP, GET /healthz, /readyz,
  // /metrics; anything else 404), with its own connection cap: kubelet's
  // probes still get in when the main listener is full. "" = none.
  std::string health_listen;
  // Both set: HTTPS on `listen` (required by the API server for webhooks).
  std::string tls_cert;
  std::string tls_key;
  // With TLS: every connection to `listen` must present a client certificate
  // that chains to a CA in this PEM file, else its handshake fails (before
  // any request is read). Loaded once at Start. The probe listener
  // (health_listen) stays open, so kubelet's probes need no certificate.
  // "" = no client certificates asked for, as the original.
  std::string client_ca;
  size_t max_body_bytes = 1 << 20;
  // A request's header must arrive within read_timeout of its first byte (of
  // the accept for a new connection), its body within read_timeout of the
  // header; else 408 and the connection is closed (front.h).
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  // Idle keep-alive connections are closed after this.
  std::chrono::milliseconds keep_alive_timeout{2000};
  // Open connections on `listen`; more are answered 503 and closed at once.
  size_t max_connections = 1024;
  // Open connections on `health_listen`; at the cap the oldest idle one is
  // closed to make room.
  size_t max_health_connections = 64;
  // Time budget of a request, from the moment it was read: past it, work in
  // progress is abandoned with 503 (deadline.h). 0 = no budget.
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds watch_interval{2000};  // 0: reload on SIGHUP only
  size_t threads = 16;  // prediction workers (requests handled at once)
  // Micro-batch concurrent /predict requests (batcher.h); 0 turns it off.
  size_t max_batch = 128;
  double step_seconds = 60;
  std::optional<Budgets> budgets;
  BudgetMode budget_mode = BudgetMode::kDeny;
  bool log_requests = false;  // one stderr line per request
  // When set, every endpoint but the probes and /admission (which the API
  // server calls over the webhook's TLS) needs "Authorization: Bearer <the
  // file's token>"; else 401 (bearer_auth.h: re-read when the file changes,
  // never logged). "" = no authentication, as the original.
  std::string auth_token_file;
  // SIGTERM/SIGINT (RunUntilSignalled): requests in flight may run for 3/4
  // of this, then are abandoned (503); if work that cannot be stopped is
  // still running at 19/20 of it, the process exits anyway (status 1).
  std::chrono::milliseconds shutdown_grace{10000};
};

class Server {
 public:
  Server();
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the artifacts, binds and starts serving on background threads.
  // Throws podpower::Error when the artifacts, TLS files or address are bad or
  // the port cannot be bound.
  void Start(const ServerOptions& options);

  // Graceful: refuses new connections, finishes requests in flight, joins.
  // Idempotent.
  void Stop();

  // Marks the server as draining (/readyz 503) and cuts the time budget of
  // every request in flight, and of those still to come, to `abandon_at`
  // (deadline.h). Any thread; Stop() still has to be called.
  void BeginShutdown(std::chrono::steady_clock::time_point abandon_at);

  // The bound ports (after Start); health_port() is 0 without health_listen.
  int port() const { return port_; }
  int health_port() const { return health_port_; }

  // What SIGHUP does: reload both files now (see ArtifactStore::Reload).
  ReloadResult Reload();

  const Metrics& metrics() const { return metrics_; }

 private:
  void Route();
  void Watch();
  void Record(const ReloadResult& result);

  ServerOptions options_;
  std::unique_ptr<ArtifactStore> store_;
  std::unique_ptr<PredictionBatcher> batcher_;
  std::unique_ptr<httplib::Server> http_;  // parser and router only
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> tls_{nullptr, nullptr};
  std::unique_ptr<Front> front_;
  std::unique_ptr<BearerTokenFile> auth_;  // null: no authentication
  Metrics metrics_;
  int port_ = 0;
  int health_port_ = 0;
  std::atomic<bool> draining_{false};
  // RequestDeadline's shutdown deadline (steady_clock ticks; 0 = none).
  std::atomic<int64_t> shutdown_deadline_{0};
  std::thread watcher_;
  std::mutex watch_mutex_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;  // guarded by watch_mutex_
};

// Blocks SIGTERM, SIGINT and SIGHUP, starts a Server, then waits for signals:
// SIGHUP reloads, SIGTERM/SIGINT stop gracefully within
// options.shutdown_grace and return (or exit the process, status 1, when
// work that cannot be stopped outlasts it). What `podpower serve` runs.
void RunUntilSignalled(const ServerOptions& options);

// Logs one line on stderr with a UTC timestamp; thread-safe.
void Log(const std::string& message);

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_SERVER_H_
