#include "labels/prefetch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "io/error.h"

namespace podpower::labels {
namespace {

TEST(Prefetcher, items_arrive_in_push_order_then_end) {
  Prefetcher<int> p(2, [](const Prefetcher<int>::Push& push) {
    for (int i = 0; i < 100; ++i) push(int(i));
  });
  for (int i = 0; i < 100; ++i) {
    std::optional<int> item = p.Next();
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(*item, i);
  }
  EXPECT_FALSE(p.Next().has_value());
  EXPECT_FALSE(p.Next().has_value());
}

// Pushes 0..9, counting the pushes that have returned.
void CountingProducer(std::atomic<int>& pushed,
                      const Prefetcher<int>::Push& push) {
  for (int i = 0; i < 10; ++i) {
    push(int(i));
    ++pushed;
  }
}

// Waits (up to 0.5 s) until `pushed` reaches n, then a little longer so that a
// producer that could run further ahead would have done so.
void Settle(const std::atomic<int>& pushed, int n) {
  for (int i = 0; i < 500 && pushed.load() < n; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

TEST(Prefetcher, producer_runs_at_most_ahead_items_ahead) {
  std::atomic<int> pushed{0};
  Prefetcher<int> p(1,
                    [&](const auto& push) { CountingProducer(pushed, push); });
  Settle(pushed, 1);
  // One item waits; the second push waits for the consumer.
  EXPECT_EQ(pushed.load(), 1);
  EXPECT_EQ(*p.Next(), 0);
  Settle(pushed, 2);
  EXPECT_EQ(pushed.load(), 2);
}

TEST(Prefetcher, with_nothing_ahead_a_push_returns_once_the_item_is_taken) {
  std::atomic<int> pushed{0};
  Prefetcher<int> p(0,
                    [&](const auto& push) { CountingProducer(pushed, push); });
  Settle(pushed, 1);
  EXPECT_EQ(pushed.load(), 0);  // item 0 made, waiting to be taken
  EXPECT_EQ(*p.Next(), 0);
  Settle(pushed, 1);
  EXPECT_EQ(pushed.load(), 1);  // item 1 made while the consumer works on 0
  EXPECT_EQ(*p.Next(), 1);
  for (int i = 2; i < 10; ++i) EXPECT_EQ(*p.Next(), i);
  EXPECT_FALSE(p.Next().has_value());
}

TEST(Prefetcher, fetch_error_surfaces_once_and_stops_prefetch) {
  std::atomic<int> attempts{0};
  Prefetcher<int> p(4, [&](const Prefetcher<int>::Push& push) {
    push(1);
    push(2);
    ++attempts;
    throw Error("prometheus http://x/api/v1/query 'q': HTTP 503 (gave up)");
  });
  EXPECT_EQ(*p.Next(), 1);
  EXPECT_EQ(*p.Next(), 2);
  try {
    p.Next();
    FAIL() << "no error";
  } catch (const Error& e) {
    // The producer's podpower::Error, unchanged (one line, same text).
    EXPECT_EQ(std::string(e.what()),
              "prometheus http://x/api/v1/query 'q': HTTP 503 (gave up)");
  }
  EXPECT_FALSE(p.Next().has_value());
  EXPECT_EQ(attempts.load(), 1);
}

TEST(Prefetcher, consumer_leaving_early_stops_and_joins_the_producer) {
  std::atomic<int> pushed{0};
  std::atomic<bool> unwound{false};
  {
    Prefetcher<std::vector<int>> p(
        1, [&](const Prefetcher<std::vector<int>>::Push& push) {
          struct Flag {
            std::atomic<bool>& f;
            ~Flag() { f = true; }
          } flag{unwound};
          for (int i = 0;; ++i) {
            push(std::vector<int>(1000, i));
            ++pushed;
          }
        });
    EXPECT_EQ(p.Next()->front(), 0);
    // Leaves with the producer blocked on a full queue (as when a row
    // cannot be written and the exception unwinds the consumer).
  }
  EXPECT_TRUE(unwound.load());  // the producer unwound, the thread is joined
  EXPECT_LE(pushed.load(), 3);
}

TEST(Prefetcher, destructor_without_any_next_call_joins) {
  std::atomic<bool> finished{false};
  {
    Prefetcher<int> p(1, [&](const Prefetcher<int>::Push& push) {
      push(1);
      push(2);  // blocks until the destructor stops it
      finished = true;
    });
  }
  EXPECT_FALSE(finished.load());
}

}  // namespace
}  // namespace podpower::labels
