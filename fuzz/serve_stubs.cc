// Link-time stand-ins for the prediction side of src/serve/api.cc and
// admission.cc, used by the serve_yaml and admission fuzz targets only (never
// by the replay build, which links the real podpower_serve). Those targets
// reach no prediction (HandleInferFromYaml has no model; Admit is given none),
// so compiling the encoder, the model and the sentence-embedding code with
// sanitizers would cost minutes on a 2-core machine for code these inputs
// never run. Should a change make them reachable, the stand-in aborts, and
// libFuzzer reports the input that got there.
#include <cstdio>
#include <cstdlib>

#include "predict/prediction_output.h"
#include "predict/predictor.h"
#include "serve/batcher.h"

namespace {

[[noreturn]] void Unreachable(const char* what) {
  std::fprintf(stderr, "fuzz: %s reached; link the real predictor\n", what);
  std::abort();
}

}  // namespace

namespace podpower::predict {

std::vector<WorkloadPrediction> Predictor::Predict(
    const std::vector<io::InferenceRequest>&) const {
  Unreachable("Predictor::Predict");
}

nlohmann::ordered_json PredictionJson(const WorkloadPrediction&,
                                      const std::string&) {
  Unreachable("PredictionJson");
}

}  // namespace podpower::predict

namespace podpower::serve {

predict::WorkloadPrediction PredictionBatcher::Predict(
    const predict::Predictor&, const io::InferenceRequest&) {
  Unreachable("PredictionBatcher::Predict");
}

}  // namespace podpower::serve
