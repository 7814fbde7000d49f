// The connection front of `podpower serve`: accepting, reading request headers
// and waiting on idle keep-alive connections in one event loop (epoll), so
// that a connection holds a worker thread only while its request is handled.
//
// Why not cpp-httplib's own listener: Debian's cpp-httplib 0.11.4 gives every
// accepted connection a pool thread from its first byte to its close, and its
// read timeout applies to each read, not to the whole header. 300 clients that
// send half a header kept all 16 workers reading for 5 s each, so a new
// connection (GET /healthz included) waited in the queue behind them for a
// minute. The front keeps such clients in epoll at the cost of a socket and a
// buffer; only a complete request (header and, for small bodies, the body) is
// handed to a worker, which runs cpp-httplib's request parser, router and
// response writer on it (FrontHandler).
//
// What it enforces (docs/formats/serve.md):
//   - header timeout: the whole request header within read_timeout of the
//     connection's first byte (new connections: of the accept), else 408 and
//     close; a body within read_timeout of the header (in the front for
//     Content-Length bodies up to kFrontBodyBytes, and the first
//     kFrontBodyBytes of larger ones; the rest, and chunked bodies or those
//     behind "Expect: 100-continue", within read_timeout of the worker taking
//     the request), else 408 and close;
//   - a header larger than kFrontHeaderBytes gets 431, a Content-Length above
//     max_body_bytes 413 (before any "100 Continue"), both without a worker;
//   - answers that end a connection (the front's 408/413/431, a worker's
//     error or "Connection: close") are followed by a linger: the socket is
//     shut for writing and what the client still sends is discarded for up to
//     2 s, so the close does not become a reset that destroys the answer;
//   - idle keep-alive connections close after keep_alive_timeout;
//   - at most max_connections open connections per listener: a connection
//     beyond it gets "503 too many connections" and is closed at once, or,
//     on a listener with evict_idle (the probe listener), the oldest
//     connection that has no request in a worker is closed to make room;
//   - a client that leaves while its request is in a worker (a reset, or a
//     close found by an interim "100 Continue": OnBusyEvent in front.cc) has
//     its request abandoned at the worker's next RequestDeadline::Check; a
//     client that only half-closes (shutdown(SHUT_WR)) gets its answer;
//   - probe requests (GET /healthz, /readyz, /metrics) run on reserved
//     workers of their listener, so they are answered while every prediction
//     worker is busy, and clients of one listener (a reader that never reads
//     its answers holds a worker for write_timeout) cannot hold another's.
//
// TLS (optional, for the webhook): the handshake and reads run non-blocking in
// the loop like plain reads. A handshake the server refuses (no client
// certificate of the SSL_CTX's trusted CAs, no common protocol) is followed
// by the linger too, so the client reads OpenSSL's alert, not a reset.
//
// Thread-safety: Start and Stop from one controlling thread; counters may be
// read from any thread. The handler runs on worker threads, one request per
// call.
#ifndef PODPOWER_SERVE_FRONT_H_
#define PODPOWER_SERVE_FRONT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace httplib {
class Stream;
}
typedef struct ssl_ctx_st SSL_CTX;

namespace podpower::serve {

// Bodies up to this size (with a Content-Length and no Expect header) are read
// by the front before a worker is taken: 1,024 connections cost at most ~72
// MiB of buffers, and a /predict or AdmissionReview body fits easily.
inline constexpr size_t kFrontBodyBytes = 64 * 1024;
// A request header (request line included) larger than this gets 431.
inline constexpr size_t kFrontHeaderBytes = 16 * 1024;

// Runs one request on `stream`: parse, route, write the answer. Returns false
// when the connection must be closed afterwards. `close_connection` asks the
// handler to answer with "Connection: close". Called on worker threads.
using FrontHandler = std::function<bool(
    httplib::Stream& stream, bool close_connection, bool& connection_closed)>;

struct ListenerOptions {
  std::string host;
  int port = 0;  // 0: any free port
  size_t max_connections = 1024;
  bool evict_idle = false;  // at the cap, close the oldest waiting connection
  bool tls = false;         // uses FrontOptions::tls
  std::string name;         // "api", "health": the label in counters
};

struct FrontOptions {
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds keep_alive_timeout{2000};
  size_t keep_alive_max_count = 1000;  // requests per connection
  size_t workers = 16;                 // prediction workers
  size_t probe_workers = 2;  // reserved for probe requests, per listener
  SSL_CTX* tls = nullptr;    // not owned; must outlive the front
  // A Content-Length above this is answered 413 by the front, before a
  // worker is taken or "100 Continue" sent (0: no limit here).
  size_t max_body_bytes = 0;
};

// Counters per listener, for /metrics.
struct FrontCounters {
  std::atomic<uint64_t> open{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};  // over the cap, answered 503
  std::atomic<uint64_t> evicted{0};  // closed to make room (evict_idle)
  std::atomic<uint64_t> header_timeouts{0};
  std::atomic<uint64_t> body_timeouts{0};
  // TLS handshakes that failed with a protocol error (alert sent or
  // received): no client certificate of --client-ca, a client that refused
  // our certificate, no common protocol.
  std::atomic<uint64_t> tls_refused{0};
};

class Front {
 public:
  Front(FrontOptions options, FrontHandler handler);
  ~Front();  // Stop()
  Front(const Front&) = delete;
  Front& operator=(const Front&) = delete;

  // Binds and listens (before Start). Returns the bound port; throws
  // podpower::Error naming the address when it cannot bind.
  int AddListener(const ListenerOptions& listener);

  // Starts the event loop and the workers.
  void Start();

  // Stops accepting, closes connections that wait for a request, lets the
  // requests in workers finish (answered with "Connection: close"), joins.
  // Idempotent.
  void Stop();

  // In listener order (AddListener). Valid until the Front is destroyed.
  const FrontCounters& counters(size_t listener) const;
  const std::string& listener_name(size_t listener) const;
  size_t listeners() const { return listeners_.size(); }

  // Called on a worker thread after a body read in a worker timed out, so the
  // handler can answer 408 (thread-local).
  static bool BodyTimedOut();
  // When the request now handled on this worker thread was complete in the
  // front (its header, and its body when the front read it): where its time
  // budget starts (thread-local; a default time_point outside a request).
  static std::chrono::steady_clock::time_point RequestReceivedAt();

  struct Conn;

 private:
  struct Listener;
  class Pool;

  void Loop();
  void Accept(Listener& listener);
  void OnReadable(Conn* conn);
  void TryDispatch(Conn* conn);
  // An epoll event on a connection whose request is in a worker: marks the
  // request's client gone (front.cc explains how a close is told from a
  // half-close).
  void OnBusyEvent(Conn* conn, uint32_t events);
  void Dispatch(Conn* conn);
  void Serve(Conn* conn);  // on a worker
  void Returned(Conn* conn);
  // Writes `answer` (best effort), then Linger.
  void Refuse(Conn* conn, const std::string& answer);
  // Shuts the connection for writing and discards what the client still
  // sends until it closes or kLinger passes (front.cc), then closes.
  void Linger(Conn* conn);
  void Close(Conn* conn);
  void ExpireTimeouts();
  // Registers `events` (plus EPOLLRDHUP unless `rdhup` is false).
  void Watch(Conn* conn, uint32_t events, bool rdhup = true);
  void Unwatch(Conn* conn);
  void Wake();

  FrontOptions options_;
  FrontHandler handler_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;  // loop thread only
  std::unique_ptr<Pool> workers_;
  int epoll_ = -1;
  int wake_ = -1;  // eventfd
  std::thread loop_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};
  std::mutex returned_mutex_;
  std::vector<Conn*> returned_;  // guarded by returned_mutex_
};

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_FRONT_H_
