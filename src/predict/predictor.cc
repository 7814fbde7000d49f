#include "predict/predictor.h"

#include <fmt/format.h>

#include "io/error.h"
#include "model/default_model.h"
#include "model/workload_traits.h"

namespace podpower::predict {

Predictor::Predictor(encode::Encoder encoder, model::KnnModel model)
    : encoder_(std::move(encoder)), model_(std::move(model)) {
  if (encoder_.dim() != model_.dim()) {
    throw Error(
        fmt::format("encoder makes {} features but the model was trained on "
                    "{}: they do not belong together",
                    encoder_.dim(), model_.dim()));
  }
}

std::shared_ptr<const Predictor> Predictor::Load(
    const std::string& encoder_path, const std::string& model_path,
    const std::string& sbert_model) {
  auto encoder = encode::Encoder::Load(encoder_path);
  if (!sbert_model.empty()) {
    encoder.AttachTextEmbedder(encode::MakeSentenceEmbedder(sbert_model));
  }
  auto model = model::KnnModel::Load(model_path);
  try {
    return std::make_shared<const Predictor>(std::move(encoder),
                                             std::move(model));
  } catch (const Error& e) {
    throw Error(encoder_path + " and " + model_path + ": " + e.what());
  }
}

std::vector<WorkloadPrediction> Predictor::Predict(
    const std::vector<io::InferenceRequest>& records) const {
  std::vector<WorkloadPrediction> out;
  if (records.empty()) return out;
  // One batched transform and one batched search: the encoder embeds texts in
  // batches and the model shares one sgemm across queries.
  const std::vector<float> features = encoder_.TransformMany(records);
  std::vector<model::WorkloadTraits> traits;
  traits.reserve(records.size());
  for (const auto& r : records) traits.push_back(model::TraitsOf(r));
  std::vector<model::Prediction> predictions = model::PredictPower(
      model_, features, records.size(), &traits, /*with_neighbours=*/true);
  out.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    out.push_back({r.namespace_, r.workload_kind, r.workload_name,
                   io::SpecHash(r), std::move(predictions[i])});
  }
  return out;
}

}  // namespace podpower::predict
