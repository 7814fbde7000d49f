// What `podpower serve` reports on GET /metrics (Prometheus text format 0.0.4).
//
// Series (docs/formats/serve.md):
//   podpower_http_requests_total{endpoint,code}              counter
//   podpower_http_request_duration_seconds{endpoint,code}    histogram
//   podpower_predictions_total                               counter
//   (workloads) podpower_model_info{fingerprint,target,rows,dim}         gauge,
//   always 1 podpower_model_reloads_total{result="success"|"failure"} counter
//   podpower_model_last_reload_failed                        gauge 0/1
//   podpower_admission_reviews_total{decision}               counter
//   podpower_requests_abandoned_total{reason}                counter
//     (reason: deadline, shutdown, client_gone)
//   (and the connection families of RenderConnections)
//   podpower_predict_batches_total, podpower_predict_batched_workloads_total
//                                   counters (/predict micro-batches,
//                                   batcher.h)
// Endpoints are the server's route names; anything else is "other", so a
// scanner probing random paths cannot grow the series without bound.
// Thread-safe: every method may be called from any thread.
#ifndef PODPOWER_SERVE_METRICS_H_
#define PODPOWER_SERVE_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace podpower::serve {

struct ModelInfo {
  std::string fingerprint;
  std::string target;
  size_t rows = 0;
  size_t dim = 0;
};

class Metrics {
 public:
  // Upper bounds of the latency histogram buckets, in seconds (+Inf implied).
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
      0.025,  0.05,    0.1,    0.25,  0.5,    1,     5};

  void ObserveRequest(const std::string& endpoint, int code, double seconds);
  // Requests read and being handled (gauge podpower_requests_in_flight).
  void RequestStarted() { ++in_flight_; }
  void RequestFinished() { --in_flight_; }
  uint64_t in_flight() const { return in_flight_.load(); }
  void AddPredictions(uint64_t n) { predictions_ += n; }
  void SetModel(const ModelInfo& info);
  void ObserveReload(bool ok);
  void ObserveAdmission(const std::string& decision);
  // A request given up past its time budget: reason "deadline" or
  // "shutdown" (deadline.h).
  void ObserveAbandoned(const std::string& reason);
  void ObserveBatch(size_t workloads) {
    ++batches_;
    batched_ += workloads;
  }

  // The whole exposition, one family after another, HELP and TYPE first.
  std::string Render() const;

 private:
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    std::array<uint64_t, kBuckets.size()> buckets{};  // non-cumulative
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, Series> requests_;
  std::map<std::string, uint64_t> admissions_;
  std::map<std::string, uint64_t> abandoned_;
  ModelInfo model_;
  uint64_t reload_success_ = 0;
  uint64_t reload_failure_ = 0;
  bool last_reload_failed_ = false;
  std::atomic<uint64_t> predictions_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> batched_{0};
  std::atomic<uint64_t> in_flight_{0};
};

// One listener's connections (front.h), for /metrics.
struct ConnectionStats {
  std::string listener;  // "api", "health"
  uint64_t open = 0;
  uint64_t accepted = 0;
  uint64_t refused = 0;
  uint64_t evicted = 0;
  uint64_t header_timeouts = 0;
  uint64_t body_timeouts = 0;
  uint64_t tls_refused = 0;
};

// The connection families, to append to Metrics::Render():
//   podpower_connections_open{listener}                   gauge
//   podpower_connections_accepted_total{listener}         counter
//   podpower_connections_refused_total{listener}          counter
//   podpower_connections_evicted_total{listener}          counter
//   podpower_connections_tls_refused_total{listener}      counter
//   podpower_connections_timed_out_total{listener,phase}  counter
std::string RenderConnections(const std::vector<ConnectionStats>& stats);

// Escapes a label value for the text format (backslash, quote, newline).
std::string EscapeLabelValue(const std::string& value);

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_METRICS_H_
