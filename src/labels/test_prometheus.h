// Test helper: a real Prometheus (Debian's 2.42) over a TSDB backfilled from
// the OpenMetrics that tests/oracle/labels_fixture.py writes, started on a free
// loopback port by tests/e2e/prometheus-start.sh and stopped by pid.
// Header-only; used by labels' integration tests.
#ifndef PODPOWER_LABELS_TEST_PROMETHEUS_H_
#define PODPOWER_LABELS_TEST_PROMETHEUS_H_

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

#include "labels/labels.h"

namespace podpower::labels::testing {

inline std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
    out.append(buf.data(), n);
  int rc = pclose(pipe);
  if (rc != 0)
    throw std::runtime_error("command failed (" + std::to_string(rc) +
                             "): " + command);
  return out;
}

class TestPrometheus {
 public:
  // Generates the fixture (`generator_args` passed to labels_fixture.py),
  // backfills, starts.
  explicit TestPrometheus(const std::string& generator_args)
      : TestPrometheus(generator_args, "") {}

  // With `openmetrics` non-empty, serves that text instead of the generator's
  // (expected() is then null).
  TestPrometheus(const std::string& generator_args,
                 const std::string& openmetrics) {
    char tmpl[] = "/tmp/podpower-labels-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    try {
      Start(generator_args, openmetrics);
    } catch (...) {
      Stop();
      throw;
    }
  }
  ~TestPrometheus() { Stop(); }
  TestPrometheus(const TestPrometheus&) = delete;
  TestPrometheus& operator=(const TestPrometheus&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  const std::string& dir() const { return dir_; }
  const nlohmann::json& expected() const { return expected_; }

  // Options for podpower labels over the generator's window `window` ("A",
  // ...) of this server, quiet.
  LabelsOptions Options(const std::string& window, OutputMode mode) const {
    const auto& w = expected_[window];
    LabelsOptions o;
    o.prom.url = url();
    o.prom.quiet = true;
    o.start = w["start"].get<double>();
    o.end = w["end"].get<double>();
    o.step = w["step"].get<double>();
    o.mode = mode;
    return o;
  }

 private:
  void Start(const std::string& generator_args,
             const std::string& openmetrics) {
    const std::string src = PODPOWER_SOURCE_DIR;
    if (openmetrics.empty()) {
      RunCommand(std::string(PODPOWER_PYTHON) + " " + src +
                 "/tests/oracle/labels_fixture.py " + dir_ + " " +
                 generator_args);
      std::ifstream in(dir_ + "/expected.json");
      expected_ = nlohmann::json::parse(in);
    } else {
      std::ofstream(dir_ + "/kepler.om") << openmetrics;
    }
    RunCommand(src + "/tests/e2e/prometheus-backfill.sh " + dir_ +
               "/kepler.om " + dir_ + "/tsdb");
    std::istringstream port_pid(RunCommand(src +
                                           "/tests/e2e/prometheus-start.sh " +
                                           dir_ + "/tsdb " + dir_ + "/run"));
    port_pid >> port_ >> pid_;
    if (port_ <= 0 || pid_ <= 0) {
      throw std::runtime_error("prometheus-start.sh gave no port/pid");
    }
  }
  // Stops the server (by pid) and removes the folder; safe to call twice.
  void Stop() {
    if (pid_ > 0) {
      std::string cmd = std::string(PODPOWER_SOURCE_DIR) +
                        "/tests/e2e/prometheus-stop.sh " + std::to_string(pid_);
      (void)std::system(cmd.c_str());
      pid_ = 0;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string dir_;
  int port_ = 0;
  int pid_ = 0;
  nlohmann::json expected_;
};

}  // namespace podpower::labels::testing

#endif  // PODPOWER_LABELS_TEST_PROMETHEUS_H_
