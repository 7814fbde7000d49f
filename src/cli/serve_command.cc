// `podpower serve`: the prediction API and admission webhook (src/serve).
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
  double read_timeout = 5;
  double watch_interval = 2;
};

CommandRegistration reg(80, [](CLI::App& app) {
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
  cmd->add_option("--max-body-bytes", o.max_body_bytes,
                  "Larger request bodies are refused with 413")
      ->capture_default_str();
  cmd->add_option("--timeout", flags->read_timeout,
                  "Seconds a client may take to send a request or read the "
                  "answer")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Connections served at once")
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
    if (!(flags->read_timeout > 0))
      throw Error("--timeout: expected seconds > 0");
    if (flags->watch_interval < 0)
      throw Error("--watch-interval: expected seconds >= 0");
    const auto seconds = std::chrono::seconds(
        std::max<int64_t>(1, static_cast<int64_t>(flags->read_timeout + 0.5)));
    options.read_timeout = seconds;
    options.write_timeout = seconds;
    options.watch_interval = std::chrono::milliseconds(
        static_cast<int64_t>(flags->watch_interval * 1000));
    serve::RunUntilSignalled(options);
  });
});

}  // namespace
}  // namespace podpower::cli
