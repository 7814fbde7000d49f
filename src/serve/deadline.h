// The time budget of the request handled on this thread, checked by long work
// so that it stops when nobody will use its answer.
//
// A request's budget starts when the front has read it (front.h) and lasts
// ServerOptions::request_timeout; a shutdown (SIGTERM) shortens every budget
// to the shutdown's own deadline. Work that may take long (a batch of many
// records, a multi-document manifest) calls RequestDeadline::Check between
// pieces; past the budget it throws RequestAbandoned, which the server
// answers with 503 and counts in podpower_requests_abandoned_total{reason}.
// The same check gives up a request whose client has left (the front sets a
// flag per connection, WatchClient): its answer would be written for nobody.
// Work outside a request (the CLI, tests calling the handlers directly) has no
// budget: Check never throws there.
//
// Thread-safety: the budget is thread-local; the shutdown deadline is an
// atomic shared by all threads.
#ifndef PODPOWER_SERVE_DEADLINE_H_
#define PODPOWER_SERVE_DEADLINE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>

namespace podpower::serve {

// Thrown by RequestDeadline::Check. Not a podpower::Error: handlers that turn
// Errors into 4xx answers let it through.
class RequestAbandoned : public std::exception {
 public:
  RequestAbandoned(std::string reason, std::string detail)
      : reason_(std::move(reason)), detail_(std::move(detail)) {}
  // "deadline" (the request's budget), "shutdown" (SIGTERM's grace) or
  // "client_gone" (the client closed or reset its connection).
  const std::string& reason() const { return reason_; }
  const char* what() const noexcept override { return detail_.c_str(); }

 private:
  std::string reason_;
  std::string detail_;
};

class RequestDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts the budget of this thread's request: `deadline`, and the shared
  // shutdown deadline (nanoseconds of Clock since its epoch; 0 = none; may be
  // null) whichever comes first. `budget` is named in the answer.
  static void Begin(Clock::time_point deadline,
                    const std::atomic<int64_t>* shutdown_deadline,
                    std::chrono::milliseconds budget);
  // Ends it (Check no longer throws on this thread).
  static void End();
  // Watches `gone` (set from another thread when the client of this thread's
  // request has left; not owned, must outlive the watch) until called with
  // nullptr. Independent of Begin/End: a request without a time budget is
  // still given up when its client leaves.
  static void WatchClient(const std::atomic<bool>* gone);
  // Throws RequestAbandoned when this thread's request is past its budget or
  // its client is gone.
  static void Check();
  // Whether Check would throw, without throwing.
  static bool Expired();
};

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_DEADLINE_H_
