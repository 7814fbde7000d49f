#include "serve/deadline.h"

#include <fmt/format.h>

namespace podpower::serve {
namespace {

struct Budget {
  bool active = false;
  RequestDeadline::Clock::time_point deadline;
  const std::atomic<int64_t>* shutdown = nullptr;
  std::chrono::milliseconds budget{0};
};
thread_local Budget current;
thread_local const std::atomic<bool>* client_gone = nullptr;

// "client_gone", "shutdown", "deadline" or "" (within budget). A client that
// left comes first: whatever else holds, that is why nobody gets the answer.
const char* Reason() {
  if (client_gone != nullptr && client_gone->load(std::memory_order_relaxed))
    return "client_gone";
  if (!current.active) return "";
  const auto now = RequestDeadline::Clock::now();
  if (current.shutdown != nullptr) {
    const int64_t at = current.shutdown->load(std::memory_order_relaxed);
    if (at != 0 && now.time_since_epoch().count() >= at) return "shutdown";
  }
  if (now >= current.deadline) return "deadline";
  return "";
}

}  // namespace

void RequestDeadline::Begin(Clock::time_point deadline,
                            const std::atomic<int64_t>* shutdown_deadline,
                            std::chrono::milliseconds budget) {
  current = Budget{true, deadline, shutdown_deadline, budget};
}

void RequestDeadline::End() { current = Budget{}; }

void RequestDeadline::WatchClient(const std::atomic<bool>* gone) {
  client_gone = gone;
}

bool RequestDeadline::Expired() { return *Reason() != '\0'; }

void RequestDeadline::Check() {
  const std::string reason = Reason();
  if (reason.empty()) return;
  if (reason == "client_gone") {
    throw RequestAbandoned(reason,
                           "client closed the connection; request abandoned");
  }
  if (reason == "shutdown") {
    throw RequestAbandoned(reason, "server shutting down; request abandoned");
  }
  throw RequestAbandoned(
      reason, fmt::format("request exceeded its time budget of {:.3f} s; "
                          "abandoned",
                          current.budget.count() / 1000.0));
}

}  // namespace podpower::serve
