// Test helper: a real kube-apiserver v1.20.2 + etcd for one test binary,
// started on free loopback ports by tests/e2e/kube-up.sh (the binaries are
// built once into ~/.cache/podpower) and stopped, with its folder removed, by
// the destructor. When the start fails, ok() is false and why() says why, so
// tests can skip with that reason (REQUIRE_CLUSTER). Header-only; not
// thread-safe.
#ifndef PODPOWER_KUBE_TEST_CLUSTER_H_
#define PODPOWER_KUBE_TEST_CLUSTER_H_

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "kube/kubeconfig.h"

namespace podpower::kube::testing {

inline const std::string kKubeUp =
    std::string(PODPOWER_SOURCE_DIR) + "/tests/e2e/kube-up.sh";

inline int Shell(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

inline std::map<std::string, std::string> ReadEnv(const std::string& path) {
  std::map<std::string, std::string> env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

// One control plane for the lifetime of the object.
class Cluster {
 public:
  explicit Cluster(const std::string& name, bool watch_cache = true) {
    dir_ = (std::filesystem::temp_directory_path() /
            ("podpower-kube-" + name + "-" + std::to_string(getpid())))
               .string();
    std::filesystem::remove_all(dir_);
    std::string env = watch_cache ? "" : "KUBE_WATCH_CACHE=false ";
    int rc = Shell(env + "'" + kKubeUp + "' start '" + dir_ + "' >'" + dir_ +
                   ".log' 2>&1");
    if (rc == 0) {
      env_ = ReadEnv(dir_ + "/env");
      ok_ = true;
    } else {
      std::ifstream in(dir_ + ".log");
      std::stringstream s;
      s << in.rdbuf();
      why_ = "kube-up.sh start failed (status " + std::to_string(rc) +
             "): " + s.str();
    }
  }
  ~Cluster() {
    Shell("'" + kKubeUp + "' stop '" + dir_ + "' >/dev/null 2>&1");
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_ + ".log");
  }
  bool ok() const { return ok_; }
  const std::string& why() const { return why_; }
  std::string operator[](const std::string& key) const { return env_.at(key); }
  const std::string& dir() const { return dir_; }
  void StopApiserver() {
    ASSERT_EQ(Shell("'" + kKubeUp + "' stop-apiserver '" + dir_ + "'"), 0);
  }
  void StartApiserver() {
    ASSERT_EQ(Shell("'" + kKubeUp + "' start-apiserver '" + dir_ +
                    "' >/dev/null 2>&1"),
              0);
  }
  RestConfig Config() const {
    return LoadKubeconfig({env_.at("KUBECONFIG_FILE")}, "");
  }

 private:
  std::string dir_, why_;
  std::map<std::string, std::string> env_;
  bool ok_ = false;
};

}  // namespace podpower::kube::testing

#define REQUIRE_CLUSTER(c) \
  if (!(c).ok()) GTEST_SKIP() << "no real kube-apiserver: " << (c).why()

#endif  // PODPOWER_KUBE_TEST_CLUSTER_H_
