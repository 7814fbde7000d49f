// podpower labels: power labels from Kepler metrics in Prometheus
// (src/labels/labels.h).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "io/error.h"
#include "labels/labels.h"
#include "prom/time_range.h"

namespace podpower::cli {
namespace {

struct LabelsFlags {
  std::string prom, start, end, step = "60", out, timeout = "120s";
  std::vector<std::string> modes;
  std::string power_mode, schema = "auto", zone, owner_source = "auto",
                          pod_owners, kubeconfig, context;
  std::vector<std::string> namespaces, headers;
  std::string token, token_file, basic_auth, ca_file, cert_file, key_file;
  bool insecure = false, suppress_tls_warnings = false;
  double max_pod_watts = 5000;
  int retries = 3;
  int64_t chunk_samples = 2'000'000;
  std::string query_log;
};

std::vector<std::string> SplitCommas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    size_t begin = 0;
    while (begin <= v.size()) {
      size_t comma = v.find(',', begin);
      if (comma == std::string::npos) comma = v.size();
      if (comma > begin) out.push_back(v.substr(begin, comma - begin));
      begin = comma + 1;
    }
  }
  return out;
}

void Run(const LabelsFlags& f) {
  labels::LabelsOptions o;
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  o.prom.url = f.prom;
  o.prom.bearer_token = f.token;
  o.prom.bearer_token_file = f.token_file;
  if (!f.basic_auth.empty()) {
    size_t colon = f.basic_auth.find(':');
    if (colon == std::string::npos)
      throw Error("--basic-auth: expected user:password");
    o.prom.username = f.basic_auth.substr(0, colon);
    o.prom.password = f.basic_auth.substr(colon + 1);
  }
  o.prom.ca_file = f.ca_file;
  o.prom.cert_file = f.cert_file;
  o.prom.key_file = f.key_file;
  o.prom.insecure_skip_tls_verify = f.insecure;
  for (const auto& h : f.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      // The argument is not echoed: a mistyped 'Authorization=Bearer ...'
      // would print the token.
      throw Error(
          "--header: expected 'Name: value', got an argument without a name "
          "before ':' (not shown, it may hold a credential)");
    }
    size_t value = h.find_first_not_of(' ', colon + 1);
    o.prom.headers.emplace_back(
        h.substr(0, colon), value == std::string::npos ? "" : h.substr(value));
  }
  o.prom.timeout_s = prom::ParseDuration(f.timeout, "--timeout");
  o.prom.query_log = f.query_log;
  if (f.retries < 0) throw Error("--retries: expected 0 or more");
  o.prom.max_attempts = f.retries + 1;
  o.start = prom::ParseTime(f.start, now, "--start");
  o.end = prom::ParseTime(f.end, now, "--end");
  o.step = prom::ParseDuration(f.step, "--step");
  o.out = f.out;
  for (const auto& m : f.modes) {
    if (m == "window") {
      o.mode = labels::OutputMode::kWindow;
    } else if (m == "job") {
      o.mode = labels::OutputMode::kJob;
    } else if (m == "dynamic" || m == "idle" || m == "total") {
      o.power_mode = labels::ParsePowerMode(m);
    } else {
      throw Error(
          "--mode: expected window or job (or dynamic, idle, total), got '" +
          m + "'");
    }
  }
  if (!f.power_mode.empty())
    o.power_mode = labels::ParsePowerMode(f.power_mode);
  o.schema = labels::ParseKeplerSchema(f.schema);
  o.zone = f.zone;
  o.namespaces = SplitCommas(f.namespaces);
  o.owner_source = labels::ParseOwnerSource(f.owner_source);
  o.pod_owners_file = f.pod_owners;
  o.kube.kubeconfig = f.kubeconfig;
  o.kube.context = f.context;
  if (!(f.max_pod_watts > 0))
    throw Error("--max-pod-watts: expected a positive number");
  o.max_pod_watts = f.max_pod_watts;
  if (f.chunk_samples < 1)
    throw Error("--chunk-samples: expected a positive number");
  o.max_samples_per_chunk = f.chunk_samples;

  labels::LabelsSummary s = labels::RunLabels(o);
  std::string wrote = o.out;
  if (labels::IsPartitionFolder(o.out)) {
    // Folder output: which days were (re)written.
    wrote += " (" + std::to_string(s.partitions.size()) + " day partitions";
    if (!s.partitions.empty()) {
      wrote += " date=" + s.partitions.front();
      if (s.partitions.size() > 1) wrote += "..date=" + s.partitions.back();
    }
    wrote += ")";
  }
  std::string owners;
  for (const auto& [source, n] : s.owner_sources) {
    owners += (owners.empty() ? "" : ", ") + source + " " + std::to_string(n);
  }
  std::fprintf(stderr,
               "podpower labels: Kepler %s, %lld pods, %lld rows in %lld "
               "queries; dropped %lld "
               "pseudo-container series, %lld spike steps and %lld rows of "
               "%lld late pods; %lld counter "
               "resets; owners: %s; "
               "wrote %s\n",
               labels::SchemaName(s.schema), static_cast<long long>(s.pods),
               static_cast<long long>(s.rows), static_cast<long long>(s.chunks),
               static_cast<long long>(s.pseudo_series_dropped),
               static_cast<long long>(s.spikes_dropped),
               static_cast<long long>(s.late_rows_dropped),
               static_cast<long long>(s.late_pods),
               static_cast<long long>(s.counter_resets),
               owners.empty() ? "-" : owners.c_str(), wrote.c_str());
}

CommandRegistration labels_registration(30, [](CLI::App& app) {
  auto flags = std::make_shared<LabelsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "labels",
      "Per-pod power labels (watts, joules) from Kepler metrics in Prometheus");
  cmd->add_option("--prom", flags->prom,
                  "Prometheus base URL (also Thanos, Mimir, VictoriaMetrics)")
      ->required();
  cmd->add_option("--start", flags->start, "unix seconds, RFC 3339 or now-6h")
      ->required();
  cmd->add_option("--end", flags->end, "unix seconds, RFC 3339 or now")
      ->required();
  cmd->add_option("--step", flags->step, "query step (60, 15s, 1m)")
      ->capture_default_str();
  cmd->add_option("--out", flags->out,
                  "output Parquet file, or a folder (DIR/): one "
                  "DIR/date=YYYY-MM-DD/labels.parquet per UTC day")
      ->required();
  cmd->add_option("--mode", flags->modes,
                  "window (a row per pod and step) or job (a row per pod); "
                  "also accepts the "
                  "power mode dynamic|idle|total");
  cmd->add_option("--power-mode", flags->power_mode,
                  "dynamic (default), idle or total (Kepler 0.7)");
  cmd->add_option("--kepler-schema", flags->schema, "auto, v0.7 or v0.10")
      ->capture_default_str();
  cmd->add_option("--zone", flags->zone,
                  "RAPL zone (v0.10 default package; v0.7 default: "
                  "kepler_container_joules_total)");
  cmd->add_option("--ns", flags->namespaces,
                  "only these namespaces (repeat or comma-separate)");
  cmd->add_option("--owner-source", flags->owner_source,
                  "prom (kube-state-metrics), k8s (Kubernetes API), names, "
                  "or auto (prom, then k8s when --pod-owners, --kubeconfig "
                  "or --context is given, then names)")
      ->capture_default_str();
  cmd->add_option("--pod-owners", flags->pod_owners,
                  "pod ownership NDJSON (`podpower collect list --pods`) "
                  "instead of asking the API server");
  cmd->add_option("--kubeconfig", flags->kubeconfig,
                  "kubeconfig for owner source k8s (default: $KUBECONFIG, "
                  "~/.kube/config, in-cluster)");
  cmd->add_option("--context", flags->context,
                  "kubeconfig context for owner source k8s (default: "
                  "current-context)");
  cmd->add_option("--max-pod-watts", flags->max_pod_watts,
                  "steps above this many watts per pod are dropped as spikes")
      ->capture_default_str();
  cmd->add_option("--timeout", flags->timeout,
                  "per request (also Prometheus' query timeout)")
      ->capture_default_str();
  cmd->add_option("--retries", flags->retries,
                  "retries on 5xx, 429, timeouts and refused connections")
      ->capture_default_str();
  cmd->add_option("--chunk-samples", flags->chunk_samples,
                  "at most this many samples (series x steps) per request")
      ->capture_default_str();
  cmd->add_option(
         "--query-log", flags->query_log,
         "append each request's path and query to this file (benchmarks)")
      ->group("");
  cmd->add_option("--bearer-token", flags->token,
                  "bearer token (prefer --bearer-token-file)");
  cmd->add_option("--bearer-token-file", flags->token_file,
                  "file holding a bearer token");
  cmd->add_option("--basic-auth", flags->basic_auth, "user:password");
  cmd->add_option("--ca-file", flags->ca_file,
                  "CA bundle to verify the server");
  cmd->add_option("--cert-file", flags->cert_file, "client certificate (PEM)");
  cmd->add_option("--key-file", flags->key_file, "client key (PEM)");
  cmd->add_option("--header", flags->headers,
                  "extra header 'Name: value' (Mimir X-Scope-OrgID)");
  cmd->add_flag("--insecure-skip-tls-verify", flags->insecure,
                "do not verify the server's certificate");
  cmd->add_flag(
      "--suppress-tls-warnings", flags->suppress_tls_warnings,
      "accepted for compatibility with the original; verification stays on");
  cmd->callback([flags]() { Run(*flags); });
});

}  // namespace
}  // namespace podpower::cli
