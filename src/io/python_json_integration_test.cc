// PythonJsonDumps against /usr/bin/python3's json.dumps on a generated corpus
// of tricky values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "io/inference_request.h"
#include "io/python_json.h"

namespace podpower::io {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

fs::path TempDir() {
  auto dir = fs::temp_directory_path() /
             ("podpower_pyjson_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> RunOracle(const std::string& mode, const fs::path& in,
                                   fs::path out = {}) {
  if (out.empty()) out = in.string() + ".out";
  std::string cmd = std::string(PODPOWER_PYTHON) + " " + PODPOWER_SOURCE_DIR +
                    "/tests/oracle/python_json_dumps.py " + mode + " " +
                    in.string() + " " + out.string();
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd;
  std::ifstream f(out);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(f, line)) lines.push_back(line);
  return lines;
}

// Strings that exercise every escaping rule: quotes, backslash, control
// characters, DEL, Latin-1, BMP, astral (surrogate pairs), and the edges of
// each UTF-8 length.
std::vector<std::string> TrickyStrings() {
  return {"",
          "plain",
          "quote\"back\\slash/",
          "\n\r\t\b\f",
          std::string("\x00\x01\x1f", 3),
          "\x7f del",
          "caf\xc3\xa9",
          "\xc2\x80\xc2\xa0\xdf\xbf",
          "\xe2\x96\xb6 Step",
          "\xef\xbf\xbf\xee\x80\x80",
          "\xf0\x9f\x98\x80 emoji",
          "\xf4\x8f\xbf\xbf",
          "~ space ",
          "\xe4\xb8\xad\xe6\x96\x87"};
}

Json RandomValue(std::mt19937_64& rng, int depth) {
  auto strings = TrickyStrings();
  std::uniform_int_distribution<int> pick(0, depth > 2 ? 5 : 7);
  switch (pick(rng)) {
    case 0:
      return nullptr;
    case 1:
      return (rng() & 1) == 1;
    case 2: {
      static const int64_t ints[] = {0,
                                     -1,
                                     1,
                                     42,
                                     -4096,
                                     std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::min()};
      if (rng() % 3 == 0)
        return Json(std::numeric_limits<uint64_t>::max() - rng() % 7);
      if (rng() % 2 == 0) return Json(static_cast<int64_t>(rng()));
      return Json(ints[rng() % 7]);
    }
    case 3: {
      double d;
      uint64_t bits = rng();
      std::memcpy(&d, &bits, sizeof d);
      if (!std::isfinite(d)) d = 1e300;
      static const double specials[] = {
          0.1,    1e-5, 1e16,   1e15,   123456789012345680.0,
          1.5,    -0.0, 0.0001, 5e-324, 1.7976931348623157e308,
          2.5e-5, 100.0};
      if (rng() % 2 == 0) d = specials[rng() % 12];
      return d;
    }
    case 4:
    case 5:
      return strings[rng() % strings.size()];
    case 6: {
      Json a = Json::array();
      int n = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) a.push_back(RandomValue(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      int n = static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        std::string key =
            strings[rng() % strings.size()] + std::to_string(rng() % 3);
        if (!o.contains(key)) o[key] = RandomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

TEST(PythonJson, dumps_matches_python_on_generated_corpus) {
  std::mt19937_64 rng(20251027);
  std::vector<Json> corpus;
  for (const auto& s : TrickyStrings()) corpus.push_back(s);
  Json keys = Json::object();
  for (const auto& s : TrickyStrings()) keys[s] = s.size();
  corpus.push_back(
      keys);  // sort_keys must order by code point, not by byte of escaped form
  for (int i = 0; i < 400; ++i) corpus.push_back(RandomValue(rng, 0));
  auto dir = TempDir();
  {
    std::ofstream f(dir / "values.ndjson", std::ios::binary);
    for (const auto& v : corpus) f << v.dump(-1, ' ', false) << "\n";
  }
  auto expected = RunOracle("values", dir / "values.ndjson");
  ASSERT_EQ(expected.size(), corpus.size() * 2);
  for (size_t i = 0; i < corpus.size(); ++i) {
    EXPECT_EQ(PythonJsonDumps(corpus[i], true), expected[2 * i])
        << corpus[i].dump();
    EXPECT_EQ(PythonJsonDumps(corpus[i], false), expected[2 * i + 1])
        << corpus[i].dump();
  }
  fs::remove_all(dir);
}

TEST(PythonJson, float_repr_matches_python_for_random_bits_and_edges) {
  std::mt19937_64 rng(7);
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                -1.0,
                                0.1,
                                1e-5,
                                1e-4,
                                0.0001234,
                                1e16,
                                1e15,
                                9999999999999998.0,
                                1.5e16,
                                123.456,
                                5e-324,
                                2.2250738585072014e-308,
                                1.7976931348623157e308,
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::quiet_NaN(),
                                1.0 / 3.0,
                                100.0,
                                1e22,
                                1e21};
  for (int i = 0; i < 3000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    values.push_back(d);
  }
  for (int i = 0; i < 1000;
       ++i) {  // human-scale numbers, where the exponent rule bites
    std::uniform_real_distribution<double> e(-8, 20);
    values.push_back(std::round(std::pow(10.0, e(rng)) * 1000) / 1000);
  }
  auto dir = TempDir();
  {
    std::ofstream f(dir / "floats.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(double)));
  }
  auto expected = RunOracle("floats", dir / "floats.bin");
  ASSERT_EQ(expected.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(PythonJsonDumps(Json(values[i]), false), expected[i])
        << "value #" << i;
  }
  fs::remove_all(dir);
}

TEST(PythonJson, spec_hash_matches_python_for_every_sample_record) {
  auto dir = TempDir();
  for (const char* file :
       {"/examples/data/cluster-a/inference_requests.ndjson",
        "/examples/data/cluster-b/inference_requests.ndjson"}) {
    std::string path = std::string(PODPOWER_SOURCE_DIR) + file;
    auto records = ReadInferenceRequests(path).records;
    auto expected = RunOracle("spechash", path, dir / "hashes.out");
    ASSERT_EQ(expected.size(), records.size()) << file;
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(SpecHash(records[i]), expected[i]) << file << " record " << i;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace podpower::io
