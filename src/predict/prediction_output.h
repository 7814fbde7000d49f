// How predictions are printed: the original's JSON fields first, then what
// podpower adds.
//
// JSON object per workload, in this key order: namespace, workload_kind,
// workload_name, _spec_hash, pred_<target> (the original predict_k8s.py
// fields), then spread {std, min, max} of the neighbours' labels, interval
// {level, low, high} (only from models with a calibrated interval),
// decided_by_tie, and neighbours [{workload, distance, label, weight}], nearest
// first. Formats: json (an array, like the original), ndjson (one object per
// line), table (aligned columns for people). Pure functions; thread-safe.
#ifndef PODPOWER_PREDICT_PREDICTION_OUTPUT_H_
#define PODPOWER_PREDICT_PREDICTION_OUTPUT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "predict/predictor.h"

namespace podpower::predict {

enum class Format { kJson, kNdjson, kTable };

// "json" | "ndjson" | "table"; throws podpower::Error naming --format
// otherwise.
Format ParseFormat(const std::string& text);

// "W" for avg_power_w, "J/step" for energy_step_j, "J" for total_energy_j, ""
// otherwise.
std::string TargetUnit(const std::string& target);

nlohmann::ordered_json PredictionJson(const WorkloadPrediction& p,
                                      const std::string& target);

std::string FormatPredictions(
    const std::vector<WorkloadPrediction>& predictions,
    const std::string& target, Format format);

}  // namespace podpower::predict

#endif  // PODPOWER_PREDICT_PREDICTION_OUTPUT_H_
