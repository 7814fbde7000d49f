#include "predict/prediction_output.h"

#include <fmt/format.h>

#include <algorithm>

#include "io/error.h"

namespace podpower::predict {

Format ParseFormat(const std::string& text) {
  if (text == "json") return Format::kJson;
  if (text == "ndjson") return Format::kNdjson;
  if (text == "table") return Format::kTable;
  throw Error("--format: expected json, ndjson or table, got '" + text + "'");
}

std::string TargetUnit(const std::string& target) {
  if (target == "avg_power_w") return "W";
  if (target == "energy_step_j") return "J/step";
  if (target == "total_energy_j") return "J";
  return "";
}

nlohmann::ordered_json PredictionJson(const WorkloadPrediction& p,
                                      const std::string& target) {
  nlohmann::ordered_json j;
  j["namespace"] = p.namespace_;
  j["workload_kind"] = p.workload_kind;
  j["workload_name"] = p.workload_name;
  j["_spec_hash"] = p.spec_hash;
  j["pred_" + target] = p.prediction.value;
  j["spread"] = {{"std", p.prediction.label_std},
                 {"min", p.prediction.label_min},
                 {"max", p.prediction.label_max}};
  if (p.prediction.has_interval) {
    j["interval"] = {{"level", p.prediction.interval_level},
                     {"low", p.prediction.interval_low},
                     {"high", p.prediction.interval_high}};
  }
  j["decided_by_tie"] = p.prediction.decided_by_tie;
  if (p.prediction.blended) {
    nlohmann::ordered_json candidates, weights;
    for (size_t c = 0; c < model::kCandidateCount; ++c) {
      candidates[model::CandidateName(c)] = p.prediction.candidates[c];
      weights[model::CandidateName(c)] = p.prediction.blend.w[c];
    }
    j["model"] = {{"candidates", std::move(candidates)},
                  {"weights", std::move(weights)},
                  {"per_core", p.prediction.intensity},
                  {"new_family", p.prediction.new_family},
                  {"explanation", p.prediction.explanation}};
  }
  auto neighbours = nlohmann::ordered_json::array();
  for (const auto& n : p.prediction.neighbours) {
    neighbours.push_back(nlohmann::ordered_json{{"workload", n.workload},
                                                {"distance", n.distance},
                                                {"label", n.label},
                                                {"weight", n.weight}});
  }
  j["neighbours"] = std::move(neighbours);
  return j;
}

namespace {

// Neighbours as "name (n)" in order of first appearance, so tied copies of one
// workload read as one entry.
std::string NearestWorkloads(const model::Prediction& p, size_t limit) {
  std::vector<std::pair<std::string, int>> seen;
  for (const auto& n : p.neighbours) {
    auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& s) {
      return s.first == n.workload;
    });
    if (it == seen.end()) {
      seen.emplace_back(n.workload, 1);
    } else {
      ++it->second;
    }
  }
  std::string out;
  for (size_t i = 0; i < seen.size() && i < limit; ++i) {
    if (!out.empty()) out += ", ";
    out += seen[i].first;
    if (seen[i].second > 1) out += fmt::format(" x{}", seen[i].second);
  }
  if (seen.size() > limit)
    out += fmt::format(", +{} more", seen.size() - limit);
  return out;
}

std::string Table(const std::vector<WorkloadPrediction>& predictions,
                  const std::string& target) {
  const std::string unit = TargetUnit(target);
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"NAMESPACE", "KIND", "WORKLOAD", "PREDICTED " + target,
                  "SPREAD (min-max)", "NEAREST TRAINING WORKLOADS"});
  const bool intervals =
      !predictions.empty() && predictions.front().prediction.has_interval;
  if (intervals) {
    rows[0].insert(
        rows[0].begin() + 4,
        fmt::format("{:.0f}% INTERVAL",
                    100 * predictions.front().prediction.interval_level));
  }
  for (const auto& p : predictions) {
    const auto& q = p.prediction;
    rows.push_back({p.namespace_, p.workload_kind, p.workload_name,
                    fmt::format("{:.2f} {}{}", q.value, unit,
                                q.decided_by_tie ? " *" : ""),
                    fmt::format("±{:.2f} ({:.2f}-{:.2f})", q.label_std,
                                q.label_min, q.label_max),
                    NearestWorkloads(q, 3)});
    if (intervals) {
      rows.back().insert(
          rows.back().begin() + 4,
          q.has_interval
              ? fmt::format("{:.2f}-{:.2f}", q.interval_low, q.interval_high)
              : std::string("-"));
    }
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size())
        line += std::string(width[c] - r[c].size() + 2, ' ');
    }
    out += line + "\n";
  }
  if (std::any_of(predictions.begin(), predictions.end(),
                  [](const auto& p) { return p.prediction.blended; })) {
    out +=
        "how each prediction was made (blend weights chosen by grouped "
        "cross-validation):\n";
    for (const auto& p : predictions) {
      if (!p.prediction.blended) continue;
      out +=
          fmt::format("  {}/{}: {}{}\n", p.namespace_, p.workload_name,
                      p.prediction.explanation,
                      p.prediction.new_family ? " (new software family)" : "");
    }
  }
  if (std::any_of(predictions.begin(), predictions.end(),
                  [](const auto& p) { return p.prediction.decided_by_tie; })) {
    out +=
        "* more training rows were tied at the k-th distance than slots left; "
        "they shared "
        "the weight\n";
  }
  return out;
}

}  // namespace

std::string FormatPredictions(
    const std::vector<WorkloadPrediction>& predictions,
    const std::string& target, Format format) {
  switch (format) {
    case Format::kTable:
      return Table(predictions, target);
    case Format::kNdjson: {
      std::string out;
      for (const auto& p : predictions)
        out += PredictionJson(p, target).dump() + "\n";
      return out;
    }
    case Format::kJson:
    default: {
      auto array = nlohmann::ordered_json::array();
      for (const auto& p : predictions)
        array.push_back(PredictionJson(p, target));
      return array.dump(2) + "\n";
    }
  }
}

}  // namespace podpower::predict
