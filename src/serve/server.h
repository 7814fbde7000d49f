// `podpower serve`: the HTTP(S) server behind the prediction API, the
// admission webhook and /metrics.
//
// Routes: POST /predict, /predict/batch, /predict/from-yaml, /infer/from-yaml
// (api.h), POST /admission (admission.h), GET /healthz (the process answers),
// GET /readyz (artifacts loaded and not shutting down), GET /metrics
// (metrics.h). Every error is JSON {"detail": reason}; bodies above
// max_body_bytes get 413, slow clients are cut off by the read/write timeouts.
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
#include "serve/budget.h"
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
  // Both set: HTTPS (required by the API server for webhooks).
  std::string tls_cert;
  std::string tls_key;
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds write_timeout{5};
  std::chrono::milliseconds watch_interval{2000};  // 0: reload on SIGHUP only
  size_t threads = 16;  // concurrent connections being served
  // Micro-batch concurrent /predict requests (batcher.h); 0 turns it off.
  size_t max_batch = 128;
  double step_seconds = 60;
  std::optional<Budgets> budgets;
  BudgetMode budget_mode = BudgetMode::kDeny;
  bool log_requests = false;  // one stderr line per request
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

  // The bound port (after Start).
  int port() const { return port_; }

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
  std::unique_ptr<httplib::Server> http_;
  Metrics metrics_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
  std::thread listener_;
  std::thread watcher_;
  std::mutex watch_mutex_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;  // guarded by watch_mutex_
};

// Blocks SIGTERM, SIGINT and SIGHUP, starts a Server, then waits for signals:
// SIGHUP reloads, SIGTERM/SIGINT stop gracefully and return. What `podpower
// serve` runs.
void RunUntilSignalled(const ServerOptions& options);

// Logs one line on stderr with a UTC timestamp; thread-safe.
void Log(const std::string& message);

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_SERVER_H_
