// `podpower simulate`: writes a simulated cluster (specs, manifests, Kepler
// OpenMetrics, true watts) for trying the pipeline without a cluster.
#include <iostream>

#include "cli/command.h"
#include "simulate/simulate.h"

namespace podpower::cli {
namespace {

CommandRegistration simulate_registration(90, [](CLI::App& app) {
  auto o = std::make_shared<simulate::SimulateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Write a simulated cluster: specs, manifests, Kepler OpenMetrics for "
      "promtool backfill, and the true watts");
  cmd->add_option("--workloads", o->workloads, "number of workloads")
      ->capture_default_str();
  cmd->add_option("--hours", o->hours, "length of the simulated window")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "random seed (same seed, same files)")
      ->capture_default_str();
  cmd->add_option("--out", o->out_dir, "output folder")->required();
  cmd->add_option("--kepler-schema", o->kepler_schema, "v0.7 or v0.10")
      ->capture_default_str();
  cmd->add_option("--scrape-interval", o->scrape_seconds,
                  "seconds between samples")
      ->capture_default_str();
  cmd->add_option("--start", o->start,
                  "unix seconds of the first sample (default: now - hours)");
  // Range checks live in simulate::Simulate, so the message is the same one
  // line for the CLI and the library.
  cmd->add_option("--request-coupling", o->request_coupling,
                  "how much busy cores follow the CPU request, 0..1 (1: fully, "
                  "0: unrelated, as in over-provisioned clusters)")
      ->capture_default_str();
  cmd->add_option("--no-request-share", o->no_request_share,
                  "share of workloads whose pods have no requests or limits, "
                  "0..1 (0: every pod has them)")
      ->capture_default_str();
  cmd->callback([o] { simulate::Simulate(*o, std::cerr); });
});

}  // namespace
}  // namespace podpower::cli
