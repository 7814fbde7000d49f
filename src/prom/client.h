// Prometheus HTTP API client: instant queries, range queries split into chunks
// under the 11,000-point cap, label-value lookups. Speaks only the documented
// /api/v1 endpoints, so it works unchanged against Thanos Query, Mimir (set
// X-Scope-OrgID with `headers`) and VictoriaMetrics.
//
// Transport is podpower::http::Client (libcurl). Retries with exponential
// backoff on HTTP 5xx, 429 and transport failures (refused connection,
// timeout); other 4xx (400 bad_data, 422 execution) fail at once with
// Prometheus' errorType and error verbatim. Warnings from the server are
// printed on stderr. Credentials never appear in messages. A Client is
// immutable after construction and may be shared by threads.
#ifndef PODPOWER_PROM_CLIENT_H_
#define PODPOWER_PROM_CLIENT_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/client.h"
#include "prom/response.h"
#include "prom/time_range.h"

namespace podpower::prom {

struct ClientOptions {
  std::string
      url;  // base URL, e.g. http://127.0.0.1:9090 or https://thanos/prefix
  std::string bearer_token;
  std::string
      bearer_token_file;  // read once at construction; wins over bearer_token
  std::string username;   // basic auth
  std::string password;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_tls_verify = false;
  std::vector<std::pair<std::string, std::string>>
      headers;  // e.g. {"X-Scope-OrgID", "team"}
  double timeout_s =
      120;  // per request; also sent to Prometheus as its query timeout
  int max_attempts = 4;  // 1 = no retries
  double backoff_s =
      0.5;  // first retry delay, doubled per attempt, capped at 8 s
  // Queries longer than this (URL-encoded) are sent as a POST form instead of
  // GET.
  size_t post_above_bytes = 2048;
  bool quiet = false;  // suppress warning lines on stderr (tests)
  // gzip costs Prometheus more CPU than it saves on a loopback connection:
  // kAuto asks for uncompressed bodies from 127.0.0.1, ::1 and localhost and
  // compressed ones from anywhere else.
  enum class Compression { kAuto, kOn, kOff };
  Compression compression = Compression::kAuto;
  // When set, every request's path and query string (never credentials) is
  // appended to this file, one per line; the benchmark replays them with curl.
  std::string query_log;
};

class Client {
 public:
  // Throws podpower::Error when the URL is empty or the token file cannot be
  // read.
  explicit Client(ClientOptions options);
  ~Client();

  // /api/v1/query at `time` (server's now when nullopt).
  QueryResult Instant(const std::string& query,
                      std::optional<double> time = std::nullopt) const;

  // One /api/v1/query_range request; the range must fit the server's resolution
  // cap.
  QueryResult Range(const std::string& query, const Chunk& chunk,
                    double step) const;

  // /api/v1/label/<name>/values restricted to series matching `match` in
  // [start, end].
  std::vector<std::string> LabelValues(const std::string& name,
                                       const std::string& match, double start,
                                       double end) const;

  // /api/v1/series: the label sets of the series matching the selector
  // `match` with samples in [start, end] (Prometheus may add a few from the
  // blocks' edges). Reads only the index, so it is cheap however many samples
  // the range holds.
  std::vector<Series> SeriesOf(const std::string& match, double start,
                               double end) const;

  // True when <url>/-/ready answers 200 (no retries).
  bool Ready() const;

  const ClientOptions& options() const { return options_; }

 private:
  std::string Call(
      const std::string& path,
      const std::vector<std::pair<std::string, std::string>>& params,
      const std::string& what) const;

  ClientOptions options_;
  std::string base_;
  mutable std::mutex log_mu_;
  bool compress_ = true;
  std::unique_ptr<http::Client> http_;
};

// Runs `query` over [start, end] at `step` as consecutive chunks (see
// PlanChunks) and hands each chunk's result to `on_chunk` in time order.
// `points_for` is asked before every chunk how many grid points to request
// (callers shrink chunks when there are many series, to bound memory); it is
// clamped to 1..11,001. Stops at the first error.
void RangeChunked(
    const Client& client, const std::string& query, double start, double end,
    double step, const std::function<int64_t()>& points_for,
    const std::function<void(const Chunk&, QueryResult&&)>& on_chunk);

// Raw samples of `selector` (a plain series selector such as `up{job="x"}`) in
// (from, end], whatever the server (a sample exactly at `from` is dropped, as
// Prometheus 3.x and VictoriaMetrics leave it out and 2.x does not; a series
// left without samples is dropped); the first piece runs from `from` (<= start,
// to see each counter's value before the range) to a grid point, fetched as
// instant queries of the range selector `selector[<len>]` over consecutive
// pieces that end on the grid start + i*step, each at most 11,000 steps long.
// `seconds_for` is asked before each piece how long it may be (callers bound
// the samples per request); it is rounded down to whole steps (at least one).
// At later pieces' left edges Prometheus 2.x returns the edge sample again, 3.x
// does not: `on_piece` must drop samples it has already seen (EnergySteps does,
// by timestamp).
void SamplesChunked(
    const Client& client, const std::string& selector, double from,
    double start, double end, double step,
    const std::function<double()>& seconds_for,
    const std::function<void(double piece_start, double piece_end,
                             QueryResult&&)>& on_piece);

}  // namespace podpower::prom

#endif  // PODPOWER_PROM_CLIENT_H_
