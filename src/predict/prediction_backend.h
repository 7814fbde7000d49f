// Where `predict` gets its numbers: local artifacts (encoder + model, through
// Predictor) or a running `podpower serve` asked over HTTP, so `kubectl
// podpower predict --server URL` needs no artifacts on the user's machine.
//
// The server is sent the records as InferenceRequest NDJSON on POST
// /predict/batch and answers PredictOut NDJSON (docs/formats/serve.md), which
// is read back into WorkloadPrediction so both backends print through the same
// FormatPredictions. PredictOut carries no blend explanation, so a server's
// table lacks the "how each prediction was made" lines unless the answer
// carries the "model" object of PredictionJson (read when present). Functions
// keep no shared state and are thread-safe.
#ifndef PODPOWER_PREDICT_PREDICTION_BACKEND_H_
#define PODPOWER_PREDICT_PREDICTION_BACKEND_H_

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/inference_request.h"
#include "predict/predictor.h"

namespace podpower::predict {

struct PredictionSet {
  std::string target;                           // e.g. "energy_step_j"
  std::vector<WorkloadPrediction> predictions;  // one per record, in order
};

struct Backend {
  std::string server;  // "http://host:port" of `podpower serve`; or:
  std::string encoder, model, sbert_model;   // local artifacts
  std::chrono::milliseconds timeout{60000};  // per server request
};

// `given` (from flags) when it names a backend; otherwise the environment's:
// PODPOWER_SERVER, else ENCODER_PATH and MODEL_PATH (the variables `serve`
// reads). Environment variables never mix with flags, so a shell that exports
// ENCODER_PATH for serve does not turn `--server URL` into an error.
Backend BackendWithEnvironment(Backend given);

// Predicts every record with the chosen backend. Throws podpower::Error when
// neither or both backends are given, and as Predictor::Load/Predict or
// PredictRemote.
PredictionSet PredictWorkloads(const std::vector<io::InferenceRequest>& records,
                               const Backend& backend);

// POST <server>/predict/batch. `server` without a scheme gets "http://".
// Throws podpower::Error naming the URL: the server is unreachable, answers an
// error ({"detail": ...} quoted), or answers lines that are not PredictOut, or
// not one per record.
PredictionSet PredictRemote(const std::string& server,
                            const std::vector<io::InferenceRequest>& records,
                            std::chrono::milliseconds timeout);

// One PredictOut object back into a prediction; `*target` gets the target
// named by its pred_<target> key. Throws podpower::Error prefixed by `where`
// naming the missing or mistyped field.
WorkloadPrediction PredictionFromServeJson(const nlohmann::json& object,
                                           const std::string& where,
                                           std::string* target);

}  // namespace podpower::predict

#endif  // PODPOWER_PREDICT_PREDICTION_BACKEND_H_
