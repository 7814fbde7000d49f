// `podpower train`: fits the KNN power model on train_rows and prints the CV
// line.
#include <iostream>

#include "cli/command.h"
#include "model/knn.h"
#include "model/train.h"

namespace podpower::cli {
namespace {

struct TrainFlags {
  model::TrainOptions options;
  std::string metric = "cosine";
  std::string weights = "uniform";
  std::string learner = "default";
};

CommandRegistration train_registration(50, [](CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* cmd =
      app.add_subcommand("train",
                         "Fit the power model on train_rows (GroupKFold CV by "
                         "workload, then all rows)");
  cmd->add_option("--train", flags->options.train_path,
                  "train_rows Parquet (from `join`)")
      ->required();
  cmd->add_option("--out", flags->options.out_path, "model artifact to write")
      ->required();
  cmd->add_option("--target", flags->options.target,
                  "label column: energy_step_j, avg_power_w or total_energy_j")
      ->capture_default_str();
  cmd->add_option("-k,--neighbors", flags->options.knn.k,
                  "number of neighbours")
      ->capture_default_str();
  cmd->add_option("--metric", flags->metric, "cosine or euclidean")
      ->capture_default_str();
  cmd->add_option("--weights", flags->weights, "uniform or distance")
      ->capture_default_str();
  cmd->add_flag("--aggregate", flags->options.aggregate,
                "average the target per (workload, spec) before training");
  cmd->add_flag("--auto", flags->options.auto_search,
                "choose k, metric and weights by grouped CV (overrides them)");
  cmd->add_option("--learner", flags->learner,
                  "default (blend of KNN, KNN per core and simple predictors, "
                  "weights by grouped CV) or knn (the original's KNN alone)")
      ->capture_default_str();
  cmd->add_option("--requests", flags->options.requests_path,
                  "InferenceRequest NDJSON: CPU cores, GPUs and image family "
                  "by _spec_hash, for train_rows without those columns");
  cmd->add_option("--encoder-fingerprint", flags->options.encoder_fingerprint,
                  "which encoder produced the features (stored in the model)");
  cmd->callback([flags] {
    flags->options.knn.metric = model::ParseMetric(flags->metric, "--metric");
    flags->options.knn.weights =
        model::ParseWeights(flags->weights, "--weights");
    flags->options.learner = model::ParseLearner(flags->learner, "--learner");
    model::Train(flags->options, std::cout, std::cerr);
  });
});

}  // namespace
}  // namespace podpower::cli
