#include "serve/admission.h"

#include <fmt/format.h>

#include "collect/manifest.h"
#include "io/error.h"
#include "serve/watts.h"

namespace podpower::serve {
namespace {

using nlohmann::json;

constexpr const char* kAdmissionV1 = "admission.k8s.io/v1";

// "podpower.io/predicted-watts" as a JSON Pointer token (RFC 6901).
std::string PointerToken(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// The integer at `path` in `object`, or `fallback` when it is absent or null.
int64_t IntAt(const json& object, const json::json_pointer& path,
              int64_t fallback) {
  if (!object.contains(path)) return fallback;
  const json& v = object.at(path);
  if (v.is_null()) return fallback;
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    throw Error("field '" + path.to_string() +
                "': expected a non-negative integer, got " + v.dump());
  }
  return v.get<int64_t>();
}

// How many pods the workload runs at once; nullopt for a DaemonSet.
std::optional<int64_t> PodCount(const std::string& kind, const json& object) {
  if (kind == "Deployment" || kind == "StatefulSet")
    return IntAt(object, json::json_pointer("/spec/replicas"), 1);
  if (kind == "Job")
    return IntAt(object, json::json_pointer("/spec/parallelism"), 1);
  if (kind == "CronJob") {
    return IntAt(object,
                 json::json_pointer("/spec/jobTemplate/spec/parallelism"), 1);
  }
  if (kind == "Pod") return 1;
  return std::nullopt;  // DaemonSet: one per matching node
}

struct Answer {
  bool allowed = true;
  json patch;  // null: no patch
  std::vector<std::string> warnings;
  std::string deny_message;
};

json Review(const json& review, const std::string& uid, const Answer& a) {
  json response = {{"uid", uid}, {"allowed", a.allowed}};
  if (!a.patch.is_null()) {
    response["patchType"] = "JSONPatch";
    response["patch"] = Base64(a.patch.dump());
  }
  if (!a.warnings.empty()) response["warnings"] = a.warnings;
  if (!a.allowed) {
    response["status"] = {
        {"code", 403}, {"reason", "Forbidden"}, {"message", a.deny_message}};
  }
  std::string api_version = kAdmissionV1;
  if (review.contains("apiVersion") && review["apiVersion"].is_string())
    api_version = review["apiVersion"].get<std::string>();
  return {{"apiVersion", api_version},
          {"kind", "AdmissionReview"},
          {"response", std::move(response)}};
}

}  // namespace

std::string Base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) |
                 uint8_t(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

AdmissionResult Admit(const json& review, const Artifacts* artifacts,
                      const AdmissionOptions& options) {
  if (!review.is_object() || !review.contains("request") ||
      !review["request"].is_object() || !review["request"].contains("uid") ||
      !review["request"]["uid"].is_string()) {
    throw Error(
        "body: expected an admission.k8s.io/v1 AdmissionReview with "
        "request.uid");
  }
  const json& request = review["request"];
  const std::string uid = request["uid"].get<std::string>();
  AdmissionResult result;
  Answer answer;
  const auto version = review.find("apiVersion");
  const std::string api_version =
      version != review.end() && version->is_string()
          ? version->get<std::string>()
          : (version == review.end() ? "" : version->dump());
  if (api_version != kAdmissionV1) {
    answer.warnings.push_back("podpower: AdmissionReview " + api_version +
                              " not supported (expected " + kAdmissionV1 +
                              "); admitted without prediction");
    result.decision = "error";
    result.review = Review(review, uid, answer);
    return result;
  }
  try {
    const std::string operation = request.value("operation", "");
    const json& object =
        request.contains("object") ? request["object"] : json();
    std::string kind;
    if (object.is_object() && object.contains("kind") &&
        object["kind"].is_string()) {
      kind = object["kind"].get<std::string>();
    } else if (request.contains("kind") && request["kind"].is_object()) {
      kind = request["kind"].value("kind", "");
    }
    if (operation != "CREATE" && operation != "UPDATE") {
      result.decision = "skipped";
      result.review = Review(review, uid, answer);
      return result;
    }
    if (kind == "ReplicaSet" || !collect::IsWorkloadKind(kind)) {
      answer.warnings.push_back("podpower: kind '" + kind +
                                "' is not predicted (Deployment, StatefulSet, "
                                "DaemonSet, Job, CronJob, Pod are)");
      result.decision = "skipped";
      result.review = Review(review, uid, answer);
      return result;
    }
    if (!object.is_object()) throw Error("request.object: missing");
    if (artifacts == nullptr) throw Error("no model loaded");
    // On CREATE the namespace may be absent from the object: it comes from
    // the request URL, which the API server reports in request.namespace.
    json named = object;
    if (request.contains("namespace") && request["namespace"].is_string() &&
        named["metadata"].value("namespace", "").empty()) {
      named["metadata"]["namespace"] = request["namespace"];
    }
    const std::string ns = named["metadata"].value("namespace", "");
    const std::string name = named["metadata"].value("name", "");
    const auto record = collect::RecordFromObject(
        named, fmt::format("{} {}/{}", kind, ns, name));
    const auto predictions = artifacts->predictor->Predict({record});
    result.predictions = 1;
    const std::string& target = artifacts->predictor->target();
    const auto watts = WattsPerPod(predictions.at(0).prediction.value, target,
                                   options.step_seconds);
    if (!watts) {
      throw Error("the model predicts " + target +
                  ", which cannot be converted to watts");
    }
    const auto pods = PodCount(kind, object);
    std::optional<double> total;
    if (pods) total = *watts * static_cast<double>(*pods);

    std::vector<std::pair<std::string, std::string>> annotations = {
        {kWattsAnnotation, FormatWatts(*watts)}};
    if (total) annotations.emplace_back(kTotalAnnotation, FormatWatts(*total));
    annotations.emplace_back(kFingerprintAnnotation, artifacts->fingerprint);
    json patch = json::array();
    const json& metadata =
        object.contains("metadata") ? object["metadata"] : json::object();
    if (metadata.contains("annotations") &&
        metadata["annotations"].is_object()) {
      for (const auto& [k, v] : annotations) {
        patch.push_back({{"op", "add"},
                         {"path", "/metadata/annotations/" + PointerToken(k)},
                         {"value", v}});
      }
    } else {
      json values = json::object();
      for (const auto& [k, v] : annotations) values[k] = v;
      patch.push_back({{"op", "add"},
                       {"path", "/metadata/annotations"},
                       {"value", std::move(values)}});
    }
    answer.patch = std::move(patch);
    result.decision = "patched";

    const double workload_watts = total.value_or(*watts);
    const auto budget =
        options.budgets ? options.budgets->For(ns) : std::nullopt;
    if (budget && workload_watts > *budget) {
      const std::string message = fmt::format(
          "podpower: {} {}/{} is predicted to draw {} W, above the budget of "
          "namespace {} ({} W)",
          kind, ns, name, FormatWatts(workload_watts), ns,
          FormatWatts(*budget));
      if (options.budget_mode == BudgetMode::kDeny) {
        answer.allowed = false;
        answer.patch = nullptr;
        answer.deny_message = message;
        result.decision = "denied";
      } else {
        answer.warnings.push_back(message);
        result.decision = "warned";
      }
    }
  } catch (const std::exception& e) {
    answer = Answer{};
    answer.warnings.push_back(std::string("podpower: no prediction (") +
                              e.what() + "); admitted unchanged");
    result.decision = "error";
  }
  result.review = Review(review, uid, answer);
  return result;
}

}  // namespace podpower::serve
