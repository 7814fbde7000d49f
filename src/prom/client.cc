#include "prom/client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "io/error.h"

namespace podpower::prom {
namespace {

std::string FormatSeconds(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// The first line of a non-JSON body, shortened, for one-line messages (proxies
// send HTML).
std::string Snippet(const std::string& body) {
  std::string line = body.substr(0, std::min<size_t>(body.find('\n'), 160));
  for (char& c : line) {
    if (c == '\r' || c == '\t') c = ' ';
  }
  return line;
}

// "host" of scheme://[user@]host[:port]/...; "[::1]" keeps its brackets.
std::string HostOf(const std::string& url) {
  size_t begin = url.find("://");
  begin = begin == std::string::npos ? 0 : begin + 3;
  size_t end = url.find_first_of("/?#", begin);
  std::string authority = url.substr(
      begin, end == std::string::npos ? std::string::npos : end - begin);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority.front() == '[') {
    return authority.substr(0, authority.find(']') + 1);
  }
  return authority.substr(0, authority.find(':'));
}

bool Retryable(long status) { return status == 429 || status >= 500; }

std::string ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read bearer token file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' ||
                            token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) throw Error(path + ": bearer token file is empty");
  return token;
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {
  if (options_.url.empty())
    throw Error("--prom: expected the Prometheus base URL, got ''");
  if (options_.url.rfind("http://", 0) != 0 &&
      options_.url.rfind("https://", 0) != 0) {
    throw Error("--prom: expected an http:// or https:// URL, got '" +
                http::RedactUrl(options_.url) + "'");
  }
  base_ = options_.url;
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  http::ClientOptions http_options;
  http_options.credentials.bearer_token =
      options_.bearer_token_file.empty()
          ? options_.bearer_token
          : ReadTokenFile(options_.bearer_token_file);
  http_options.credentials.username = options_.username;
  http_options.credentials.password = options_.password;
  http_options.tls.ca_file = options_.ca_file;
  http_options.tls.client_cert_file = options_.cert_file;
  http_options.tls.client_key_file = options_.key_file;
  http_options.tls.insecure_skip_verify = options_.insecure_skip_tls_verify;
  http_options.user_agent = "podpower-labels";
  http_ = std::make_unique<http::Client>(http_options);
  const std::string host = HostOf(base_);
  compress_ = options_.compression == ClientOptions::Compression::kOn ||
              (options_.compression == ClientOptions::Compression::kAuto &&
               host != "127.0.0.1" && host != "localhost" && host != "[::1]");
}

Client::~Client() = default;

std::string Client::Call(
    const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& params,
    const std::string& what) const {
  std::string query_string;
  for (const auto& [key, value] : params) {
    if (!query_string.empty()) query_string += '&';
    query_string += http::UrlEncode(key) + "=" + http::UrlEncode(value);
  }
  const std::string url = base_ + path;
  http::Request request;
  if (query_string.size() > options_.post_above_bytes) {
    request = http::FormPost(url, params);
  } else {
    request.method = "GET";
    request.url = url + (query_string.empty() ? "" : "?" + query_string);
  }
  if (!options_.query_log.empty()) {
    std::lock_guard<std::mutex> lock(log_mu_);
    std::ofstream log(options_.query_log, std::ios::app);
    log << request.method << " " << path << "?" << query_string << "\n";
  }
  request.headers = options_.headers;
  if (!compress_) request.headers.emplace_back("Accept-Encoding", "identity");
  request.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(options_.timeout_s * 1000));

  const int attempts = std::max(1, options_.max_attempts);
  double delay = options_.backoff_s;
  std::string last_failure;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      delay = std::min(delay * 2, 8.0);
    }
    http::Response response;
    try {
      response = http_->Do(request);
    } catch (const Error& e) {
      // Refused connections and timeouts: the server may be restarting or
      // overloaded.
      last_failure = e.what();
      continue;
    }
    if (response.status >= 200 && response.status < 300)
      return std::move(response.body);
    const bool json =
        response.Header("Content-Type").find("json") != std::string::npos ||
        (!response.body.empty() && response.body.front() == '{');
    std::optional<ApiError> api =
        json ? ParseApiError(response.body) : std::nullopt;
    std::string detail = "HTTP " + std::to_string(response.status) + " ";
    if (api) {
      detail += api->error_type + ": " + api->error;
    } else {
      detail += Snippet(response.body);
    }
    last_failure = what + ": " + detail;
    if (!Retryable(response.status)) throw Error(last_failure);
  }
  throw Error(last_failure + " (gave up after " + std::to_string(attempts) +
              " attempts)");
}

QueryResult Client::Instant(const std::string& query,
                            std::optional<double> time) const {
  std::vector<std::pair<std::string, std::string>> params = {{"query", query}};
  if (time) params.emplace_back("time", FormatSeconds(*time));
  params.emplace_back("timeout", FormatDuration(options_.timeout_s));
  const std::string what =
      "prometheus " + base_ + "/api/v1/query '" + query + "'";
  QueryResult result =
      ParseQueryResponse(Call("/api/v1/query", params, what), what);
  if (!options_.quiet) {
    for (const auto& w : result.warnings)
      std::fprintf(stderr, "podpower: prometheus warning: %s\n", w.c_str());
  }
  return result;
}

QueryResult Client::Range(const std::string& query, const Chunk& chunk,
                          double step) const {
  std::vector<std::pair<std::string, std::string>> params = {
      {"query", query},
      {"start", FormatSeconds(chunk.start)},
      {"end", FormatSeconds(chunk.end)},
      {"step", FormatSeconds(step)},
      {"timeout", FormatDuration(options_.timeout_s)}};
  const std::string what = "prometheus " + base_ + "/api/v1/query_range '" +
                           query + "' [" + FormatSeconds(chunk.start) + ", " +
                           FormatSeconds(chunk.end) + "]";
  QueryResult result =
      ParseQueryResponse(Call("/api/v1/query_range", params, what), what);
  if (!options_.quiet) {
    for (const auto& w : result.warnings)
      std::fprintf(stderr, "podpower: prometheus warning: %s\n", w.c_str());
  }
  return result;
}

std::vector<std::string> Client::LabelValues(const std::string& name,
                                             const std::string& match,
                                             double start, double end) const {
  const std::string path = "/api/v1/label/" + http::UrlEncode(name) + "/values";
  const std::string what = "prometheus " + base_ + path;
  std::string body = Call(path,
                          {{"match[]", match},
                           {"start", FormatSeconds(start)},
                           {"end", FormatSeconds(end)}},
                          what);
  // The data is an array of strings; wrap it so the matrix parser's string
  // reader can be reused.
  std::optional<ApiError> api = ParseApiError(body);
  if (api && !api->error_type.empty())
    throw Error(what + ": " + api->error_type + ": " + api->error);
  return ParseStringData(body, what);
}

std::vector<Series> Client::SeriesOf(const std::string& match, double start,
                                     double end) const {
  const std::string what =
      "prometheus " + base_ + "/api/v1/series '" + match + "'";
  return ParseSeriesData(Call("/api/v1/series",
                              {{"match[]", match},
                               {"start", FormatSeconds(start)},
                               {"end", FormatSeconds(end)}},
                              what),
                         what);
}

bool Client::Ready() const {
  http::Request request;
  request.url = base_ + "/-/ready";
  request.headers = options_.headers;
  request.timeout = std::chrono::milliseconds(2000);
  try {
    return http_->Do(request).status == 200;
  } catch (const Error&) {
    return false;
  }
}

void RangeChunked(
    const Client& client, const std::string& query, double start, double end,
    double step, const std::function<int64_t()>& points_for,
    const std::function<void(const Chunk&, QueryResult&&)>& on_chunk) {
  // Whole milliseconds, so every chunk starts exactly on the grid anchored at
  // `start`.
  const int64_t st = std::llround(step * 1000.0);
  if (st <= 0)
    throw Error("step: expected a positive duration of at least 1ms");
  if (end < start) throw Error("end: must not be before start");
  const int64_t s = std::llround(start * 1000.0);
  const int64_t total = GridPoints(start, end, step);
  for (int64_t first = 0; first < total;) {
    int64_t want =
        std::clamp<int64_t>(points_for ? points_for() : kMaxStepsPerQuery + 1,
                            1, kMaxStepsPerQuery + 1);
    int64_t count = std::min(want, total - first);
    Chunk chunk;
    chunk.start = static_cast<double>(s + first * st) / 1000.0;
    chunk.end = static_cast<double>(s + (first + count - 1) * st) / 1000.0;
    chunk.points = count;
    on_chunk(chunk, client.Range(query, chunk, step));
    first += count;
  }
}

void SamplesChunked(
    const Client& client, const std::string& selector, double from,
    double start, double end, double step,
    const std::function<double()>& seconds_for,
    const std::function<void(double, double, QueryResult&&)>& on_piece) {
  const int64_t st = std::llround(step * 1000.0);
  if (st <= 0)
    throw Error("step: expected a positive duration of at least 1ms");
  if (end < start) throw Error("end: must not be before start");
  const int64_t s = std::llround(start * 1000.0);
  const int64_t last =
      GridPoints(start, end, step) - 1;  // index of the last grid point
  const int64_t first_from_ms = std::llround(std::min(from, start) * 1000.0);
  int64_t piece_from_ms = first_from_ms;
  for (int64_t index = 0;;) {
    double want = seconds_for ? seconds_for() : kMaxStepsPerQuery * step;
    int64_t steps = std::clamp<int64_t>(
        static_cast<int64_t>(want * 1000.0) / st, 1, kMaxStepsPerQuery);
    // The first piece ends at the range start (the counters' values before the
    // range).
    int64_t next =
        index == 0 && piece_from_ms < s ? 0 : std::min(index + steps, last);
    const int64_t piece_end_ms = s + next * st;
    const double piece_start = static_cast<double>(piece_from_ms) / 1000.0;
    const double piece_end = static_cast<double>(piece_end_ms) / 1000.0;
    std::string range =
        FormatDuration(std::max<double>(0.001, piece_end - piece_start));
    QueryResult result =
        client.Instant(selector + "[" + range + "]", piece_end);
    if (piece_from_ms == first_from_ms) {
      // The first piece is left-open, (from, ...]: Prometheus 2.x would also
      // return a sample exactly at `from`, Prometheus 3.x and VictoriaMetrics
      // would not, and a counter whose last sample sat there (a pod that ended
      // `start - from` before the range) would be a pod for one server and not
      // for the other. Later pieces' left edges are samples already seen.
      for (Series& series : result.series) {
        auto& v = series.samples;
        v.erase(std::remove_if(
                    v.begin(), v.end(),
                    [&](const Sample& x) { return x.ts <= piece_start; }),
                v.end());
      }
      std::erase_if(result.series,
                    [](const Series& x) { return x.samples.empty(); });
    }
    on_piece(piece_start, piece_end, std::move(result));
    if (next >= last) break;
    piece_from_ms = piece_end_ms;
    index = next;
  }
}

}  // namespace podpower::prom
