// podpower labels against a real single-node VictoriaMetrics (Debian's 1.79)
// and a real Prometheus 2.42 holding the same OpenMetrics text: the generated
// fixture of the Prometheus labels tests (tests/oracle/labels_fixture.py,
// both Kepler schemas) and a `podpower simulate` cluster. Prometheus is
// backfilled by promtool, VictoriaMetrics imports the very same kepler.om
// through /api/v1/import/prometheus. The rows podpower writes (RunLabels, read
// back from Parquet) must be the same from both servers: same columns, row
// count, keys and order, and the same joules and watts bit for bit. Exact
// equality holds by construction: both servers return the same raw samples
// (podpower asks only for raw samples, `selector[range]`, never for rates),
// and VictoriaMetrics gives back these values exactly (the fixture writes
// short decimals, the simulator 3-decimal counters below 1e7 J; values with
// more digits can come back off by a few units in the last place, see
// docs/metrics-stores.md), so podpower does the same arithmetic on the same
// doubles.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "io/error.h"
#include "io/parquet.h"
#include "labels/labels.h"
#include "labels/test_prometheus.h"
#include "labels/test_victoria_metrics.h"
#include "prom/client.h"
#include "simulate/simulate.h"

namespace podpower::labels {
namespace {

using testing::TestPrometheus;
using testing::TestVictoriaMetrics;

// Runs podpower labels (RunLabels, as the CLI does) with `o` against `url`
// into `dir`/`name`.parquet and reads the file back.
io::Table Written(LabelsOptions o, const std::string& url,
                  const std::string& dir, const std::string& name,
                  LabelsSummary* summary) {
  o.prom.url = url;
  o.prom.quiet = true;
  o.out = dir + "/" + name + ".parquet";
  LabelsSummary s = RunLabels(o);
  if (summary != nullptr) *summary = s;
  return io::ReadParquet(o.out);
}

// Same columns (names, types, order) and the same cells bit for bit, nulls
// included. Reports the first few differing cells only.
void ExpectSameTable(const io::Table& prometheus, const io::Table& vm) {
  ASSERT_EQ(prometheus.columns().size(), vm.columns().size());
  ASSERT_EQ(prometheus.rows(), vm.rows()) << "row count";
  int reported = 0;
  int64_t differing = 0;
  for (size_t c = 0; c < prometheus.columns().size(); ++c) {
    const io::Column& a = prometheus.columns()[c];
    const io::Column& b = vm.columns()[c];
    ASSERT_EQ(a.name, b.name);
    ASSERT_EQ(a.type, b.type) << a.name;
    for (size_t r = 0; r < prometheus.rows(); ++r) {
      bool same = a.is_null(r) == b.is_null(r);
      if (same && !a.is_null(r)) {
        switch (a.type) {
          case io::ColumnType::kString:
            same = a.strings[r] == b.strings[r];
            break;
          case io::ColumnType::kInt64:
            same = a.ints[r] == b.ints[r];
            break;
          case io::ColumnType::kDouble:
            same = a.doubles[r] == b.doubles[r];
            break;
          default:
            FAIL() << "labels wrote an unexpected column type in " << a.name;
        }
      }
      if (same) continue;
      ++differing;
      if (reported++ < 5) {
        std::ostringstream cell;
        cell.precision(17);
        auto show = [&](const io::Column& x) {
          if (x.is_null(r)) return std::string("NULL");
          std::ostringstream v;
          v.precision(17);
          if (x.type == io::ColumnType::kString) v << x.strings[r];
          if (x.type == io::ColumnType::kInt64) v << x.ints[r];
          if (x.type == io::ColumnType::kDouble) v << x.doubles[r];
          return v.str();
        };
        ADD_FAILURE() << a.name << " row " << r << ": Prometheus " << show(a)
                      << ", VictoriaMetrics " << show(b);
      }
    }
  }
  EXPECT_EQ(differing, 0) << "cells differ";
}

void ExpectSameSummary(const LabelsSummary& a, const LabelsSummary& b) {
  EXPECT_EQ(a.schema, b.schema);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.pods, b.pods);
  EXPECT_EQ(a.pseudo_series_dropped, b.pseudo_series_dropped);
  EXPECT_EQ(a.spikes_dropped, b.spikes_dropped);
  EXPECT_EQ(a.counter_resets, b.counter_resets);
  EXPECT_EQ(a.late_pods, b.late_pods);
  EXPECT_EQ(a.owner_sources, b.owner_sources);
}

std::set<std::string> Pods(const io::Table& t) {
  const io::Column* pod = t.Find("pod");
  if (pod == nullptr) throw std::runtime_error("no pod column");
  return {pod->strings.begin(), pod->strings.end()};
}

// A Mimir-like tenant gateway in front of a store: the Prometheus API under
// /prometheus, and 401 "no org id" for a request without X-Scope-OrgID, as
// Mimir answers with multi-tenancy on. Records every request's path and
// tenant.
class TenantGateway {
 public:
  explicit TenantGateway(int upstream_port) : upstream_port_(upstream_port) {
    auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      const std::string tenant = req.get_header_value("X-Scope-OrgID");
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.emplace_back(req.path, tenant);
      }
      if (tenant.empty()) {
        res.status = 401;
        res.set_content("no org id\n", "text/plain");
        return;
      }
      const std::string target = req.target.substr(kPrefix.size());
      httplib::Client up("127.0.0.1", upstream_port_);
      httplib::Result r =
          req.method == "POST"
              ? up.Post(target.c_str(), req.body,
                        req.get_header_value("Content-Type").c_str())
              : up.Get(target.c_str());
      if (!r) {
        res.status = 502;
        return;
      }
      res.status = r->status;
      res.set_content(r->body, r->get_header_value("Content-Type").c_str());
    };
    server_.Get(R"(/prometheus/.*)", forward);
    server_.Post(R"(/prometheus/.*)", forward);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TenantGateway() {
    server_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + kPrefix;
  }
  // (path, X-Scope-OrgID) of every request so far, and forgets them.
  std::vector<std::pair<std::string, std::string>> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(seen_, {});
  }

 private:
  inline static const std::string kPrefix = "/prometheus";
  int upstream_port_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> seen_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs the podpower binary built next to this test with `args` (shell words).
CommandResult RunPodpower(const std::string& args) {
  const std::string command =
      std::string(PODPOWER_BINARY_DIR) + "/src/cli/podpower " + args + " 2>&1";
  CommandResult out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.output.append(buf, n);
  int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  return out;
}

// The generated fixture of the Prometheus labels tests, in both servers.
class LabelsFixtureOnVictoriaMetrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prometheus_ = new TestPrometheus("");
    vm_ = new TestVictoriaMetrics({OpenMetrics()});
  }
  static void TearDownTestSuite() {
    delete vm_;
    vm_ = nullptr;
    delete prometheus_;
    prometheus_ = nullptr;
  }
  static std::string OpenMetrics() { return prometheus_->dir() + "/kepler.om"; }

  // Labels from both servers with `o` (its URL is replaced), compared.
  static void ExpectSameRows(const LabelsOptions& o, const std::string& name,
                             const std::string& vm_url) {
    LabelsSummary from_prometheus, from_vm;
    io::Table a = Written(o, prometheus_->url(), prometheus_->dir(),
                          name + "-prometheus", &from_prometheus);
    io::Table b =
        Written(o, vm_url, prometheus_->dir(), name + "-vm", &from_vm);
    ASSERT_GT(a.rows(), 0u) << "nothing compared";
    ExpectSameTable(a, b);
    ExpectSameSummary(from_prometheus, from_vm);
  }

  static TestPrometheus* prometheus_;
  static TestVictoriaMetrics* vm_;
};

TestPrometheus* LabelsFixtureOnVictoriaMetrics::prometheus_ = nullptr;
TestVictoriaMetrics* LabelsFixtureOnVictoriaMetrics::vm_ = nullptr;

TEST_F(LabelsFixtureOnVictoriaMetrics,
       rows_equal_prometheus_in_both_kepler_schemas_and_modes) {
  for (const char* window : {"A", "B"}) {
    for (OutputMode mode : {OutputMode::kWindow, OutputMode::kJob}) {
      const std::string name =
          std::string(window) + (mode == OutputMode::kJob ? "-job" : "-window");
      SCOPED_TRACE(name);
      ExpectSameRows(prometheus_->Options(window, mode), name, vm_->url());
    }
  }
  // Kepler 0.7's idle series and the owners from names alone.
  LabelsOptions total = prometheus_->Options("A", OutputMode::kJob);
  total.power_mode = PowerMode::kTotal;
  ExpectSameRows(total, "A-total", vm_->url());
  LabelsOptions names = prometheus_->Options("A", OutputMode::kWindow);
  names.owner_source = OwnerSource::kNames;
  ExpectSameRows(names, "A-names", vm_->url());
}

// Prometheus 2.x returns a sample exactly at a range selector's left edge,
// VictoriaMetrics (and Prometheus 3.x) do not. Two pods of window A
// (debug-shell, report-29364070-fghjk) have their last sample exactly 5
// minutes (labels' lead-in) before this start: podpower reads the lead-in as
// (start - 5m, start], so they are no pods on either server.
TEST_F(LabelsFixtureOnVictoriaMetrics,
       pods_ended_at_the_lead_in_edge_are_left_out_on_both_servers) {
  for (OutputMode mode : {OutputMode::kWindow, OutputMode::kJob}) {
    SCOPED_TRACE(mode == OutputMode::kJob ? "job" : "window");
    LabelsOptions o = prometheus_->Options("A", mode);
    o.start = 1761845700;  // report-29364070's last sample is at 1761845400
    LabelsSummary summary;
    io::Table t = Written(o, prometheus_->url(), prometheus_->dir(),
                          "edge-prometheus", &summary);
    std::set<std::string> pods = Pods(t);
    EXPECT_FALSE(pods.count("debug-shell"));
    EXPECT_FALSE(pods.count("report-29364070-fghjk"));
    EXPECT_TRUE(pods.count("web-7d4b9c8f6-x2x4z")) << "a running pod is kept";
    EXPECT_EQ(summary.pods, static_cast<int64_t>(pods.size()));
    ExpectSameRows(o, "edge", vm_->url());
  }
}

// An HA pair of Prometheus servers remote-writing the same scrapes, without
// -dedup.minScrapeInterval: every sample is stored and returned twice. podpower
// merges a counter's copies (highest value per timestamp), so the rows do not
// change.
TEST_F(LabelsFixtureOnVictoriaMetrics,
       samples_stored_twice_without_dedup_give_the_same_rows) {
  TestVictoriaMetrics twice({OpenMetrics(), OpenMetrics()});
  prom::ClientOptions co;
  co.url = twice.url();
  co.quiet = true;
  prom::Client client(co);
  const double start = prometheus_->expected()["A"]["start"];
  prom::QueryResult r = client.Instant(
      "kepler_container_joules_total{pod_name=\"db-0\",mode=\"dynamic\"}[1m]",
      start);
  ASSERT_FALSE(r.series.empty());
  const auto& v = r.series.front().samples;
  ASSERT_GE(v.size(), 2u);
  ASSERT_EQ(v[0].ts, v[1].ts) << "VictoriaMetrics deduplicated the import: "
                                 "this test no longer covers duplicates";
  for (OutputMode mode : {OutputMode::kWindow, OutputMode::kJob}) {
    SCOPED_TRACE(mode == OutputMode::kJob ? "job" : "window");
    ExpectSameRows(prometheus_->Options("A", mode), "twice", twice.url());
    ExpectSameRows(prometheus_->Options("B", mode), "twice", twice.url());
  }
}

// Window mode lists the range's pods with /api/v1/series, which
// VictoriaMetrics caps at -search.maxSeries (30,000 by default): over the cap
// it answers 422 and podpower stops with one line that names the flag (not
// retried). Job mode does not list and still runs.
TEST_F(LabelsFixtureOnVictoriaMetrics,
       series_cap_stops_window_mode_with_one_line_naming_the_flag) {
  TestVictoriaMetrics capped({OpenMetrics()}, "-search.maxSeries=5");
  LabelsOptions o = prometheus_->Options("A", OutputMode::kWindow);
  o.prom.url = capped.url();
  o.out = prometheus_->dir() + "/capped.parquet";
  try {
    RunLabels(o);
    FAIL() << "window mode ran past -search.maxSeries=5";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/api/v1/series"), std::string::npos) << what;
    EXPECT_NE(what.find("HTTP 422"), std::string::npos) << what;
    EXPECT_NE(what.find("-search.max"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(what.find("gave up after"), std::string::npos)
        << "a 422 is not retried: " << what;
  }
  EXPECT_FALSE(std::filesystem::exists(o.out));
  ExpectSameRows(prometheus_->Options("A", OutputMode::kJob), "capped-job",
                 capped.url());
}

// Mimir: `--prom <gateway>/prometheus --header 'X-Scope-OrgID: team-a'` on
// the podpower command line reaches every request labels sends (schema
// detection, pod listing, owners, energy) with the path prefix kept, and gives
// Prometheus' rows. Without the header the gateway's 401 is one line, not
// retried; a mistyped header is refused without echoing it (it may be a
// credential).
TEST_F(LabelsFixtureOnVictoriaMetrics,
       tenant_header_and_path_prefix_reach_every_request_from_the_cli) {
  TenantGateway gateway(vm_->port());
  const auto& w = prometheus_->expected()["A"];
  const std::string range =
      " --start " + std::to_string(w["start"].get<int64_t>()) + " --end " +
      std::to_string(w["end"].get<int64_t>()) + " --step 60";
  const std::string out = prometheus_->dir() + "/tenant.parquet";
  CommandResult run = RunPodpower("labels --prom " + gateway.url() +
                                  " --header 'X-Scope-OrgID: team-a'" + range +
                                  " --mode window --out " + out);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::set<std::string> paths;
  for (const auto& [path, tenant] : gateway.Take()) {
    EXPECT_EQ(tenant, "team-a") << path;
    paths.insert(path);
  }
  EXPECT_EQ(paths,
            (std::set<std::string>{"/prometheus/api/v1/label/__name__/values",
                                   "/prometheus/api/v1/query",
                                   "/prometheus/api/v1/series"}));
  io::Table a = Written(prometheus_->Options("A", OutputMode::kWindow),
                        prometheus_->url(), prometheus_->dir(),
                        "tenant-prometheus", nullptr);
  ExpectSameTable(a, io::ReadParquet(out));

  run = RunPodpower("labels --prom " + gateway.url() + range +
                    " --retries 3 --out " + prometheus_->dir() + "/no.parquet");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("HTTP 401"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("no org id"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find('\n'), run.output.size() - 1)
      << "one line: " << run.output;
  EXPECT_EQ(gateway.Take().size(), 1u) << "a 401 is not retried";

  run = RunPodpower("labels --prom " + gateway.url() +
                    " --header 'Authorization=Bearer s3cr3t'" + range +
                    " --out " + prometheus_->dir() + "/no.parquet");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("--header"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("s3cr3t"), std::string::npos) << run.output;
  EXPECT_TRUE(gateway.Take().empty()) << "refused before any request";
}

// A `podpower simulate` cluster (the demo's generator: 3-decimal joules on
// thousands of series, Jobs and CronJobs starting and ending inside the
// window), both schemas.
TEST(SimulatedClusterOnVictoriaMetrics, rows_equal_prometheus) {
  for (const char* schema : {"v0.7", "v0.10"}) {
    SCOPED_TRACE(schema);
    char tmpl[] = "/tmp/podpower-sim-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    simulate::SimulateOptions so;
    so.workloads = 60;
    so.hours = 2;
    so.seed = 7;
    so.start = 1764000000;  // the demo's fixed window
    so.kepler_schema = schema;
    so.out_dir = dir + "/sim";
    std::ostringstream log;
    simulate::Simulation sim = simulate::Simulate(so, log);
    std::ifstream in(so.out_dir + "/kepler.om");
    std::stringstream text;
    text << in.rdbuf();
    {
      TestPrometheus prometheus("", text.str());
      TestVictoriaMetrics vm({so.out_dir + "/kepler.om"});
      for (OutputMode mode : {OutputMode::kWindow, OutputMode::kJob}) {
        SCOPED_TRACE(mode == OutputMode::kJob ? "job" : "window");
        LabelsOptions o;
        o.start = static_cast<double>(sim.start);
        o.end = static_cast<double>(sim.end);
        o.step = 60;
        o.mode = mode;
        LabelsSummary from_prometheus, from_vm;
        io::Table a =
            Written(o, prometheus.url(), dir, "prometheus", &from_prometheus);
        io::Table b = Written(o, vm.url(), dir, "vm", &from_vm);
        EXPECT_GT(a.rows(), mode == OutputMode::kJob ? 100u : 5000u);
        ExpectSameTable(a, b);
        ExpectSameSummary(from_prometheus, from_vm);
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

}  // namespace
}  // namespace podpower::labels
