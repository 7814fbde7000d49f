// Predictor and its output: the prediction for a record is the model's answer
// for the encoder's features, whichever way the record arrives (NDJSON or a
// manifest), and the JSON keeps the original's field names in front.
#include "predict/predictor.h"

#include <gtest/gtest.h>

#include "io/error.h"
#include "predict/prediction_output.h"
#include "predict/workload_input.h"

namespace podpower::predict {
namespace {

const std::string kData = std::string(PODPOWER_SOURCE_DIR) + "/examples/data/";

struct Fixture {
  std::vector<io::InferenceRequest> records;
  std::shared_ptr<const Predictor> predictor;
};

// An encoder fitted on cluster-b's records and a model whose label is the
// summed CPU request, so the expected prediction can be computed here from the
// neighbours alone.
Fixture MakeFixture(model::Metric metric) {
  Fixture f;
  f.records =
      io::ReadInferenceRequests(kData + "cluster-b/inference_requests.ndjson")
          .records;
  auto encoder = encode::Encoder::Fit(
      f.records, std::make_shared<encode::HashedTextEmbedder>(32));
  model::TrainingRows rows;
  rows.dim = encoder.dim();
  rows.features = encoder.TransformMany(f.records);
  for (const auto& r : f.records) {
    rows.labels.push_back(encode::NumericFeatures(r)[3] / 10.0 + 1.0);
    rows.workloads.push_back(r.workload_name);
  }
  model::KnnOptions options;
  options.k = 3;
  options.metric = metric;
  model::KnnMetadata metadata;
  metadata.target = "avg_power_w";
  auto model = model::KnnModel::Fit(rows, options, metadata);
  f.predictor =
      std::make_shared<Predictor>(std::move(encoder), std::move(model));
  return f;
}

TEST(Predictor, prediction_equals_model_answer_for_encoded_record) {
  for (auto metric : {model::Metric::kCosine, model::Metric::kEuclidean}) {
    auto f = MakeFixture(metric);
    auto predictions = f.predictor->Predict(f.records);
    ASSERT_EQ(predictions.size(), f.records.size());
    for (size_t i = 0; i < f.records.size(); ++i) {
      auto features = f.predictor->encoder().Transform(f.records[i]);
      auto expected = f.predictor->model().Predict(features);
      EXPECT_DOUBLE_EQ(predictions[i].prediction.value, expected.value) << i;
      EXPECT_EQ(predictions[i].spec_hash, io::SpecHash(f.records[i]));
      EXPECT_EQ(predictions[i].workload_name, f.records[i].workload_name);
      double weight = 0;
      for (const auto& n : predictions[i].prediction.neighbours)
        weight += n.weight;
      EXPECT_NEAR(weight, 1.0, 1e-12);
    }
  }
}

TEST(Predictor, json_output_starts_with_the_original_fields) {
  auto f = MakeFixture(model::Metric::kCosine);
  auto predictions = f.predictor->Predict({f.records[0]});
  auto j = PredictionJson(predictions[0], "avg_power_w");
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  ASSERT_GE(keys.size(), 5u);
  EXPECT_EQ(
      std::vector<std::string>(keys.begin(), keys.begin() + 5),
      (std::vector<std::string>{"namespace", "workload_kind", "workload_name",
                                "_spec_hash", "pred_avg_power_w"}));
  auto array = nlohmann::json::parse(
      FormatPredictions(predictions, "avg_power_w", Format::kJson));
  ASSERT_TRUE(array.is_array());
  EXPECT_DOUBLE_EQ(array[0]["pred_avg_power_w"].get<double>(),
                   predictions[0].prediction.value);
  EXPECT_EQ(array[0]["neighbours"].size(),
            predictions[0].prediction.neighbours.size());
}

TEST(Predictor, manifest_and_ndjson_inputs_give_the_same_prediction) {
  auto f = MakeFixture(model::Metric::kEuclidean);
  const std::string manifest = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      containers:
        - name: coredns
          image: registry.k8s.io/coredns/coredns:v1.11.1
          args: ["-conf", "/etc/coredns/Corefile"]
          resources:
            requests: {cpu: 100m, memory: 70Mi}
            limits: {memory: 170Mi}
)";
  auto from_yaml = WorkloadsFromText(manifest, "coredns.yaml");
  ASSERT_EQ(from_yaml.size(), 1u);
  auto ndjson = io::FormatInferenceRequests(from_yaml);
  auto from_ndjson = WorkloadsFromText(ndjson, "coredns.ndjson");
  ASSERT_EQ(from_ndjson.size(), 1u);
  auto a = f.predictor->Predict(from_yaml);
  auto b = f.predictor->Predict(from_ndjson);
  EXPECT_EQ(a[0].prediction.value, b[0].prediction.value);
  EXPECT_EQ(a[0].spec_hash, b[0].spec_hash);
}

TEST(Predictor, encoder_and_model_of_different_widths_are_refused) {
  auto f = MakeFixture(model::Metric::kCosine);
  auto other = encode::Encoder::Fit(f.records, nullptr);
  model::KnnModel model = f.predictor->model();
  try {
    Predictor p(std::move(other), std::move(model));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("do not belong together"),
              std::string::npos)
        << e.what();
  }
}

TEST(Predictor, malformed_ndjson_line_is_named) {
  const std::string text =
      io::FormatInferenceRequests(
          io::ReadInferenceRequests(kData +
                                    "cluster-b/inference_requests.ndjson")
              .records) +
      "{\"schema_version\": \"v1\", oops\n";
  try {
    WorkloadsFromText(text, "in.ndjson");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("in.ndjson:23:"), std::string::npos)
        << e.what();
  }
}

TEST(Predictor, table_lists_every_workload) {
  auto f = MakeFixture(model::Metric::kCosine);
  auto predictions = f.predictor->Predict(f.records);
  auto table = FormatPredictions(predictions, "avg_power_w", Format::kTable);
  for (const auto& r : f.records)
    EXPECT_NE(table.find(r.workload_name), std::string::npos);
  EXPECT_EQ(
      std::count(table.begin(), table.end(), '\n'),
      static_cast<long>(predictions.size()) + 1 +
          (table.find("* more training rows") != std::string::npos ? 1 : 0));
}

}  // namespace
}  // namespace podpower::predict
