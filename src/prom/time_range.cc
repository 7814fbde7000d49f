#include "prom/time_range.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

#include "io/error.h"

namespace podpower::prom {
namespace {

std::string Quote(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Parses a plain decimal number covering all of `text`.
bool ParseNumber(std::string_view text, double* out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

// Parses "1h30m", "15s", "500ms" (Prometheus units); false when malformed.
bool ParseUnits(std::string_view text, double* seconds) {
  if (text.empty()) return false;
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t digits = i;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) ||
            text[digits] == '.')) {
      ++digits;
    }
    if (digits == i) return false;
    double value = 0;
    if (!ParseNumber(text.substr(i, digits - i), &value)) return false;
    size_t unit_end = digits;
    while (unit_end < text.size() &&
           std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
      ++unit_end;
    }
    std::string_view unit = text.substr(digits, unit_end - digits);
    double scale = 0;
    if (unit == "ms") {
      scale = 0.001;
    } else if (unit == "s") {
      scale = 1;
    } else if (unit == "m") {
      scale = 60;
    } else if (unit == "h") {
      scale = 3600;
    } else if (unit == "d") {
      scale = 86400;
    } else if (unit == "w") {
      scale = 7 * 86400;
    } else if (unit == "y") {
      scale = 365 * 86400;
    } else {
      return false;
    }
    total += value * scale;
    i = unit_end;
  }
  *seconds = total;
  return true;
}

int Digits(std::string_view text, size_t pos, size_t count, bool* ok) {
  int value = 0;
  if (pos + count > text.size()) {
    *ok = false;
    return 0;
  }
  for (size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) *ok = false;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); 't', ' ' and 'z'
// accepted too.
bool ParseRfc3339(std::string_view text, double* out) {
  bool ok = true;
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[13] != ':' ||
      text[16] != ':') {
    return false;
  }
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return false;
  std::tm tm{};
  tm.tm_year = Digits(text, 0, 4, &ok) - 1900;
  tm.tm_mon = Digits(text, 5, 2, &ok) - 1;
  tm.tm_mday = Digits(text, 8, 2, &ok);
  tm.tm_hour = Digits(text, 11, 2, &ok);
  tm.tm_min = Digits(text, 14, 2, &ok);
  tm.tm_sec = Digits(text, 17, 2, &ok);
  if (!ok || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return false;
  }
  size_t pos = 19;
  double fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    size_t end = pos + 1;
    while (end < text.size() &&
           std::isdigit(static_cast<unsigned char>(text[end])))
      ++end;
    if (end == pos + 1) return false;
    if (!ParseNumber("0" + std::string(text.substr(pos, end - pos)), &fraction))
      return false;
    pos = end;
  }
  if (pos >= text.size()) return false;
  int offset = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    if (pos + 6 != text.size() || text[pos + 3] != ':') return false;
    int sign = text[pos] == '+' ? 1 : -1;
    int hours = Digits(text, pos + 1, 2, &ok);
    int minutes = Digits(text, pos + 4, 2, &ok);
    if (!ok || hours > 23 || minutes > 59) return false;
    offset = sign * (hours * 3600 + minutes * 60);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  time_t seconds = timegm(&tm);
  *out = static_cast<double>(seconds) - offset + fraction;
  return true;
}

int64_t ToMillis(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * 1000.0));
}

}  // namespace

double ParseDuration(std::string_view text, std::string_view field) {
  double seconds = 0;
  if (!ParseNumber(text, &seconds) && !ParseUnits(text, &seconds)) {
    throw Error(std::string(field) +
                ": expected a duration such as 15s, 1m or 60, got " +
                Quote(text));
  }
  if (seconds <= 0) {
    throw Error(std::string(field) + ": expected a positive duration, got " +
                Quote(text));
  }
  return seconds;
}

double ParseTime(std::string_view text, double now, std::string_view field) {
  double value = 0;
  if (ParseNumber(text, &value)) return value;
  if (text == "now") return now;
  if (text.starts_with("now-") || text.starts_with("now+")) {
    double offset = 0;
    if (ParseUnits(text.substr(4), &offset))
      return text[3] == '-' ? now - offset : now + offset;
  }
  if (ParseRfc3339(text, &value)) return value;
  throw Error(std::string(field) +
              ": expected unix seconds, an RFC 3339 time "
              "(2025-10-30T16:00:00Z) or now-6h style, "
              "got " +
              Quote(text));
}

std::string FormatDuration(double seconds) {
  int64_t ms = ToMillis(seconds);
  if (ms <= 0) return "0s";
  std::string out;
  static constexpr struct {
    int64_t ms;
    const char* unit;
  } kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.unit;
      ms %= u.ms;
    }
  }
  return out;
}

int64_t GridPoints(double start, double end, double step) {
  int64_t s = ToMillis(start);
  int64_t e = ToMillis(end);
  int64_t st = ToMillis(step);
  if (e < s || st <= 0) return 0;
  return (e - s) / st + 1;
}

std::vector<Chunk> PlanChunks(double start, double end, double step,
                              int64_t max_points) {
  if (ToMillis(step) <= 0) {
    throw Error("step: expected a positive duration of at least 1ms");
  }
  if (end < start) throw Error("end: must not be before start");
  if (max_points < 1 || max_points > kMaxStepsPerQuery + 1) {
    throw Error("chunk size: expected 1.." +
                std::to_string(kMaxStepsPerQuery + 1) + " points");
  }
  // Integer milliseconds so that start + i*step lands exactly on the grid
  // Prometheus evaluates.
  const int64_t s = ToMillis(start);
  const int64_t st = ToMillis(step);
  const int64_t total = GridPoints(start, end, step);
  std::vector<Chunk> chunks;
  for (int64_t first = 0; first < total; first += max_points) {
    int64_t count = std::min(max_points, total - first);
    Chunk chunk;
    chunk.start = static_cast<double>(s + first * st) / 1000.0;
    chunk.end = static_cast<double>(s + (first + count - 1) * st) / 1000.0;
    chunk.points = count;
    chunks.push_back(chunk);
  }
  return chunks;
}

}  // namespace podpower::prom
