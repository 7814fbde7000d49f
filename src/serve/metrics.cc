#include "serve/metrics.h"

#include <fmt/format.h>

#include "io/version.h"

namespace podpower::serve {

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::ObserveRequest(const std::string& endpoint, int code,
                             double seconds) {
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  std::lock_guard lock(mutex_);
  Series& s = requests_[{endpoint, code}];
  ++s.count;
  s.sum += seconds;
  if (bucket < kBuckets.size()) ++s.buckets[bucket];
}

void Metrics::SetModel(const ModelInfo& info) {
  std::lock_guard lock(mutex_);
  model_ = info;
}

void Metrics::ObserveReload(bool ok) {
  std::lock_guard lock(mutex_);
  if (ok) {
    ++reload_success_;
  } else {
    ++reload_failure_;
  }
  last_reload_failed_ = !ok;
}

void Metrics::ObserveAdmission(const std::string& decision) {
  std::lock_guard lock(mutex_);
  ++admissions_[decision];
}

void Metrics::ObserveAbandoned(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++abandoned_[reason];
}

std::string RenderConnections(const std::vector<ConnectionStats>& stats) {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help,
                    auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const auto& s : stats) {
      out += fmt::format("{}{{listener=\"{}\"}} {}\n", name,
                         EscapeLabelValue(s.listener), value(s));
    }
  };
  family("podpower_connections_open", "gauge", "Connections open now.",
         [](const ConnectionStats& s) { return s.open; });
  family("podpower_connections_accepted_total", "counter",
         "Connections accepted and served.",
         [](const ConnectionStats& s) { return s.accepted; });
  family("podpower_connections_refused_total", "counter",
         "Connections refused at once (503) because the listener had "
         "--max-connections open.",
         [](const ConnectionStats& s) { return s.refused; });
  family("podpower_connections_evicted_total", "counter",
         "Idle connections closed to make room on the probe listener.",
         [](const ConnectionStats& s) { return s.evicted; });
  family("podpower_connections_tls_refused_total", "counter",
         "TLS handshakes that failed with a protocol error: no client "
         "certificate of --client-ca, a client that refused the server's "
         "certificate, no common protocol.",
         [](const ConnectionStats& s) { return s.tls_refused; });
  out +=
      "# HELP podpower_connections_timed_out_total Connections closed because "
      "a request header or body did not arrive within --read-timeout.\n"
      "# TYPE podpower_connections_timed_out_total counter\n";
  for (const auto& s : stats) {
    const std::string l = EscapeLabelValue(s.listener);
    out += fmt::format(
        "podpower_connections_timed_out_total{{listener=\"{}\",phase="
        "\"header\"}} {}\n",
        l, s.header_timeouts);
    out += fmt::format(
        "podpower_connections_timed_out_total{{listener=\"{}\",phase="
        "\"body\"}} {}\n",
        l, s.body_timeouts);
  }
  return out;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  family("podpower_build_info", "gauge",
         "The podpower build serving; always 1.");
  out += fmt::format("podpower_build_info{{version=\"{}\",commit=\"{}\"}} 1\n",
                     EscapeLabelValue(Version()), EscapeLabelValue(Commit()));
  family("podpower_http_requests_total", "counter",
         "HTTP requests answered, by endpoint and status code.");
  for (const auto& [key, s] : requests_) {
    out += fmt::format(
        "podpower_http_requests_total{{endpoint=\"{}\",code=\"{}\"}} {}\n",
        EscapeLabelValue(key.first), key.second, s.count);
  }
  family("podpower_http_request_duration_seconds", "histogram",
         "Time from reading the request headers to handing over the "
         "response, by endpoint and status code.");
  for (const auto& [key, s] : requests_) {
    const std::string labels = fmt::format(
        "endpoint=\"{}\",code=\"{}\"", EscapeLabelValue(key.first), key.second);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += s.buckets[i];
      out += fmt::format(
          "podpower_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
          labels, kBuckets[i], cumulative);
    }
    out += fmt::format(
        "podpower_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n",
        labels, s.count);
    out += fmt::format("podpower_http_request_duration_seconds_sum{{{}}} {}\n",
                       labels, s.sum);
    out +=
        fmt::format("podpower_http_request_duration_seconds_count{{{}}} {}\n",
                    labels, s.count);
  }
  family("podpower_requests_in_flight", "gauge",
         "Requests read and being handled now.");
  out += fmt::format("podpower_requests_in_flight {}\n", in_flight_.load());
  family("podpower_predictions_total", "counter",
         "Workloads predicted, over all endpoints.");
  out += fmt::format("podpower_predictions_total {}\n", predictions_.load());
  family("podpower_model_info", "gauge",
         "The encoder and model being served; always 1.");
  out += fmt::format(
      "podpower_model_info{{fingerprint=\"{}\",target=\"{}\",rows=\"{}\","
      "dim=\"{}\"}} 1\n",
      EscapeLabelValue(model_.fingerprint), EscapeLabelValue(model_.target),
      model_.rows, model_.dim);
  family("podpower_model_reloads_total", "counter",
         "Reloads of the encoder and model, by result; a failed reload keeps "
         "the previous pair.");
  out += fmt::format("podpower_model_reloads_total{{result=\"success\"}} {}\n",
                     reload_success_);
  out += fmt::format("podpower_model_reloads_total{{result=\"failure\"}} {}\n",
                     reload_failure_);
  family("podpower_model_last_reload_failed", "gauge",
         "1 when the latest reload attempt was refused.");
  out += fmt::format("podpower_model_last_reload_failed {}\n",
                     last_reload_failed_ ? 1 : 0);
  family("podpower_predict_batches_total", "counter",
         "Micro-batches run for POST /predict (concurrent requests predicted "
         "together).");
  out += fmt::format("podpower_predict_batches_total {}\n", batches_.load());
  family("podpower_predict_batched_workloads_total", "counter",
         "Workloads predicted in those micro-batches.");
  out += fmt::format("podpower_predict_batched_workloads_total {}\n",
                     batched_.load());
  family("podpower_requests_abandoned_total", "counter",
         "Requests given up past their time budget (--request-timeout), at "
         "shutdown, or when their client closed the connection, answered 503.");
  for (const char* reason : {"deadline", "shutdown", "client_gone"}) {
    const auto it = abandoned_.find(reason);
    out +=
        fmt::format("podpower_requests_abandoned_total{{reason=\"{}\"}} {}\n",
                    reason, it == abandoned_.end() ? 0 : it->second);
  }
  family("podpower_admission_reviews_total", "counter",
         "AdmissionReviews answered, by decision.");
  for (const auto& [decision, n] : admissions_) {
    out +=
        fmt::format("podpower_admission_reviews_total{{decision=\"{}\"}} {}\n",
                    EscapeLabelValue(decision), n);
  }
  return out;
}

}  // namespace podpower::serve
