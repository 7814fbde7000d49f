// Times, durations and the query grid for Prometheus range queries.
//
// Users give times as unix seconds (what the original kepler_labels.py took),
// RFC 3339 ("2025-10-30T16:01:32Z", offsets allowed) or relative to now
// ("now", "now-6h", "now-1d12h"). Durations use Prometheus' units (ms, s, m,
// h, d, w, y) or plain seconds ("15", "15s", "1h30m"). A range query's grid is
// start + i*step for every i with the point <= end (both ends inclusive, as
// Prometheus evaluates it). PlanChunks splits the grid into consecutive pieces
// of at most `max_points` points so no request exceeds Prometheus' 11,000-point
// resolution cap and no grid point is asked for twice. All functions are pure
// and thread-safe.
#ifndef PODPOWER_PROM_TIME_RANGE_H_
#define PODPOWER_PROM_TIME_RANGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace podpower::prom {

// Prometheus refuses a range query with more than this many steps (11,001
// points).
inline constexpr int64_t kMaxStepsPerQuery = 11000;

// Seconds (may be fractional). Throws podpower::Error "<field>: expected ...
// got '<text>'".
double ParseDuration(std::string_view text, std::string_view field);

// Unix seconds. `now` is the current unix time (passed in so tests are
// deterministic). Throws podpower::Error naming `field` when the text is none
// of the three forms.
double ParseTime(std::string_view text, double now, std::string_view field);

// "15s", "2m", "1h30m": the shortest Prometheus duration for whole
// milliseconds, for PromQL range selectors.
std::string FormatDuration(double seconds);

// A piece of the grid: points start, start+step, ..., end (end is itself a grid
// point).
struct Chunk {
  double start = 0;
  double end = 0;
  int64_t points = 0;
};

// Number of grid points in [start, end] (0 when end < start).
int64_t GridPoints(double start, double end, double step);

// Consecutive chunks covering every grid point of [start, end] exactly once,
// each with at most `max_points` points (1 <= max_points <= kMaxStepsPerQuery +
// 1). Throws podpower::Error when step <= 0 or end < start.
std::vector<Chunk> PlanChunks(double start, double end, double step,
                              int64_t max_points);

}  // namespace podpower::prom

#endif  // PODPOWER_PROM_TIME_RANGE_H_
