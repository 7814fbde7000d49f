// podpower serve over loopback, driven by the project's libcurl client (the
// peer real users have): every endpoint, the original service's field names,
// error codes and limits, /metrics checked by promtool, hot reload with a good
// and a broken file, TLS, and a stop that lets a request in flight finish.
#include "serve/server.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "collect/manifest.h"
#include "http/client.h"
#include "io/error.h"
#include "io/testing.h"
#include "serve/test_fixture.h"
#include "serve/watts.h"

namespace podpower::serve {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const char* kManifest = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: nginx
          image: nginx:1.25
          resources:
            requests: {cpu: 250m, memory: 128Mi}
)";

const char* kJobManifest = R"(apiVersion: batch/v1
kind: Job
metadata: {name: etl, namespace: batch}
spec:
  template:
    spec:
      containers:
        - {name: etl, image: "python:3.12", command: [python, etl.py]}
)";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteArtifacts(dir_.path(), "energy_step_j", 1.0);
    options_.artifacts = {dir_.File("encoder.ppenc"), dir_.File("model.ppknn"),
                          ""};
    options_.watch_interval = std::chrono::milliseconds(50);
    options_.max_body_bytes = 64 * 1024;
  }
  void TearDown() override { server_.Stop(); }

  void Start() {
    server_.Start(options_);
    base_ = "http://127.0.0.1:" + std::to_string(server_.port());
  }

  http::Response Post(const std::string& path, const std::string& body) {
    return testing::Post(client_, base_ + path, body);
  }
  http::Response Get(const std::string& path) {
    http::Request r;
    r.url = base_ + path;
    r.timeout = std::chrono::seconds(30);
    return client_.Do(r);
  }

  // The library's own prediction for `record`, the reference for the server.
  double LibraryValue(const io::InferenceRequest& record,
                      const std::string& encoder, const std::string& model) {
    return predict::Predictor::Load(encoder, model)
        ->Predict({record})[0]
        .prediction.value;
  }

  // Polls /predict until its value differs from `old` (the watcher reloads
  // in the background), up to ~10 s.
  json WaitForChange(const std::string& record_json, double old) {
    json answer;
    for (int i = 0; i < 200; ++i) {
      answer = json::parse(Post("/predict", record_json).body);
      if (answer["pred_energy_step_j"].get<double>() != old) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return answer;
  }

  testing::TempDir dir_;
  ServerOptions options_;
  Server server_;
  http::Client client_{http::ClientOptions{}};
  std::string base_;
};

TEST_F(ServerTest, predict_answers_the_original_fields_first_in_order) {
  Start();
  const auto records = testing::ClusterBRecords();
  const auto& record = records[3];
  auto response = Post("/predict", record.raw.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("Content-Type"), "application/json");
  const ordered_json answer = ordered_json::parse(response.body);
  std::vector<std::string> keys;
  for (const auto& [k, v] : answer.items()) keys.push_back(k);
  ASSERT_GE(keys.size(), 5u);
  // The original FastAPI service's PredictOut, in its order.
  EXPECT_EQ(
      std::vector<std::string>(keys.begin(), keys.begin() + 5),
      (std::vector<std::string>{"pred_energy_step_j", "workload_kind",
                                "workload_name", "namespace", "spec_hash"}));
  EXPECT_EQ(answer["workload_name"], record.workload_name);
  EXPECT_EQ(answer["namespace"], record.namespace_);
  EXPECT_EQ(answer["spec_hash"], io::SpecHash(record));
  const double expected = LibraryValue(record, options_.artifacts.encoder,
                                       options_.artifacts.model);
  EXPECT_DOUBLE_EQ(answer["pred_energy_step_j"].get<double>(), expected);
  EXPECT_DOUBLE_EQ(answer["predicted_watts"].get<double>(), expected / 60);
  EXPECT_EQ(answer["model_fingerprint"].get<std::string>().size(), 16u);
  EXPECT_EQ(answer["neighbours"].size(), 3u);
  EXPECT_TRUE(answer["spread"].contains("std"));
}

TEST_F(ServerTest, batch_answers_one_ndjson_line_per_record_in_order) {
  options_.max_body_bytes = 1 << 20;
  Start();
  const auto records = testing::ClusterBRecords();
  auto response = Post("/predict/batch", io::FormatInferenceRequests(records));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("Content-Type"), "application/x-ndjson");
  std::istringstream lines(response.body);
  std::string line;
  size_t i = 0;
  auto predictor = predict::Predictor::Load(options_.artifacts.encoder,
                                            options_.artifacts.model);
  const auto expected = predictor->Predict(records);
  while (std::getline(lines, line)) {
    ASSERT_LT(i, records.size());
    auto answer = json::parse(line);
    EXPECT_EQ(answer["workload_name"], records[i].workload_name);
    EXPECT_DOUBLE_EQ(answer["pred_energy_step_j"].get<double>(),
                     expected[i].prediction.value);
    ++i;
  }
  EXPECT_EQ(i, records.size());
}

TEST_F(ServerTest, from_yaml_predicts_each_workload_document) {
  Start();
  auto one = Post("/predict/from-yaml", kManifest);
  ASSERT_EQ(one.status, 200) << one.body;
  auto answer = json::parse(one.body);
  ASSERT_TRUE(answer.is_object());
  EXPECT_EQ(answer["workload_kind"], "Deployment");
  EXPECT_EQ(answer["workload_name"], "web");
  const auto record = collect::RecordsFromManifest(kManifest, "m.yaml")[0];
  EXPECT_EQ(answer["spec_hash"], io::SpecHash(record));
  EXPECT_DOUBLE_EQ(answer["pred_energy_step_j"].get<double>(),
                   LibraryValue(record, options_.artifacts.encoder,
                                options_.artifacts.model));

  auto two = Post("/predict/from-yaml",
                  std::string(kManifest) + "---\n" + kJobManifest);
  ASSERT_EQ(two.status, 200) << two.body;
  auto array = json::parse(two.body);
  ASSERT_TRUE(array.is_array());
  ASSERT_EQ(array.size(), 2u);
  EXPECT_EQ(array[1]["workload_kind"], "Job");
  EXPECT_EQ(array[1]["workload_name"], "etl");
}

TEST_F(ServerTest, infer_from_yaml_returns_the_collectors_records) {
  Start();
  auto response = Post("/infer/from-yaml", kJobManifest);
  ASSERT_EQ(response.status, 200) << response.body;
  const auto expected = collect::RecordsFromManifest(kJobManifest, "j.yaml");
  EXPECT_EQ(ordered_json::parse(response.body), io::ToJson(expected[0]));
  EXPECT_EQ(ordered_json::parse(response.body)["schema_version"], "v1");
}

// Lists, nested ones included, are walked by the collector's own code
// (collect::ForEachManifestObject): the server's records are the collector's.
TEST_F(ServerTest, infer_from_yaml_expands_lists_as_the_collector_does) {
  Start();
  const std::string body =
      std::string("apiVersion: v1\nkind: List\nitems:\n") +
      "- kind: DeploymentList\n  items:\n" + "  - " +
      json(collect::ParseManifestDocuments(kManifest, "m")[0]).dump() + "\n- " +
      json(collect::ParseManifestDocuments(kJobManifest, "j")[0]).dump() + "\n";
  const auto expected = collect::RecordsFromManifest(body, "body");
  ASSERT_EQ(expected.size(), 2u);
  auto response = Post("/infer/from-yaml", body);
  ASSERT_EQ(response.status, 200) << response.body;
  const auto answer = ordered_json::parse(response.body);
  ASSERT_TRUE(answer.is_array()) << response.body;
  ASSERT_EQ(answer.size(), 2u);
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(answer[i], io::ToJson(expected[i])) << i;
}

TEST_F(ServerTest, bad_input_gets_a_json_reason_and_4xx) {
  Start();
  struct Case {
    std::string path, body;
    long status;
    std::string reason_part;
  };
  const std::vector<Case> cases = {
      {"/predict", "{\"schema_version\": \"v1\", oops", 400, "invalid JSON"},
      {"/predict", "[1, 2]", 400, "JSON object"},
      {"/predict", R"({"schema_version":"v1","containers":"x"})", 422,
       "containers"},
      {"/predict/batch", "", 400, "no records"},
      {"/predict/batch",
       testing::ClusterBRecords()[0].raw.dump() + "\n{broken\n", 400, "body:2"},
      {"/predict/from-yaml", "kind: Deployment\n  bad: [indent\n", 400,
       "body:"},
      {"/predict/from-yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
       400, "ConfigMap"},
      {"/infer/from-yaml", "apiVersion: v1\nkind: Service\n", 400, "Service"},
      {"/admission", "not json", 400, "invalid JSON"},
      {"/admission", R"({"kind":"AdmissionReview"})", 400, "request.uid"},
      {"/nope", "{}", 404, "no endpoint"},
  };
  for (const auto& c : cases) {
    auto response = Post(c.path, c.body);
    EXPECT_EQ(response.status, c.status) << c.path << " " << c.body;
    json detail;
    ASSERT_NO_THROW(detail = json::parse(response.body)) << response.body;
    EXPECT_NE(detail["detail"].get<std::string>().find(c.reason_part),
              std::string::npos)
        << c.path << ": " << response.body;
  }
  auto get = Get("/predict");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.Header("Allow"), "POST");
}

TEST_F(ServerTest, billion_laughs_yaml_is_refused_with_400) {
  // 342 bytes whose aliases expand to 9^9 strings: refused by the manifest
  // reader's node budget, not built.
  const std::string bomb = podpower::testing::BillionLaughsYaml();
  Start();
  for (const char* path : {"/predict/from-yaml", "/infer/from-yaml"}) {
    auto response = Post(path, bomb);
    EXPECT_EQ(response.status, 400) << path;
    const std::string detail =
        json::parse(response.body)["detail"].get<std::string>();
    EXPECT_EQ(detail.rfind("body:", 0), 0u) << detail;
    EXPECT_NE(detail.find("(excessive aliasing)"), std::string::npos) << detail;
  }
  auto loop = Post("/predict/from-yaml", "&a [*a]\n");
  EXPECT_EQ(loop.status, 400);
  EXPECT_NE(loop.body.find("nests deeper"), std::string::npos) << loop.body;
  // A manifest with anchors and aliases is still predicted.
  auto good = Post("/predict/from-yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: &l {app: web}}
spec:
  template:
    metadata: {labels: *l}
    spec:
      containers:
        - {name: a, image: "nginx:1.25", resources: &r {requests: {cpu: 250m}}}
        - {name: b, image: "nginx:1.25", resources: *r}
)");
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(ServerTest, oversized_body_is_refused_with_413) {
  Start();
  std::string big(options_.max_body_bytes + 1, ' ');
  auto response = Post("/predict", big);
  EXPECT_EQ(response.status, 413);
  EXPECT_NE(
      json::parse(response.body)["detail"].get<std::string>().find("too large"),
      std::string::npos);
  // The server still answers afterwards.
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(ServerTest, health_ready_and_metrics_pass_promtool) {
  Start();
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
  const auto records = testing::ClusterBRecords();
  ASSERT_EQ(Post("/predict", records[0].raw.dump()).status, 200);
  ASSERT_EQ(Post("/predict", records[1].raw.dump()).status, 200);
  ASSERT_EQ(Post("/predict", "{").status, 400);
  // A request is counted once its answer is written (cpp-httplib's logger),
  // so the client can hold the answer a moment before the count moves; the
  // 400 also ends its connection, and /metrics comes on a new one at once.
  auto metrics = Get("/metrics");
  for (int i = 0;
       i < 100 && metrics.body.find("code=\"400\"} 1\n") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    metrics = Get("/metrics");
  }
  ASSERT_EQ(metrics.status, 200);
  const std::string& text = metrics.body;
  EXPECT_NE(text.find("podpower_http_requests_total{endpoint=\"/predict\","
                      "code=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("podpower_http_requests_total{endpoint=\"/predict\","
                      "code=\"400\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("podpower_http_request_duration_seconds_count{endpoint="
                      "\"/predict\",code=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("podpower_predictions_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("podpower_model_info{fingerprint=\""), std::string::npos);
  EXPECT_NE(text.find("target=\"energy_step_j\""), std::string::npos);
  EXPECT_NE(text.find("podpower_model_reloads_total{result=\"failure\"} 0"),
            std::string::npos);

  // Outside oracle for the exposition format: Prometheus' own linter.
  if (!std::filesystem::exists("/usr/bin/promtool")) {
    GTEST_SKIP() << "promtool not installed; format not checked by promtool";
  }
  testing::TempDir tmp;
  { std::ofstream(tmp.File("metrics.txt")) << text; }
  const std::string cmd = "/usr/bin/promtool check metrics < " +
                          tmp.File("metrics.txt") + " > " +
                          tmp.File("out.txt") + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream out_file(tmp.File("out.txt"));
  std::string out((std::istreambuf_iterator<char>(out_file)), {});
  // promtool exits 3 for lint warnings only (e.g. naming advice), 1 for
  // errors.
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 1) << out;
  EXPECT_EQ(out.find("error"), std::string::npos) << out;
}

TEST_F(ServerTest, changed_model_file_is_picked_up_and_broken_one_refused) {
  Start();
  const auto records = testing::ClusterBRecords();
  const std::string body = records[2].raw.dump();
  const json before = json::parse(Post("/predict", body).body);
  const double old_value = before["pred_energy_step_j"].get<double>();

  // A good new model: same encoder, labels shifted by 100.
  testing::TempDir staging;
  testing::WriteArtifacts(staging.path(), "energy_step_j", 101.0);
  std::filesystem::copy_file(staging.File("model.ppknn"),
                             dir_.File("model.ppknn.new"));
  std::filesystem::rename(dir_.File("model.ppknn.new"),
                          dir_.File("model.ppknn"));
  const json after = WaitForChange(body, old_value);
  const double expected = LibraryValue(
      records[2], staging.File("encoder.ppenc"), staging.File("model.ppknn"));
  EXPECT_DOUBLE_EQ(after["pred_energy_step_j"].get<double>(), expected);
  EXPECT_NE(after["model_fingerprint"], before["model_fingerprint"]);

  // A broken model (truncated): refused, the good one keeps serving.
  {
    std::ifstream in(staging.File("model.ppknn"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir_.File("model.ppknn.new"), std::ios::binary)
        << bytes.substr(0, bytes.size() / 2);
  }
  std::filesystem::rename(dir_.File("model.ppknn.new"),
                          dir_.File("model.ppknn"));
  std::string metrics;
  for (int i = 0; i < 200; ++i) {
    metrics = Get("/metrics").body;
    if (metrics.find("\npodpower_model_last_reload_failed 1\n") !=
        std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(metrics.find("\npodpower_model_last_reload_failed 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("podpower_model_reloads_total{result=\"failure\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("podpower_model_reloads_total{result=\"success\"} 1"),
            std::string::npos)
      << metrics;
  const json still = json::parse(Post("/predict", body).body);
  EXPECT_DOUBLE_EQ(still["pred_energy_step_j"].get<double>(), expected);
  EXPECT_EQ(still["model_fingerprint"], after["model_fingerprint"]);
  EXPECT_EQ(Get("/readyz").status, 200);
}

TEST_F(ServerTest, explicit_reload_reports_success_and_failure) {
  options_.watch_interval = std::chrono::milliseconds(0);
  Start();
  auto ok = server_.Reload();
  EXPECT_TRUE(ok.attempted);
  EXPECT_TRUE(ok.ok) << ok.message;
  std::ofstream(dir_.File("encoder.ppenc"), std::ios::trunc) << "garbage";
  auto bad = server_.Reload();
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.message.find("encoder.ppenc"), std::string::npos)
      << bad.message;
  EXPECT_EQ(Post("/predict", testing::ClusterBRecords()[0].raw.dump()).status,
            200);
}

TEST_F(ServerTest, stop_lets_a_request_in_flight_finish) {
  Start();
  // A large batch keeps a worker busy while Stop() runs.
  auto records = testing::ClusterBRecords();
  std::vector<io::InferenceRequest> many;
  while (many.size() < 400)
    many.insert(many.end(), records.begin(), records.end());
  options_.max_body_bytes = 0;
  const std::string body = io::FormatInferenceRequests(many);
  server_.Stop();
  options_.max_body_bytes = 16 << 20;
  Server server;
  server.Start(options_);
  const std::string url =
      "http://127.0.0.1:" + std::to_string(server.port()) + "/predict/batch";
  auto in_flight = std::async(std::launch::async, [&] {
    return testing::Post(client_, url, body, std::chrono::seconds(60));
  });
  // Stop only once the server has read the request and is working on it (a
  // fixed sleep raced the request's arrival on a loaded machine).
  for (int i = 0; i < 60000 && server.metrics().in_flight() == 0; ++i) {
    ASSERT_NE(in_flight.wait_for(std::chrono::milliseconds(0)),
              std::future_status::ready)
        << "the batch finished before Stop(): make it larger";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(server.metrics().in_flight(), 1u);
  server.Stop();
  auto response = in_flight.get();
  EXPECT_EQ(response.status, 200) << response.body;
  size_t lines = std::count(response.body.begin(), response.body.end(), '\n');
  EXPECT_EQ(lines, many.size());
  // And nothing listens any more.
  http::Request r;
  r.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/healthz";
  r.timeout = std::chrono::seconds(5);
  EXPECT_THROW(client_.Do(r), Error);
}

TEST_F(ServerTest, https_with_a_self_signed_certificate) {
  testing::TempDir tls;
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=podpower "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      tls.File("key.pem") + " -out " + tls.File("cert.pem") +
      " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    GTEST_SKIP() << "openssl could not make a test certificate";
  }
  options_.tls_cert = tls.File("cert.pem");
  options_.tls_key = tls.File("key.pem");
  server_.Start(options_);
  http::ClientOptions verified;
  verified.tls.ca_file = tls.File("cert.pem");
  http::Client client(verified);
  http::Request r;
  r.url = "https://127.0.0.1:" + std::to_string(server_.port()) + "/readyz";
  r.timeout = std::chrono::seconds(10);
  EXPECT_EQ(client.Do(r).status, 200);
  // Without the CA the client refuses: TLS verification is on by default.
  EXPECT_THROW(client_.Do(r), Error);
}

TEST_F(ServerTest, bad_options_are_refused_before_serving) {
  ServerOptions bad = options_;
  bad.listen = "127.0.0.1:http";
  EXPECT_THROW(server_.Start(bad), Error);
  Server other;
  bad = options_;
  bad.tls_cert = dir_.File("missing.pem");
  EXPECT_THROW(other.Start(bad), Error);
  Server third;
  bad = options_;
  bad.artifacts.model = dir_.File("missing.ppknn");
  EXPECT_THROW(third.Start(bad), Error);
}

}  // namespace
}  // namespace podpower::serve
