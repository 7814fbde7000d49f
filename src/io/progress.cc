#include "io/progress.h"

#include <unistd.h>

#include <cstdio>

namespace podpower::io {
namespace {
constexpr auto kMinInterval = std::chrono::milliseconds(100);
}  // namespace

Progress::Progress(std::string what, uint64_t total)
    : what_(std::move(what)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (!enabled_) return;
  if (shown_ || done_ > 0) {
    Draw(true);
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }
}

void Progress::Advance(uint64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < kMinInterval) return;
  last_ = now;
  Draw(false);
}

void Progress::Draw(bool final) {
  // \r + erase-line: redraw in place without leaving stale characters.
  if (total_ > 0) {
    const double percent =
        100.0 * static_cast<double>(done_) / static_cast<double>(total_);
    std::fprintf(stderr, "\r\033[K%s: %llu/%llu (%.0f%%)%s", what_.c_str(),
                 static_cast<unsigned long long>(done_),
                 static_cast<unsigned long long>(total_), percent,
                 final ? " done" : "");
  } else {
    std::fprintf(stderr, "\r\033[K%s: %llu%s", what_.c_str(),
                 static_cast<unsigned long long>(done_), final ? " done" : "");
  }
  std::fflush(stderr);
  shown_ = true;
}

}  // namespace podpower::io
