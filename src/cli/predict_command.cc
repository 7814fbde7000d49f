// `podpower predict` (and `kubectl podpower predict`): workloads from files
// (NDJSON records or manifests) or live objects named like kubectl names them
// -> predicted watts (or joules), from local artifacts or a running `podpower
// serve`.
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "io/atomic_file.h"
#include "io/error.h"
#include "predict/live_workloads.h"
#include "predict/prediction_backend.h"
#include "predict/prediction_output.h"
#include "predict/workload_input.h"

namespace podpower::cli {
namespace {

struct PredictFlags {
  predict::Backend backend;
  std::vector<std::string> inputs;     // --input (the original's; greedy)
  std::vector<std::string> filenames;  // -f/--filename (kubectl's; one each)
  std::vector<std::string> objects;    // TYPE/NAME... or TYPE NAME...
  predict::LiveOptions live;
  std::string format;
  std::string out = "-";
  bool skip_invalid = false;
};

CommandRegistration predict_registration(60, [](CLI::App& app) {
  auto flags = std::make_shared<PredictFlags>();
  // kubectl prints tables; podpower keeps the original predict_k8s.py's JSON.
  flags->format = IsKubectlPlugin(app) ? "table" : "json";
  auto* cmd = app.add_subcommand(
      "predict",
      "Predict watts for workloads: files (NDJSON records or Kubernetes "
      "manifests) or live objects (deployment/web)");
  cmd->add_option("objects", flags->objects,
                  "Live objects as kubectl names them: TYPE/NAME... or TYPE "
                  "NAME... (deployment/web, deploy web api, cj/nightly)");
  cmd->add_option("--input", flags->inputs,
                  "InferenceRequest NDJSON or YAML/JSON manifests ('-' = "
                  "stdin); repeatable");
  cmd->add_option("-f,--filename", flags->filenames,
                  "Like --input, kubectl's spelling (one file per -f)")
      ->allow_extra_args(false);
  cmd->add_option("-n,--namespace", flags->live.namespace_,
                  "Namespace of the live objects (default: the context's)");
  cmd->add_option(
      "--kubeconfig", flags->live.connection.kubeconfig,
      "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)");
  cmd->add_option("--context", flags->live.connection.context,
                  "kubeconfig context (default: current-context)");
  cmd->add_option("--server", flags->backend.server,
                  "Ask a running `podpower serve` at this URL (POST "
                  "/predict/batch) instead of local artifacts "
                  "(default: $PODPOWER_SERVER)");
  cmd->add_option("--encoder", flags->backend.encoder,
                  "Encoder artifact from `encode fit` (default: "
                  "$ENCODER_PATH)");
  cmd->add_option("--model", flags->backend.model,
                  "Model artifact from `train` (default: $MODEL_PATH)");
  cmd->add_option("--format,-o", flags->format,
                  "json (the original's array), ndjson or table (default: " +
                      flags->format + ")");
  cmd->add_option("--out", flags->out, "Where to write ('-' = stdout)");
  cmd->add_option(
      "--sbert-model", flags->backend.sbert_model,
      "Sentence-model folder, when the encoder was fitted with one");
  cmd->add_flag(
      "--skip-invalid", flags->skip_invalid,
      "Skip malformed records and non-workload objects with a warning");
  cmd->callback([flags] {
    const auto format = predict::ParseFormat(flags->format);
    const auto refs = predict::ParseObjectRefs(flags->objects);
    std::vector<std::string> files = flags->inputs;
    files.insert(files.end(), flags->filenames.begin(), flags->filenames.end());
    if (files.empty() && refs.empty()) {
      throw Error(
          "no workloads: give -f FILE (or --input) or live objects "
          "(deployment/web)");
    }
    std::vector<io::InferenceRequest> records;
    for (const auto& path : files) {
      auto more = predict::ReadWorkloads(path, flags->skip_invalid);
      records.insert(records.end(), std::make_move_iterator(more.begin()),
                     std::make_move_iterator(more.end()));
    }
    auto live = predict::ReadLiveWorkloads(refs, flags->live);
    records.insert(records.end(), std::make_move_iterator(live.begin()),
                   std::make_move_iterator(live.end()));
    const auto result = predict::PredictWorkloads(
        records, predict::BackendWithEnvironment(flags->backend));
    io::WriteTextFile(
        flags->out,
        predict::FormatPredictions(result.predictions, result.target, format));
  });
});

}  // namespace
}  // namespace podpower::cli
