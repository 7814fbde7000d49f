// Helpers shared by podpower's GoogleTest binaries (test code only).
//
// Header-only so no library carries test code; it needs PODPOWER_SOURCE_DIR,
// which podpower_stage() defines for test binaries only. Every function is
// thread-compatible (no shared state) and reports failure by throwing (a test
// that cannot set up fails loudly instead of checking nothing).
#ifndef PODPOWER_IO_TESTING_H_
#define PODPOWER_IO_TESTING_H_

#ifndef PODPOWER_SOURCE_DIR
#error "io/testing.h is for test binaries (PODPOWER_SOURCE_DIR not defined)"
#endif

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/temp_dir.h"

namespace podpower::testing {

// A fresh private folder (io/temp_dir.h); the caller removes it.
using io::MakeTempDir;

// The classic "billion laughs": nine lines of YAML (342 bytes unindented)
// whose aliases expand to 9^9 strings, each line prefixed with `indent` so it
// can sit under a key. Parsers must refuse it without expanding it.
inline std::string BillionLaughsYaml(const std::string& indent = "") {
  // Streams, not string operator+: GCC 12 at -O3 warns falsely (-Wrestrict)
  // on some inlined string concatenations in files that include this header.
  std::ostringstream out;
  out << indent << "a: &a [\"lol\"";
  for (int i = 1; i < 9; ++i) out << ",\"lol\"";
  out << "]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const char previous = static_cast<char>(c - 1);
    out << indent << c << ": &" << c << " [*" << previous;
    for (int i = 1; i < 9; ++i) out << ",*" << previous;
    out << "]\n";
  }
  return out.str();
}

// The whole file's bytes; "" when it cannot be opened (the test's comparison
// then fails and shows what was expected).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces the file's contents with `bytes` exactly (binary, truncating).
// Throws podpower::Error when the file cannot be written.
inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) throw Error(path + ": cannot write test file");
}

// The names of the entries in folder `dir`, sorted (so a test can compare them
// with a list and see a left-over temp file). Throws std::filesystem_error
// when `dir` cannot be read.
inline std::vector<std::string> FileNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// The message of the podpower::Error that `f` throws, or "<no error>" when it
// returns normally. Any other exception propagates (and fails the test).
inline std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// `relative` (e.g. "examples/data/cluster-b/features.parquet") inside the
// source tree, so tests find the sample data from any build folder.
inline std::string SourcePath(const std::string& relative) {
  return std::string(PODPOWER_SOURCE_DIR) + "/" + relative;
}

}  // namespace podpower::testing

#endif  // PODPOWER_IO_TESTING_H_
