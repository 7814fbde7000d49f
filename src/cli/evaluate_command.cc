// `podpower evaluate`: grouped CV of the KNN against baselines, with an
// optional HTML report.
#include <iostream>

#include "cli/command.h"
#include "evaluate/evaluate.h"
#include "model/knn.h"

namespace podpower::cli {
namespace {

struct EvaluateFlags {
  evaluate::EvaluateOptions options;
  std::string metric = "cosine";
  std::string weights = "uniform";
  bool no_logo = false;
  std::string learner = "default";
};

CommandRegistration evaluate_registration(70, [](CLI::App& app) {
  auto flags = std::make_shared<EvaluateFlags>();
  auto& o = flags->options;
  CLI::App* cmd = app.add_subcommand(
      "evaluate",
      "How good the model is: grouped CV against baselines, intervals, report");
  cmd->add_option("--train", o.train_path, "train_rows Parquet (from `join`)")
      ->required();
  cmd->add_option("--target", o.target,
                  "label column: energy_step_j, avg_power_w or total_energy_j")
      ->capture_default_str();
  cmd->add_option("--report", o.report_path, "write an HTML report here");
  cmd->add_option("--json", o.json_path,
                  "write every score as JSON here (for scripts)");
  cmd->add_option("--requests", o.requests_path,
                  "InferenceRequest NDJSON (image families and CPU requests, "
                  "matched by _spec_hash)");
  cmd->add_option("-k,--neighbors", o.knn.k, "number of neighbours")
      ->capture_default_str();
  cmd->add_option("--metric", flags->metric, "cosine or euclidean")
      ->capture_default_str();
  cmd->add_option("--weights", flags->weights, "uniform or distance")
      ->capture_default_str();
  cmd->add_flag("--aggregate", o.aggregate,
                "average the target per (workload, spec) first, as train");
  cmd->add_option("--mape-floor", o.mape_floor,
                  "MAPE only over labels above this")
      ->capture_default_str();
  cmd->add_option("--interval-level", o.interval_level,
                  "coverage the prediction interval aims at")
      ->capture_default_str();
  cmd->add_option("--compare-line", o.compare_line,
                  "a CV line to print next to ours (e.g. the original's)");
  cmd->add_option("--worst", o.worst, "rows in the worst-predictions table")
      ->capture_default_str();
  cmd->add_flag("--search", o.search,
                "also search k, metric and weights with nested grouped CV");
  cmd->add_option("--learner", flags->learner,
                  "default (the blend, nested CV) or knn (the KNN alone)")
      ->capture_default_str();
  cmd->add_option("--truth", o.truth_path,
                  "truth_workloads.csv of `podpower simulate`: also score its "
                  "oracle");
  cmd->add_option("--truth-step", o.truth_step,
                  "seconds per label step, to turn the oracle's watts into "
                  "energy_step_j")
      ->capture_default_str();
  cmd->add_flag("--no-leave-one-out", flags->no_logo,
                "skip the leave-one-workload-out scheme");
  cmd->callback([flags] {
    flags->options.knn.metric = model::ParseMetric(flags->metric, "--metric");
    flags->options.knn.weights =
        model::ParseWeights(flags->weights, "--weights");
    flags->options.leave_one_group_out = !flags->no_logo;
    flags->options.learner = model::ParseLearner(flags->learner, "--learner");
    evaluate::RunEvaluate(flags->options, std::cout, std::cerr);
  });
});

}  // namespace
}  // namespace podpower::cli
