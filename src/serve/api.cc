#include "serve/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <sstream>

#include "collect/manifest.h"
#include "io/error.h"
#include "predict/prediction_output.h"
#include "serve/batcher.h"
#include "serve/deadline.h"
#include "serve/watts.h"

namespace podpower::serve {
namespace {

using nlohmann::ordered_json;

// A request the client got wrong: status and reason.
struct BadRequest {
  int status;
  std::string reason;
};

ordered_json PredictOut(const predict::WorkloadPrediction& p,
                        const Artifacts& artifacts, const ApiOptions& options) {
  const std::string& target = artifacts.predictor->target();
  ordered_json full = predict::PredictionJson(p, target);
  ordered_json out;
  out["pred_" + target] = p.prediction.value;
  out["workload_kind"] = p.workload_kind;
  out["workload_name"] = p.workload_name;
  out["namespace"] = p.namespace_;
  out["spec_hash"] = p.spec_hash;
  const auto watts =
      WattsPerPod(p.prediction.value, target, options.step_seconds);
  out["predicted_watts"] = watts ? ordered_json(*watts) : ordered_json();
  out["model_fingerprint"] = artifacts.fingerprint;
  out["spread"] = std::move(full["spread"]);
  if (full.contains("interval")) out["interval"] = std::move(full["interval"]);
  out["decided_by_tie"] = std::move(full["decided_by_tie"]);
  out["neighbours"] = std::move(full["neighbours"]);
  return out;
}

ordered_json ParseJsonObject(const std::string& body) {
  ordered_json j;
  try {
    j = ordered_json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for numbers such as 1e400.
    throw BadRequest{400, std::string("body: invalid JSON: ") + e.what()};
  }
  if (!j.is_object()) {
    throw BadRequest{400, "body: expected an InferenceRequest v1 JSON object"};
  }
  return j;
}

// Workload records from manifest text, one per workload object: the
// documents and List items as the collector walks them
// (collect::ForEachManifestObject), with the API's statuses: 400 for text
// that is not a manifest or an object that is not a workload, 422 for a
// workload whose fields are wrong.
std::vector<io::InferenceRequest> ManifestRecords(const std::string& body) {
  std::vector<io::InferenceRequest> records;
  try {
    collect::ForEachManifestObject(
        body, "body",
        [&records](const nlohmann::json& object, const std::string& where) {
          // A string, as ForEachManifestObject promises.
          const std::string& kind =
              object["kind"].get_ref<const std::string&>();
          if (!collect::IsWorkloadKind(kind)) {
            throw BadRequest{
                400, fmt::format("{}: kind '{}' is not a workload (expected "
                                 "Deployment, StatefulSet, DaemonSet, "
                                 "ReplicaSet, Job, CronJob or Pod)",
                                 where, kind)};
          }
          try {
            records.push_back(collect::RecordFromObject(object, where));
          } catch (const Error& e) {
            throw BadRequest{422, e.what()};
          }
        });
  } catch (const Error& e) {
    throw BadRequest{400, e.what()};
  }
  if (records.empty()) {
    throw BadRequest{400, "body: no Kubernetes object found"};
  }
  return records;
}

// Predictions for many records, a piece at a time with the request's time
// budget checked between pieces (deadline.h): a batch past its budget stops
// within one piece instead of running to the end for nobody. Pieces are sized
// to take about kPieceTime each (a large model predicts fewer records in that
// time), so the check comes often whatever the model costs. Pieces give the
// same predictions as one call (each record is predicted on its own).
constexpr auto kPieceTime = std::chrono::milliseconds(20);
constexpr size_t kMaxPieceRecords = 256;
// Answers written between budget checks.
constexpr size_t kAnswersPerCheck = 64;

std::vector<predict::WorkloadPrediction> PredictInPieces(
    const predict::Predictor& predictor,
    const std::vector<io::InferenceRequest>& records) {
  RequestDeadline::Check();
  if (records.size() <= 1) return predictor.Predict(records);
  std::vector<predict::WorkloadPrediction> out;
  out.reserve(records.size());
  std::vector<io::InferenceRequest> piece;
  size_t size = 8;
  for (size_t begin = 0; begin < records.size();) {
    RequestDeadline::Check();
    const size_t end = std::min(records.size(), begin + size);
    piece.assign(records.begin() + static_cast<std::ptrdiff_t>(begin),
                 records.begin() + static_cast<std::ptrdiff_t>(end));
    const auto start = std::chrono::steady_clock::now();
    auto part = predictor.Predict(piece);
    const auto took = std::chrono::steady_clock::now() - start;
    for (auto& p : part) out.push_back(std::move(p));
    begin = end;
    // Next piece: scaled towards kPieceTime, at most doubling.
    const double per_record = std::chrono::duration<double>(took).count() /
                              static_cast<double>(piece.size());
    const double fit =
        per_record > 0
            ? std::chrono::duration<double>(kPieceTime).count() / per_record
            : static_cast<double>(kMaxPieceRecords);
    size = std::clamp<size_t>(
        static_cast<size_t>(std::min(fit, 2.0 * static_cast<double>(size))), 1,
        kMaxPieceRecords);
  }
  return out;
}

template <typename F>
ApiResponse Guard(F&& f) {
  try {
    return f();
  } catch (const BadRequest& e) {
    return ErrorResponse(e.status, e.reason);
  }
}

}  // namespace

ApiResponse ErrorResponse(int status, const std::string& reason) {
  ApiResponse r;
  r.status = status;
  // A parser's message may quote the client's bytes, which need not be UTF-8:
  // replaced (U+FFFD), so a refusal stays a valid JSON 4xx, never a 500.
  r.body = nlohmann::json{{"detail", reason}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
  return r;
}

ApiResponse HandlePredict(const std::string& body, const Artifacts& artifacts,
                          const ApiOptions& options) {
  return Guard([&] {
    const ordered_json object = ParseJsonObject(body);
    io::InferenceRequest record;
    try {
      record = io::ParseInferenceRequest(object, "body");
    } catch (const Error& e) {
      throw BadRequest{422, e.what()};
    }
    std::optional<predict::WorkloadPrediction> prediction;
    try {
      prediction = options.batcher != nullptr
                       ? options.batcher->Predict(*artifacts.predictor, record)
                       : artifacts.predictor->Predict({record}).at(0);
    } catch (const Error& e) {
      throw BadRequest{422, e.what()};
    }
    ApiResponse r;
    r.body = PredictOut(*prediction, artifacts, options).dump() + "\n";
    r.predictions = 1;
    return r;
  });
}

ApiResponse HandlePredictBatch(const std::string& body,
                               const Artifacts& artifacts,
                               const ApiOptions& options) {
  return Guard([&] {
    std::istringstream in(body);
    std::vector<io::InferenceRequest> records;
    try {
      records = io::ReadInferenceRequests(in, "body").records;
    } catch (const Error& e) {
      throw BadRequest{400, e.what()};
    }
    std::vector<predict::WorkloadPrediction> predictions;
    try {
      predictions = PredictInPieces(*artifacts.predictor, records);
    } catch (const Error& e) {
      throw BadRequest{422, e.what()};
    }
    ApiResponse r;
    r.content_type = "application/x-ndjson";
    for (size_t i = 0; i < predictions.size(); ++i) {
      if (i % kAnswersPerCheck == 0) RequestDeadline::Check();
      r.body += PredictOut(predictions[i], artifacts, options).dump() + "\n";
    }
    r.predictions = predictions.size();
    return r;
  });
}

ApiResponse HandlePredictFromYaml(const std::string& body,
                                  const Artifacts& artifacts,
                                  const ApiOptions& options) {
  return Guard([&] {
    const auto records = ManifestRecords(body);
    std::vector<predict::WorkloadPrediction> predictions;
    try {
      predictions = PredictInPieces(*artifacts.predictor, records);
    } catch (const Error& e) {
      throw BadRequest{422, e.what()};
    }
    ApiResponse r;
    if (predictions.size() == 1) {
      r.body = PredictOut(predictions[0], artifacts, options).dump() + "\n";
    } else {
      auto array = ordered_json::array();
      for (const auto& p : predictions)
        array.push_back(PredictOut(p, artifacts, options));
      r.body = array.dump() + "\n";
    }
    r.predictions = predictions.size();
    return r;
  });
}

ApiResponse HandleInferFromYaml(const std::string& body) {
  return Guard([&] {
    const auto records = ManifestRecords(body);
    ApiResponse r;
    if (records.size() == 1) {
      r.body = io::ToJson(records[0]).dump() + "\n";
    } else {
      auto array = ordered_json::array();
      for (const auto& record : records) array.push_back(io::ToJson(record));
      r.body = array.dump() + "\n";
    }
    return r;
  });
}

}  // namespace podpower::serve
