// podpower labels against a real Prometheus 2.42 holding generated Kepler and
// kube-state-metrics data (tests/oracle/labels_fixture.py). Expected joules and
// watts come from the generator's parameters (constant power per container),
// never from podpower.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "io/error.h"
#include "io/parquet.h"
#include "labels/labels.h"
#include "labels/test_prometheus.h"

namespace podpower::labels {
namespace {

using testing::TestPrometheus;

class LabelsOnPrometheus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestPrometheus(""); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static LabelsOptions Options(const std::string& window, OutputMode mode) {
    return server_->Options(window, mode);
  }

  static const io::Column& Col(const io::Table& t, const char* name) {
    const io::Column* c = t.Find(name);
    if (c == nullptr)
      throw std::runtime_error(std::string("no column ") + name);
    return *c;
  }

  // Row index by pod name (job mode has one row per pod).
  static std::map<std::string, size_t> ByPod(const io::Table& t) {
    std::map<std::string, size_t> out;
    const auto& pod = Col(t, "pod");
    for (size_t r = 0; r < t.rows(); ++r) out[pod.strings[r]] = r;
    return out;
  }

  // Job mode for one window: watts and joules within 1% of the generator,
  // owners exact.
  static void CheckJobMode(const std::string& window, const char* schema_name) {
    LabelsSummary summary;
    io::Table t = BuildLabels(Options(window, OutputMode::kJob), &summary);
    EXPECT_STREQ(SchemaName(summary.schema), schema_name) << "schema detection";
    const auto& w = server_->expected()[window];
    auto rows = ByPod(t);
    EXPECT_EQ(rows.size(), w["pods"].size())
        << "pods (pseudo-containers must not be pods)";
    EXPECT_EQ(summary.pseudo_series_dropped, w["pseudo_series"].get<int64_t>());
    EXPECT_EQ(summary.spikes_dropped, w["spikes"].get<int64_t>());
    for (const auto& p : w["pods"]) {
      const std::string pod = p["pod"];
      SCOPED_TRACE(pod);
      ASSERT_TRUE(rows.count(pod)) << "missing pod";
      size_t r = rows[pod];
      double joules = p["energy_j"].get<double>() - p.value("dropped_j", 0.0);
      double watts = p["watts"].get<double>();
      EXPECT_NEAR(Col(t, "total_energy_j").doubles[r], joules, 0.01 * joules);
      EXPECT_NEAR(Col(t, "avg_power_w").doubles[r], watts, 0.01 * watts);
      EXPECT_NEAR(Col(t, "p95_power_w").doubles[r], watts, 0.01 * watts);
      EXPECT_EQ(Col(t, "namespace").strings[r],
                p["namespace"].get<std::string>());
      EXPECT_EQ(Col(t, "workload_kind").strings[r],
                p["kind"].get<std::string>());
      EXPECT_EQ(Col(t, "workload_name").strings[r],
                p["name"].get<std::string>());
      EXPECT_EQ(Col(t, "owner_source").strings[r],
                p["source"].get<std::string>());
      if (p.contains("last")) {
        // Short-lived pods: seen from their first step to the step holding
        // their last sample.
        double step = w["step"].get<double>();
        EXPECT_NEAR(Col(t, "first_seen").doubles[r], p["first"].get<double>(),
                    step);
        EXPECT_NEAR(Col(t, "last_seen").doubles[r], p["last"].get<double>(),
                    step);
      }
    }
  }

  static TestPrometheus* server_;
};

TestPrometheus* LabelsOnPrometheus::server_ = nullptr;

TEST_F(LabelsOnPrometheus,
       kepler_0_7_job_mode_matches_generated_watts_joules_and_owners) {
  CheckJobMode("A", "v0.7");
}

TEST_F(LabelsOnPrometheus,
       kepler_0_10_job_mode_matches_generated_watts_joules_and_owners) {
  CheckJobMode("B", "v0.10");
}

TEST_F(LabelsOnPrometheus,
       window_mode_has_original_columns_and_reset_safe_steps) {
  for (const char* window : {"A", "B"}) {
    SCOPED_TRACE(window);
    LabelsSummary summary;
    io::Table t = BuildLabels(Options(window, OutputMode::kWindow), &summary);
    std::vector<std::string> names;
    for (const auto& c : t.columns()) names.push_back(c.name);
    EXPECT_EQ(names,
              (std::vector<std::string>{"ts", "namespace", "workload_kind",
                                        "workload_name", "pod", "avg_power_w",
                                        "energy_step_j", "owner_source"}));
    const auto& w = server_->expected()[window];
    const double start = w["start"], end = w["end"], step = w["step"];
    std::map<std::string, double> joules;
    std::map<std::string, double> watts;
    for (const auto& p : w["pods"]) watts[p["pod"]] = p["watts"];
    const auto& ts = Col(t, "ts");
    const auto& energy = Col(t, "energy_step_j");
    const auto& power = Col(t, "avg_power_w");
    const auto& pod = Col(t, "pod");
    size_t checked_power = 0;
    for (size_t r = 0; r < t.rows(); ++r) {
      ASSERT_GE(ts.doubles[r], start);
      ASSERT_LE(ts.doubles[r], end);
      // On the grid start + i*step.
      double i = (ts.doubles[r] - start) / step;
      ASSERT_NEAR(i, std::round(i), 1e-9);
      if (ts.doubles[r] == start) {
        EXPECT_TRUE(energy.is_null(r))
            << "the range's first point has no step energy";
      }
      if (energy.is_null(r)) continue;
      EXPECT_GE(energy.doubles[r], 0)
          << pod.strings[r] << " at " << ts.doubles[r];
      joules[pod.strings[r]] += energy.doubles[r];
      ASSERT_FALSE(power.is_null(r));
      // Every step of a constant-power pod is that power (the reset, the gap
      // and the restart included); only steps with zero energy (a dead
      // container kept flat) are exempt.
      if (energy.doubles[r] > 0) {
        EXPECT_NEAR(power.doubles[r], watts[pod.strings[r]],
                    0.01 * watts[pod.strings[r]])
            << pod.strings[r] << " at " << ts.doubles[r];
        ++checked_power;
      }
    }
    EXPECT_GT(checked_power, 100u);
    for (const auto& p : w["pods"]) {
      double expected = p["energy_j"].get<double>() - p.value("dropped_j", 0.0);
      EXPECT_NEAR(joules[p["pod"]], expected, 0.01 * expected) << p["pod"];
    }
    EXPECT_EQ(summary.pods, static_cast<int64_t>(w["pods"].size()));
  }
}

TEST_F(LabelsOnPrometheus, total_power_mode_adds_idle_series_on_kepler_0_7) {
  LabelsOptions o = Options("A", OutputMode::kJob);
  o.power_mode = PowerMode::kTotal;
  o.namespaces = {"shop"};
  io::Table t = BuildLabels(o, nullptr);
  auto rows = ByPod(t);
  for (const auto& p : server_->expected()["A"]["pods"]) {
    if (p["namespace"] != "shop") {
      EXPECT_FALSE(rows.count(p["pod"]))
          << "--ns shop let " << p["pod"] << " through";
      continue;
    }
    ASSERT_TRUE(rows.count(p["pod"])) << p["pod"];
    double joules = p["energy_j"].get<double>() + p.value("idle_energy_j", 0.0);
    EXPECT_NEAR(Col(t, "total_energy_j").doubles[rows[p["pod"]]], joules,
                0.01 * joules)
        << p["pod"];
  }
  o.schema = KeplerSchema::kV010;
  EXPECT_THROW(BuildLabels(o, nullptr), Error)
      << "the rewrite has no idle energy per pod";
}

TEST_F(LabelsOnPrometheus,
       owner_source_names_and_k8s_override_kube_state_metrics) {
  LabelsOptions o = Options("A", OutputMode::kJob);
  o.owner_source = OwnerSource::kNames;
  io::Table names = BuildLabels(o, nullptr);
  auto rows = ByPod(names);
  const auto& kind = Col(names, "workload_kind");
  const auto& name = Col(names, "workload_name");
  EXPECT_EQ(kind.strings[rows["web-7d4b9c8f6-x2x4z"]], "Deployment");
  EXPECT_EQ(name.strings[rows["web-7d4b9c8f6-x2x4z"]], "web");
  EXPECT_EQ(kind.strings[rows["report-29364070-fghjk"]], "CronJob");
  EXPECT_EQ(name.strings[rows["report-29364070-fghjk"]], "report");
  // Names alone cannot tell a StatefulSet pod from a bare pod.
  EXPECT_EQ(kind.strings[rows["db-0"]], "Pod");
  for (size_t r = 0; r < names.rows(); ++r) {
    EXPECT_EQ(Col(names, "owner_source").strings[r], "names");
  }

  // Kubernetes API ownership (the collect stage's NDJSON); kube-state-metrics
  // ignored.
  const std::string path = server_->dir() + "/pod-owners.ndjson";
  {
    std::ofstream out(path);
    out << R"({"namespace":"tools","pod":"debug-shell","uid":"","owner_kind":"Job","owner_name":"debug"})"
        << "\n"
        << R"({"kind":"Pod","metadata":{"namespace":"shop","name":"api-5f6d7c8b9-qwrtz","uid":"u-api","ownerReferences":[{"kind":"ReplicaSet","name":"api-5f6d7c8b9","controller":true}]}})"
        << "\n"
        << R"({"kind":"ReplicaSet","metadata":{"namespace":"shop","name":"api-5f6d7c8b9","ownerReferences":[{"kind":"Deployment","name":"api-v2","controller":true}]}})"
        << "\n";
  }
  o.owner_source = OwnerSource::kK8s;
  o.pod_owners_file = path;
  io::Table api = BuildLabels(o, nullptr);
  rows = ByPod(api);
  EXPECT_EQ(Col(api, "workload_kind").strings[rows["debug-shell"]], "Job");
  EXPECT_EQ(Col(api, "workload_name").strings[rows["debug-shell"]], "debug");
  EXPECT_EQ(Col(api, "workload_name").strings[rows["api-5f6d7c8b9-qwrtz"]],
            "api-v2");
  EXPECT_EQ(Col(api, "owner_source").strings[rows["api-5f6d7c8b9-qwrtz"]],
            "k8s");
  // Pods the file does not know keep their own name under an explicit source.
  EXPECT_EQ(Col(api, "owner_source").strings[rows["db-0"]], "none");
  EXPECT_EQ(Col(api, "workload_kind").strings[rows["db-0"]], "Pod");

  // auto: kube-state-metrics first, the file for pods it does not know, names
  // last.
  o.owner_source = OwnerSource::kAuto;
  io::Table mixed = BuildLabels(o, nullptr);
  rows = ByPod(mixed);
  EXPECT_EQ(Col(mixed, "owner_source").strings[rows["api-5f6d7c8b9-qwrtz"]],
            "prom");
  EXPECT_EQ(Col(mixed, "owner_source").strings[rows["debug-shell"]], "k8s");
  EXPECT_EQ(Col(mixed, "owner_source").strings[rows["cache-6b7c8d9f5-zz2kl"]],
            "names");
}

TEST_F(LabelsOnPrometheus, chunk_size_does_not_change_the_answer) {
  LabelsOptions o = Options("A", OutputMode::kWindow);
  o.max_samples_per_chunk = 500;  // many small pieces
  LabelsSummary small;
  io::Table a = BuildLabels(o, &small);
  o.max_samples_per_chunk = 100'000'000;
  LabelsSummary large;
  io::Table b = BuildLabels(o, &large);
  EXPECT_GT(small.chunks, large.chunks + 5);
  ASSERT_EQ(a.rows(), b.rows());
  for (size_t c = 0; c < a.columns().size(); ++c) {
    const auto& x = a.columns()[c];
    const auto& y = b.columns()[c];
    EXPECT_EQ(x.strings, y.strings) << x.name;
    EXPECT_EQ(x.valid, y.valid) << x.name;
    ASSERT_EQ(x.doubles.size(), y.doubles.size());
    for (size_t r = 0; r < x.doubles.size(); ++r) {
      if (!x.valid[r]) continue;
      EXPECT_NEAR(x.doubles[r], y.doubles[r],
                  1e-9 * (1 + std::fabs(y.doubles[r])));
    }
  }
}

TEST_F(LabelsOnPrometheus,
       prometheus_400_and_422_are_explained_verbatim_in_one_line) {
  prom::ClientOptions co;
  co.url = server_->url();
  co.quiet = true;
  prom::Client client(co);
  try {
    client.Instant("sum(kepler_container_joules_total");
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("HTTP 400 bad_data"), std::string::npos) << m;
    EXPECT_NE(m.find("parse error"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
  try {
    // Two owner series per namespace on the right side: many-to-many (HTTP
    // 422).
    client.Instant("kube_pod_owner * on(namespace) group_left kube_pod_owner",
                   server_->expected()["A"]["start"].get<double>() + 600);
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("HTTP 422 execution"), std::string::npos) << m;
    EXPECT_NE(m.find("many-to-many"), std::string::npos) << m;
  }
  // An unchunked query over more than 11,000 steps is refused by Prometheus
  // itself.
  prom::Chunk too_long{0, 11001 * 15.0, 11002};
  EXPECT_THROW(client.Range("up", too_long, 15), Error);
}

TEST_F(LabelsOnPrometheus, failed_run_leaves_no_output_file) {
  const std::string out = server_->dir() + "/failed.parquet";
  LabelsOptions o = Options("A", OutputMode::kWindow);
  o.out = out;
  o.zone = "bad zone!";  // rejected before anything is written
  EXPECT_THROW(RunLabels(o), Error);
  EXPECT_FALSE(std::filesystem::exists(out));
  // A dead server: refused connections are retried, then explained.
  o = Options("A", OutputMode::kWindow);
  o.out = out;
  o.prom.url = "http://127.0.0.1:1";
  o.prom.max_attempts = 2;
  o.prom.backoff_s = 0.05;
  try {
    RunLabels(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("gave up after 2 attempts"), std::string::npos) << m;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
  // A window-mode run written through the temporary database reads back as
  // the in-memory table, row for row.
  o = Options("A", OutputMode::kWindow);
  o.out = out;
  LabelsSummary parts = RunLabels(o);
  io::Table whole = BuildLabels(Options("A", OutputMode::kWindow), nullptr);
  io::Table merged = io::ReadParquet(out);
  ASSERT_EQ(merged.rows(), whole.rows());
  EXPECT_EQ(parts.rows, static_cast<int64_t>(whole.rows()));
  for (const char* col :
       {"namespace", "workload_kind", "pod", "workload_name", "owner_source"}) {
    EXPECT_EQ(merged.Find(col)->strings, whole.Find(col)->strings) << col;
  }
  for (const char* col : {"ts", "energy_step_j", "avg_power_w"}) {
    EXPECT_EQ(merged.Find(col)->valid, whole.Find(col)->valid) << col;
    for (size_t r = 0; r < whole.rows(); ++r) {
      if (!whole.Find(col)->valid[r]) continue;
      ASSERT_EQ(merged.Find(col)->doubles[r], whole.Find(col)->doubles[r])
          << col << " row " << r;
    }
  }
  for (const auto& entry :
       std::filesystem::directory_iterator(server_->dir())) {
    EXPECT_EQ(entry.path().filename().string().find(".failed.parquet.rows"),
              std::string::npos)
        << "temporary folder left behind";
  }
  std::filesystem::remove(out);
  // And a job-mode run writes it whole.
  o = Options("A", OutputMode::kJob);
  o.out = out;
  LabelsSummary s = RunLabels(o);
  io::Table back = io::ReadParquet(out);
  EXPECT_EQ(back.rows(), static_cast<size_t>(s.rows));
}

}  // namespace
}  // namespace podpower::labels
