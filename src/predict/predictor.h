// Predictor: an encoder and a model that belong together, turning workload
// specs into watts.
//
// Predict is what `podpower predict` and `podpower serve` call. A Predictor
// owns its encoder and model and is immutable after Load, so Predict may run on
// many threads at once. Load refuses a pair that does not fit together (feature
// dimensions differ).
#ifndef PODPOWER_PREDICT_PREDICTOR_H_
#define PODPOWER_PREDICT_PREDICTOR_H_

#include <memory>
#include <string>
#include <vector>

#include "encode/encoder.h"
#include "io/inference_request.h"
#include "model/knn.h"

namespace podpower::predict {

// One workload's prediction, with the keys the original prints.
struct WorkloadPrediction {
  std::string namespace_;
  std::string workload_kind;
  std::string workload_name;
  std::string spec_hash;
  model::Prediction prediction;
};

class Predictor {
 public:
  // Reads both artifacts. `sbert_model` is the sentence-model folder when the
  // encoder was fitted with one ("" otherwise). Throws podpower::Error naming
  // the file at fault, or both when their feature dimensions differ.
  static std::shared_ptr<const Predictor> Load(
      const std::string& encoder_path, const std::string& model_path,
      const std::string& sbert_model = "");
  Predictor(encode::Encoder encoder, model::KnnModel model);

  // One prediction per record, in order, each with its neighbours (training
  // workload, distance, label, weight) and their spread, and for a default
  // model its blend (model/default_model.h: candidates, weights, the record's
  // own CPU cores and family). Throws podpower::Error for a record the
  // encoder rejects.
  std::vector<WorkloadPrediction> Predict(
      const std::vector<io::InferenceRequest>& records) const;

  const encode::Encoder& encoder() const { return encoder_; }
  const model::KnnModel& model() const { return model_; }
  // The model's target, e.g. "energy_step_j"; output fields are
  // "pred_<target>".
  const std::string& target() const { return model_.metadata().target; }

 private:
  encode::Encoder encoder_;
  model::KnnModel model_;
};

}  // namespace podpower::predict

#endif  // PODPOWER_PREDICT_PREDICTOR_H_
