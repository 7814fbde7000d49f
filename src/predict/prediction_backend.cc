#include "predict/prediction_backend.h"

#include <cstdlib>
#include <sstream>

#include "http/client.h"
#include "io/error.h"

namespace podpower::predict {
namespace {

const nlohmann::json& Field(const nlohmann::json& object, const char* key,
                            nlohmann::json::value_t type,
                            const std::string& where) {
  auto it = object.find(key);
  const bool number_wanted = type == nlohmann::json::value_t::number_float;
  if (it == object.end() ||
      (number_wanted ? !it->is_number() : it->type() != type)) {
    throw Error(where + ": field '" + key + "': expected " +
                (number_wanted                              ? "a number"
                 : type == nlohmann::json::value_t::string  ? "a string"
                 : type == nlohmann::json::value_t::boolean ? "true or false"
                 : type == nlohmann::json::value_t::array   ? "an array"
                                                            : "an object") +
                (it == object.end() ? ", missing" : ", got " + it->dump()));
  }
  return *it;
}

double Number(const nlohmann::json& object, const char* key,
              const std::string& where) {
  return Field(object, key, nlohmann::json::value_t::number_float, where)
      .get<double>();
}

std::string Text(const nlohmann::json& object, const char* key,
                 const std::string& where) {
  return Field(object, key, nlohmann::json::value_t::string, where)
      .get<std::string>();
}

}  // namespace

WorkloadPrediction PredictionFromServeJson(const nlohmann::json& object,
                                           const std::string& where,
                                           std::string* target) {
  if (!object.is_object()) throw Error(where + ": expected a JSON object");
  WorkloadPrediction p;
  bool found = false;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.key().rfind("pred_", 0) == 0 && it.key().size() > 5) {
      if (!it->is_number()) {
        throw Error(where + ": field '" + it.key() + "': expected a number");
      }
      *target = it.key().substr(5);
      p.prediction.value = it->get<double>();
      found = true;
      break;
    }
  }
  if (!found) throw Error(where + ": no pred_<target> field");
  p.namespace_ = Text(object, "namespace", where);
  p.workload_kind = Text(object, "workload_kind", where);
  p.workload_name = Text(object, "workload_name", where);
  p.spec_hash = Text(object, "spec_hash", where);
  const auto& spread =
      Field(object, "spread", nlohmann::json::value_t::object, where);
  p.prediction.label_std = Number(spread, "std", where + ": spread");
  p.prediction.label_min = Number(spread, "min", where + ": spread");
  p.prediction.label_max = Number(spread, "max", where + ": spread");
  if (object.contains("interval")) {
    const auto& interval =
        Field(object, "interval", nlohmann::json::value_t::object, where);
    p.prediction.has_interval = true;
    p.prediction.interval_level =
        Number(interval, "level", where + ": interval");
    p.prediction.interval_low = Number(interval, "low", where + ": interval");
    p.prediction.interval_high = Number(interval, "high", where + ": interval");
  }
  p.prediction.decided_by_tie =
      Field(object, "decided_by_tie", nlohmann::json::value_t::boolean, where)
          .get<bool>();
  const auto& neighbours =
      Field(object, "neighbours", nlohmann::json::value_t::array, where);
  for (size_t i = 0; i < neighbours.size(); ++i) {
    const std::string at = where + ": neighbours[" + std::to_string(i) + "]";
    model::Neighbour n;
    n.workload = Text(neighbours[i], "workload", at);
    n.distance = Number(neighbours[i], "distance", at);
    n.label = Number(neighbours[i], "label", at);
    n.weight = Number(neighbours[i], "weight", at);
    p.prediction.neighbours.push_back(std::move(n));
  }
  p.prediction.neighbour_count = p.prediction.neighbours.size();
  // The blend, when the server sends it (PredictionJson's "model" object).
  if (object.contains("model")) {
    const std::string at = where + ": model";
    const auto& m =
        Field(object, "model", nlohmann::json::value_t::object, where);
    const auto& candidates =
        Field(m, "candidates", nlohmann::json::value_t::object, at);
    const auto& weights =
        Field(m, "weights", nlohmann::json::value_t::object, at);
    for (size_t c = 0; c < model::kCandidateCount; ++c) {
      const std::string name = model::CandidateName(c);
      p.prediction.candidates[c] =
          Number(candidates, name.c_str(), at + ": candidates");
      p.prediction.blend.w[c] = Number(weights, name.c_str(), at + ": weights");
    }
    p.prediction.intensity = Number(m, "per_core", at);
    p.prediction.new_family =
        Field(m, "new_family", nlohmann::json::value_t::boolean, at)
            .get<bool>();
    p.prediction.explanation = Text(m, "explanation", at);
    p.prediction.blended = true;
  }
  return p;
}

PredictionSet PredictRemote(const std::string& server,
                            const std::vector<io::InferenceRequest>& records,
                            std::chrono::milliseconds timeout) {
  std::string base =
      server.find("://") == std::string::npos ? "http://" + server : server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  http::Request request;
  request.method = "POST";
  request.url = base + "/predict/batch";
  request.headers = {{"Content-Type", "application/x-ndjson"}};
  request.body = io::FormatInferenceRequests(records);
  request.timeout = timeout;
  const std::string where = "--server " + http::RedactUrl(request.url);
  http::Client client({});
  const http::Response response = client.Do(request);
  if (response.status != 200) {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    const std::string detail = body.is_object() && body.contains("detail") &&
                                       body["detail"].is_string()
                                   ? body["detail"].get<std::string>()
                                   : response.body.substr(0, 200);
    throw Error(where + ": HTTP " + std::to_string(response.status) + ": " +
                detail);
  }
  PredictionSet set;
  std::istringstream lines(response.body);
  std::string line;
  size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string at = where + ": answer line " + std::to_string(number);
    auto object = nlohmann::json::parse(line, nullptr, false);
    if (object.is_discarded()) throw Error(at + ": not JSON");
    std::string target;
    set.predictions.push_back(PredictionFromServeJson(object, at, &target));
    if (set.target.empty()) set.target = target;
    if (target != set.target) {
      throw Error(at + ": target " + target + " after " + set.target);
    }
  }
  if (set.predictions.size() != records.size()) {
    throw Error(where + ": " + std::to_string(set.predictions.size()) +
                " predictions for " + std::to_string(records.size()) +
                " workloads");
  }
  return set;
}

Backend BackendWithEnvironment(Backend given) {
  if (!given.server.empty() || !given.encoder.empty() || !given.model.empty()) {
    return given;
  }
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  given.server = env("PODPOWER_SERVER");
  if (given.server.empty()) {
    given.encoder = env("ENCODER_PATH");
    given.model = env("MODEL_PATH");
  }
  return given;
}

PredictionSet PredictWorkloads(const std::vector<io::InferenceRequest>& records,
                               const Backend& backend) {
  const bool local = !backend.encoder.empty() || !backend.model.empty();
  if (!backend.server.empty() && local) {
    throw Error(
        "--server and --encoder/--model: give one (a running podpower serve, "
        "or local artifacts)");
  }
  if (!backend.server.empty()) {
    return PredictRemote(backend.server, records, backend.timeout);
  }
  if (backend.encoder.empty() || backend.model.empty()) {
    throw Error(
        "no model: give --server URL (a running podpower serve) or both "
        "--encoder and --model (or set PODPOWER_SERVER, or ENCODER_PATH and "
        "MODEL_PATH)");
  }
  auto predictor =
      Predictor::Load(backend.encoder, backend.model, backend.sbert_model);
  return {predictor->target(), predictor->Predict(records)};
}

}  // namespace podpower::predict
