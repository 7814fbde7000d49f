#include "prom/time_range.h"

#include <gtest/gtest.h>

#include <set>

#include "io/error.h"

namespace podpower::prom {
namespace {

TEST(ParseTime, unix_seconds_as_the_original_took_them) {
  EXPECT_DOUBLE_EQ(ParseTime("1761840092", 0, "--start"), 1761840092.0);
  EXPECT_DOUBLE_EQ(ParseTime("1761840092.5", 0, "--start"), 1761840092.5);
}

TEST(ParseTime, rfc3339_with_zone_and_offset) {
  // 2025-10-30T16:01:32Z is 1761840092 (date -u -d @1761840092).
  EXPECT_DOUBLE_EQ(ParseTime("2025-10-30T16:01:32Z", 0, "--start"),
                   1761840092.0);
  EXPECT_DOUBLE_EQ(ParseTime("2025-10-30T18:01:32+02:00", 0, "--start"),
                   1761840092.0);
  EXPECT_DOUBLE_EQ(ParseTime("2025-10-30T16:01:32.250Z", 0, "--start"),
                   1761840092.25);
}

TEST(ParseTime, relative_to_now) {
  EXPECT_DOUBLE_EQ(ParseTime("now", 1000000, "--end"), 1000000);
  EXPECT_DOUBLE_EQ(ParseTime("now-6h", 1000000, "--start"), 1000000 - 6 * 3600);
  EXPECT_DOUBLE_EQ(ParseTime("now-1d12h", 1000000, "--start"),
                   1000000 - 36 * 3600);
}

TEST(ParseTime, garbage_names_the_flag) {
  try {
    ParseTime("yesterday", 0, "--start");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--start"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("yesterday"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ParseTime("2025-13-30T16:01:32Z", 0, "--start"), Error);
  EXPECT_THROW(ParseTime("now-6x", 0, "--start"), Error);
}

TEST(ParseDuration, prometheus_units_and_plain_seconds) {
  EXPECT_DOUBLE_EQ(ParseDuration("15", "--step"), 15);
  EXPECT_DOUBLE_EQ(ParseDuration("15s", "--step"), 15);
  EXPECT_DOUBLE_EQ(ParseDuration("1h30m", "--step"), 5400);
  EXPECT_DOUBLE_EQ(ParseDuration("500ms", "--step"), 0.5);
  EXPECT_THROW(ParseDuration("0", "--step"), Error);
  EXPECT_THROW(ParseDuration("-5s", "--step"), Error);
  EXPECT_THROW(ParseDuration("fast", "--step"), Error);
}

TEST(FormatDuration, shortest_prometheus_spelling) {
  EXPECT_EQ(FormatDuration(15), "15s");
  EXPECT_EQ(FormatDuration(5400), "1h30m");
  EXPECT_EQ(FormatDuration(0.25), "250ms");
  EXPECT_EQ(FormatDuration(86400 * 2 + 1), "2d1s");
}

TEST(GridPoints, both_ends_inclusive_like_prometheus) {
  EXPECT_EQ(GridPoints(100, 100, 15), 1);
  EXPECT_EQ(GridPoints(100, 130, 15), 3);
  EXPECT_EQ(GridPoints(100, 129, 15), 2);
  EXPECT_EQ(GridPoints(100, 99, 15), 0);
  // 11000 steps are 11,001 points: the most one request may ask for.
  EXPECT_EQ(GridPoints(0, 11000 * 15, 15), 11001);
}

TEST(PlanChunks, thirty_days_at_15s_cover_every_point_once_under_the_cap) {
  const double start = 1761840092, step = 15, end = start + 30 * 86400;
  auto chunks = PlanChunks(start, end, step, kMaxStepsPerQuery + 1);
  ASSERT_GT(chunks.size(), 1u);
  std::set<int64_t> seen;
  int64_t total = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    // What Prometheus checks: (end - start) / step must not exceed 11,000.
    EXPECT_LE((c.end - c.start) / step, kMaxStepsPerQuery);
    EXPECT_EQ(GridPoints(c.start, c.end, step), c.points);
    if (i > 0) {
      EXPECT_DOUBLE_EQ(c.start, chunks[i - 1].end + step)
          << "gap or overlap at " << i;
    }
    for (int64_t p = 0; p < c.points; ++p) {
      EXPECT_TRUE(seen.insert(static_cast<int64_t>(c.start + p * step)).second);
    }
    total += c.points;
  }
  EXPECT_EQ(total, 30 * 86400 / 15 + 1);
  EXPECT_DOUBLE_EQ(chunks.front().start, start);
  EXPECT_DOUBLE_EQ(chunks.back().end, end);
}

TEST(PlanChunks, end_off_grid_stops_at_last_grid_point) {
  auto chunks = PlanChunks(0, 100, 30, 2);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_DOUBLE_EQ(chunks[0].end, 30);
  EXPECT_DOUBLE_EQ(chunks[1].start, 60);
  EXPECT_DOUBLE_EQ(chunks[1].end, 90);
}

TEST(PlanChunks, rejects_bad_steps) {
  EXPECT_THROW(PlanChunks(0, 10, 0, 100), Error);
  EXPECT_THROW(PlanChunks(10, 0, 1, 100), Error);
  EXPECT_THROW(PlanChunks(0, 10, 1, 20000), Error);
}

}  // namespace
}  // namespace podpower::prom
