// `podpower serve`: the prediction API and admission webhook (src/serve).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "cli/command.h"
#include "io/error.h"
#include "serve/budget.h"
#include "serve/server.h"

namespace podpower::cli {
namespace {

struct ServeFlags {
  serve::ServerOptions options;
  std::string budget_file;
  std::string budget_mode = "deny";
  double timeout = 0;  // --timeout: the older flag for both timeouts
  double read_timeout = 5;
  double write_timeout = 5;
  double keep_alive_timeout = 2;
  double request_timeout = 10;
  double shutdown_grace = 10;
  double watch_interval = 2;
};

// Seconds from a flag as milliseconds; `positive` refuses 0.
std::chrono::milliseconds Millis(double seconds, const char* flag,
                                 bool positive = true) {
  if (!(seconds >= 0) || (positive && !(seconds > 0)) || seconds > 1e6) {
    throw Error(std::string(flag) + ": expected seconds " +
                (positive ? "> 0" : ">= 0") + ", got " +
                std::to_string(seconds));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 0.5));
}

CommandRegistration serve_registration(80, [](CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto& o = flags->options;
  o.listen = "0.0.0.0:8000";
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve predictions over HTTP(S): /predict, /predict/batch, "
      "/predict/from-yaml, /infer/from-yaml, the /admission webhook, "
      "/healthz, /readyz, /metrics");
  // ENCODER_PATH and MODEL_PATH are how the original predict_service.py was
  // pointed at its artifacts.
  cmd->add_option("--encoder", o.artifacts.encoder,
                  "Encoder artifact from `encode fit`")
      ->envname("ENCODER_PATH")
      ->required();
  cmd->add_option("--model", o.artifacts.model, "Model artifact from `train`")
      ->envname("MODEL_PATH")
      ->required();
  cmd->add_option(
      "--sbert-model", o.artifacts.sbert_model,
      "Sentence-model folder, when the encoder was fitted with one");
  cmd->add_option("--listen", o.listen,
                  "host:port to listen on (port 0 picks a free one)")
      ->capture_default_str();
  cmd->add_option("--tls-cert", o.tls_cert,
                  "Serving certificate (PEM); with --tls-key turns on HTTPS, "
                  "which the Kubernetes API server needs for webhooks");
  cmd->add_option("--tls-key", o.tls_key, "Private key of --tls-cert (PEM)");
  cmd->add_option("--client-ca", o.client_ca,
                  "With --tls-cert: require a client certificate signed by a "
                  "CA of this PEM file on --listen (a missing or other one "
                  "fails the TLS handshake; --health-listen stays open for "
                  "probes). Default: no client certificates");
  cmd->add_option("--auth-token-file", o.auth_token_file,
                  "Require 'Authorization: Bearer <this file's token>' on the "
                  "prediction endpoints (not the probes or /admission); the "
                  "file is re-read when it changes. Default: no auth");
  cmd->add_option("--max-body-bytes", o.max_body_bytes,
                  "Larger request bodies are refused with 413")
      ->capture_default_str();
  cmd->add_option("--health-listen", o.health_listen,
                  "host:port of a second, plain-HTTP listener for probes "
                  "(GET /healthz, /readyz, /metrics) with its own connection "
                  "cap, so kubelet gets in when --listen is full");
  cmd->add_option("--read-timeout", flags->read_timeout,
                  "Seconds a client may take to send a request header (from "
                  "its first byte), and again its body; then 408 and close")
      ->capture_default_str();
  cmd->add_option("--write-timeout", flags->write_timeout,
                  "Seconds a client may take to read an answer")
      ->capture_default_str();
  cmd->add_option("--timeout", flags->timeout,
                  "Sets both --read-timeout and --write-timeout (the older "
                  "flag)");
  cmd->add_option("--keep-alive-timeout", flags->keep_alive_timeout,
                  "Seconds an idle keep-alive connection stays open")
      ->capture_default_str();
  cmd->add_option("--max-connections", o.max_connections,
                  "Open connections on --listen; more are answered 503 and "
                  "closed at once")
      ->capture_default_str();
  cmd->add_option("--request-timeout", flags->request_timeout,
                  "Time budget of a request once read, in seconds: work past "
                  "it is abandoned with 503 (0: none)")
      ->capture_default_str();
  cmd->add_option("--shutdown-grace", flags->shutdown_grace,
                  "Seconds SIGTERM waits for requests in flight: they are "
                  "abandoned at 3/4 of it, the process exits by 19/20 of it")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads,
                  "Prediction workers: requests handled at once (probes have "
                  "their own)")
      ->capture_default_str();
  cmd->add_option("--watch-interval", flags->watch_interval,
                  "Seconds between checks of the artifact files for changes "
                  "(0: reload on SIGHUP only)")
      ->capture_default_str();
  cmd->add_option("--step-seconds", o.step_seconds,
                  "Step of an energy_step_j model's labels: watts = joules / "
                  "step")
      ->capture_default_str();
  cmd->add_option("--budget-file", flags->budget_file,
                  "YAML of per-namespace watt budgets: the webhook then denies "
                  "(or warns about) workloads above them");
  cmd->add_option("--budget-mode", flags->budget_mode,
                  "deny or warn, for workloads above their budget")
      ->capture_default_str();
  cmd->add_flag("--log-requests", o.log_requests,
                "Log one line per request on stderr");
  cmd->callback([flags] {
    auto options = flags->options;
    options.budget_mode = serve::ParseBudgetMode(flags->budget_mode);
    if (!flags->budget_file.empty())
      options.budgets = serve::LoadBudgets(flags->budget_file);
    if (flags->timeout != 0) {
      options.read_timeout = Millis(flags->timeout, "--timeout");
      options.write_timeout = options.read_timeout;
    } else {
      options.read_timeout = Millis(flags->read_timeout, "--read-timeout");
      options.write_timeout = Millis(flags->write_timeout, "--write-timeout");
    }
    options.keep_alive_timeout =
        Millis(flags->keep_alive_timeout, "--keep-alive-timeout");
    options.request_timeout =
        Millis(flags->request_timeout, "--request-timeout", false);
    options.shutdown_grace = Millis(flags->shutdown_grace, "--shutdown-grace");
    options.watch_interval =
        Millis(flags->watch_interval, "--watch-interval", false);
    if (options.max_connections == 0)
      throw Error("--max-connections: expected a number > 0");
    serve::RunUntilSignalled(options);
  });
});

}  // namespace
}  // namespace podpower::cli
