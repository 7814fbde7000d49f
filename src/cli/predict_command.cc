// `podpower predict`: encoder + model + workload specs -> predicted watts (or
// joules).
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "io/atomic_file.h"
#include "predict/prediction_output.h"
#include "predict/predictor.h"
#include "predict/workload_input.h"

namespace podpower::cli {
namespace {

struct PredictFlags {
  std::string encoder;
  std::string model;
  std::vector<std::string> inputs;
  std::string format = "json";
  std::string out = "-";
  std::string sbert_model;
  bool skip_invalid = false;
};

CommandRegistration reg(60, [](CLI::App& app) {
  auto flags = std::make_shared<PredictFlags>();
  auto* cmd = app.add_subcommand(
      "predict",
      "Predict watts for workloads (NDJSON records or Kubernetes manifests)");
  cmd->add_option("--encoder", flags->encoder,
                  "Encoder artifact from `encode fit`")
      ->required();
  cmd->add_option("--model", flags->model, "Model artifact from `train`")
      ->required();
  cmd->add_option("--input", flags->inputs,
                  "InferenceRequest NDJSON or YAML/JSON manifests ('-' = "
                  "stdin); repeatable")
      ->required();
  cmd->add_option("--format", flags->format,
                  "json (the original's array), ndjson or table");
  cmd->add_option("--out", flags->out, "Where to write ('-' = stdout)");
  cmd->add_option(
      "--sbert-model", flags->sbert_model,
      "Sentence-model folder, when the encoder was fitted with one");
  cmd->add_flag(
      "--skip-invalid", flags->skip_invalid,
      "Skip malformed records and non-workload objects with a warning");
  cmd->callback([flags] {
    const auto format = predict::ParseFormat(flags->format);
    std::vector<io::InferenceRequest> records;
    for (const auto& path : flags->inputs) {
      auto more = predict::ReadWorkloads(path, flags->skip_invalid);
      records.insert(records.end(), std::make_move_iterator(more.begin()),
                     std::make_move_iterator(more.end()));
    }
    auto predictor = predict::Predictor::Load(flags->encoder, flags->model,
                                              flags->sbert_model);
    const auto predictions = predictor->Predict(records);
    io::WriteTextFile(
        flags->out,
        predict::FormatPredictions(predictions, predictor->target(), format));
  });
});

}  // namespace
}  // namespace podpower::cli
