// Test helpers shared by the model tests: temporary folders, raw float64 files
// and running the scikit-learn oracle (tests/oracle/knn_sklearn.py) through
// Debian's /usr/bin/python3. Header-only on purpose: only test binaries include
// it.
#ifndef PODPOWER_MODEL_ORACLE_TEST_UTIL_H_
#define PODPOWER_MODEL_ORACLE_TEST_UTIL_H_

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace podpower::model::testing {

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("podpower-model-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void WriteF64(const std::string& path, const std::vector<double>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()),
            static_cast<std::streamsize>(v.size() * 8));
}

inline std::vector<double> ReadF64(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  std::vector<double> v(bytes.size() / 8);
  std::memcpy(v.data(), bytes.data(), v.size() * 8);
  return v;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// Runs tests/oracle/knn_sklearn.py <mode> <dir>; returns the exit status (0 =
// ok).
inline int RunOracle(const std::string& mode, const std::string& dir) {
  const std::string cmd =
      std::string(PODPOWER_PYTHON) + " " + PODPOWER_SOURCE_DIR +
      "/tests/oracle/knn_sklearn.py " + mode + " '" + dir + "'";
  return std::system(cmd.c_str());
}

// Whether Debian's python has sklearn (the oracle); tests skip with a reason
// when it has not.
inline bool HaveSklearn() {
  const std::string cmd = std::string(PODPOWER_PYTHON) +
                          " -c 'import sklearn, numpy' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace podpower::model::testing

#endif  // PODPOWER_MODEL_ORACLE_TEST_UTIL_H_
