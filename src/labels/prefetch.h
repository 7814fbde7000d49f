// A producer running one step ahead of its consumer on a background thread.
//
// `podpower labels` spends its time in two places that can overlap: waiting
// for Prometheus to answer the next piece (and parsing it), and turning the
// current piece into rows. Prefetcher<T> runs `produce` on its own thread and
// Next() hands its items to the consumer in push order. At most `ahead` items
// wait for the consumer; with 0 a push waits until the consumer has taken the
// item, so the producer makes item i+1 while the consumer works on item i and
// no more than those two exist (memory: two pieces, not three).
//
// Failure: an exception thrown by `produce` ends the producer (nothing more
// is fetched) and is rethrown, unchanged, by the Next() call that would have
// returned the next item, after the items pushed before it; once only (later
// calls return nullopt). Stopping: the destructor makes a blocked push throw
// inside the producer (an internal type that only the thread catches), so the
// producer unwinds, and joins the thread; it waits for a push already in
// progress elsewhere (e.g. an HTTP request, bounded by its timeout), never
// leaves the thread running. Thread-safety: Next() from one consumer thread;
// `produce` runs on the background thread and must only share thread-safe
// state with the consumer.
#ifndef PODPOWER_LABELS_PREFETCH_H_
#define PODPOWER_LABELS_PREFETCH_H_

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace podpower::labels {

template <typename T>
class Prefetcher {
 public:
  using Push = std::function<void(T&&)>;

  // Starts `produce` at once; it calls its argument once per item.
  Prefetcher(size_t ahead, std::function<void(const Push&)> produce)
      : ahead_(ahead) {
    thread_ = std::thread([this, produce = std::move(produce)] {
      std::exception_ptr error;
      try {
        produce([this](T&& item) { Put(std::move(item)); });
      } catch (const Stopped&) {
        // The consumer is gone; nobody wants the error or the rest.
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mu_);
      error_ = error;
      done_ = true;
      cv_.notify_all();
    });
  }

  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The next item; nullopt when the producer has finished. Blocks while the
  // producer is still working on it.
  std::optional<T> Next() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !queue_.empty() || done_; });
    if (!queue_.empty()) {
      std::optional<T> item(std::move(queue_.front()));
      queue_.pop_front();
      cv_.notify_all();
      return item;
    }
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return std::nullopt;
  }

 private:
  struct Stopped {};

  void Put(T&& item) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] {
      return queue_.size() < std::max<size_t>(1, ahead_) || stopped_;
    });
    if (stopped_) throw Stopped{};
    queue_.push_back(std::move(item));
    cv_.notify_all();
    if (ahead_ == 0) {
      cv_.wait(lock, [this] { return queue_.empty() || stopped_; });
      if (stopped_) throw Stopped{};
    }
  }

  const size_t ahead_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> queue_;
  std::exception_ptr error_;
  bool done_ = false;
  bool stopped_ = false;
  std::thread thread_;  // started in the constructor body, joined first
};

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_PREFETCH_H_
