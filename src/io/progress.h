// Progress for long work, shown on stderr only when stderr is a terminal (quiet
// when piped).
//
// Not thread-safe: call Advance from one thread. Updates are throttled to ~10
// per second.
#ifndef PODPOWER_IO_PROGRESS_H_
#define PODPOWER_IO_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace podpower::io {

class Progress {
 public:
  // total == 0 means unknown.
  Progress(std::string what, uint64_t total);
  ~Progress();  // ends the line if anything was shown
  void Advance(uint64_t n = 1);

 private:
  void Draw(bool final);
  std::string what_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace podpower::io

#endif  // PODPOWER_IO_PROGRESS_H_
