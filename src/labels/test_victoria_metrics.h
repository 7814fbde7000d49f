// Test helper: a real single-node VictoriaMetrics (Debian's victoria-metrics
// 1.79) holding OpenMetrics text imported through /api/v1/import/prometheus,
// started on a free loopback port by tests/e2e/victoria-metrics-start.sh
// (retention 100y, -search.latencyOffset=0s, -search.disableCache, no dedup),
// loaded by tests/e2e/victoria-metrics-import.sh (which checks every sample
// arrived) and stopped by pid. Header-only; used by labels' integration tests
// next to TestPrometheus over the same kepler.om.
//
// Not thread-safe; one object owns one server process and its temporary
// folder. Construction throws std::runtime_error when a script fails (the
// server is then already stopped and the folder removed).
#ifndef PODPOWER_LABELS_TEST_VICTORIA_METRICS_H_
#define PODPOWER_LABELS_TEST_VICTORIA_METRICS_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "labels/test_prometheus.h"

namespace podpower::labels::testing {

class TestVictoriaMetrics {
 public:
  // Starts the server with `extra_flags` (appended to the script's defaults,
  // which they override) and imports `files` in order: a file named twice is
  // stored twice, as VictoriaMetrics does not deduplicate by default.
  explicit TestVictoriaMetrics(const std::vector<std::string>& files,
                               const std::string& extra_flags = "") {
    char tmpl[] = "/tmp/podpower-vm-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    try {
      const std::string e2e = std::string(PODPOWER_SOURCE_DIR) + "/tests/e2e/";
      std::istringstream port_pid(
          RunCommand(e2e + "victoria-metrics-start.sh " + dir_ + "/data " +
                     dir_ + "/run " + extra_flags));
      port_pid >> port_ >> pid_;
      if (port_ <= 0 || pid_ <= 0) {
        throw std::runtime_error("victoria-metrics-start.sh gave no port/pid");
      }
      std::string import = e2e + "victoria-metrics-import.sh " + url();
      for (const auto& f : files) import += " " + f;
      RunCommand(import);
    } catch (...) {
      Stop();
      throw;
    }
  }
  ~TestVictoriaMetrics() { Stop(); }
  TestVictoriaMetrics(const TestVictoriaMetrics&) = delete;
  TestVictoriaMetrics& operator=(const TestVictoriaMetrics&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  int port() const { return port_; }

 private:
  // Stops the server (by pid) and removes the folder; safe to call twice.
  void Stop() {
    if (pid_ > 0) {
      std::string cmd = std::string(PODPOWER_SOURCE_DIR) +
                        "/tests/e2e/victoria-metrics-stop.sh " +
                        std::to_string(pid_);
      (void)std::system(cmd.c_str());
      pid_ = 0;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  std::string dir_;
  int port_ = 0;
  int pid_ = 0;
};

}  // namespace podpower::labels::testing

#endif  // PODPOWER_LABELS_TEST_VICTORIA_METRICS_H_
