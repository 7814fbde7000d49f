// The prediction endpoints' request → response logic, free of HTTP plumbing so
// tests can call it directly and the server stays a thin router.
//
// Bodies and answers (docs/formats/serve.md):
//   POST /predict          one InferenceRequest v1 JSON object → one PredictOut
//   POST /predict/batch    InferenceRequest NDJSON → PredictOut NDJSON, in
//   order POST /predict/from-yaml  Kubernetes manifest YAML/JSON
//   (multi-document,
//                          kind: List) → PredictOut for one workload, or an
//                          array of them for several
//   POST /infer/from-yaml  the same manifests → the InferenceRequest record(s)
// PredictOut keeps the original service's fields first, in its order:
// pred_<target> (pred_energy_step_j for the original's models), workload_kind,
// workload_name, namespace, spec_hash; then predicted_watts (null when the
// target has no watts), model_fingerprint, spread, decided_by_tie, neighbours.
// Errors are JSON {"detail": "<reason>"} (FastAPI's shape, which the original
// answered with): 400 malformed JSON/YAML or a non-workload kind, 422 a record
// or manifest whose fields are wrong. Thread-safe.
#ifndef PODPOWER_SERVE_API_H_
#define PODPOWER_SERVE_API_H_

#include <string>

#include "serve/artifacts.h"

namespace podpower::serve {

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  size_t predictions = 0;  // workloads predicted, for /metrics
};

class PredictionBatcher;

struct ApiOptions {
  double step_seconds = 60;  // energy_step_j → watts, see watts.h
  // When set, /predict goes through it (micro-batching under load); not owned.
  PredictionBatcher* batcher = nullptr;
};

ApiResponse HandlePredict(const std::string& body, const Artifacts& artifacts,
                          const ApiOptions& options);
ApiResponse HandlePredictBatch(const std::string& body,
                               const Artifacts& artifacts,
                               const ApiOptions& options);
ApiResponse HandlePredictFromYaml(const std::string& body,
                                  const Artifacts& artifacts,
                                  const ApiOptions& options);
ApiResponse HandleInferFromYaml(const std::string& body);

// {"detail": reason} with `status`.
ApiResponse ErrorResponse(int status, const std::string& reason);

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_API_H_
