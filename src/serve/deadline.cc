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

// "deadline", "shutdown" or "" (within budget).
const char* Reason() {
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

bool RequestDeadline::Expired() { return *Reason() != '\0'; }

void RequestDeadline::Check() {
  const std::string reason = Reason();
  if (reason.empty()) return;
  if (reason == "shutdown") {
    throw RequestAbandoned(reason, "server shutting down; request abandoned");
  }
  throw RequestAbandoned(
      reason, fmt::format("request exceeded its time budget of {:.3f} s; "
                          "abandoned",
                          current.budget.count() / 1000.0));
}

}  // namespace podpower::serve
