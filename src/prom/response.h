// Prometheus HTTP API response bodies: the success envelope with its
// matrix/vector/scalar result, and the error envelope
// {"status":"error","errorType":...,"error":...}.
//
// A range query over thousands of pods returns hundreds of megabytes of JSON,
// so this is a single-pass parser that builds only the series and samples (no
// DOM). Unknown fields are skipped (Thanos, Mimir and VictoriaMetrics add their
// own). Values are plain data; functions are thread-safe.
#ifndef PODPOWER_PROM_RESPONSE_H_
#define PODPOWER_PROM_RESPONSE_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace podpower::prom {

struct Sample {
  double ts = 0;  // unix seconds (Prometheus sends milliseconds as a fraction)
  double value = 0;  // "NaN", "+Inf" and "-Inf" become the IEEE values
};

// One time series. Labels are sorted by name, so equal label sets compare
// equal.
struct Series {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<Sample> samples;  // one sample for vector and scalar results

  // "" when the label is absent (Prometheus treats absent and empty alike).
  const std::string& Label(std::string_view name) const;
};

struct QueryResult {
  std::string result_type;  // "matrix", "vector", "scalar" or "string"
  std::vector<Series> series;
  std::vector<std::string> warnings;  // "warnings" and "infos", verbatim
};

// Prometheus' error envelope, verbatim.
struct ApiError {
  std::string error_type;
  std::string error;
};

// Parses a 200 response. Throws podpower::Error "<where>: malformed response:
// <what> at byte N" on anything that is not the success envelope, and "<where>:
// <errorType>: <error>" when the body is an error envelope.
QueryResult ParseQueryResponse(std::string_view body, std::string_view where);

// Parses a 200 response whose data is an array of strings (label values).
// Errors as above.
std::vector<std::string> ParseStringData(std::string_view body,
                                         std::string_view where);

// Parses a 200 response of /api/v1/series: data is an array of label sets.
// Each becomes a Series with sorted labels and no samples. Errors as above.
std::vector<Series> ParseSeriesData(std::string_view body,
                                    std::string_view where);

// The errorType/error pair when `body` is Prometheus' JSON error envelope, else
// nullopt.
std::optional<ApiError> ParseApiError(std::string_view body);

}  // namespace podpower::prom

#endif  // PODPOWER_PROM_RESPONSE_H_
