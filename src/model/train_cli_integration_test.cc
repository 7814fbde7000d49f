// `podpower train` as a user runs it: exit status, one-line errors, stdout, no
// partial output.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "io/parquet.h"
#include "model/oracle_test_util.h"

namespace podpower::model {
namespace {

using testing::TempDir;

const std::string kBinary =
    std::string(PODPOWER_BINARY_DIR) + "/src/cli/podpower";
const std::string kClusterA = std::string(PODPOWER_SOURCE_DIR) +
                              "/examples/data/cluster-a/train_rows.parquet";

struct CliRun {
  int status;
  std::string out, err;
};

CliRun Podpower(const TempDir& dir, const std::string& args) {
  const std::string cmd = kBinary + " " + args + " >'" + (dir / "stdout") +
                          "' 2>'" + (dir / "stderr") + "'";
  const int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1,
          testing::ReadText(dir / "stdout"), testing::ReadText(dir / "stderr")};
}

TEST(TrainCli, aggregate_on_cluster_a_prints_cv_line_and_writes_model) {
  if (!std::filesystem::exists(kBinary))
    GTEST_SKIP() << kBinary << " not built";
  TempDir dir;
  const CliRun r = Podpower(dir, "train --train " + kClusterA + " --out '" +
                                     (dir / "m.knn") + "' --aggregate");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_match(
      r.out,
      std::regex(
          R"(CV MAE: \d+\.\d{3} ± \d+\.\d{3} \| R2: (nan|-?\d+\.\d{3})\n)")))
      << r.out;
  EXPECT_NE(r.err.find("dropped 11 of 826"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "m.knn"));
}

TEST(TrainCli, bad_input_exits_1_with_one_line_and_no_output) {
  if (!std::filesystem::exists(kBinary))
    GTEST_SKIP() << kBinary << " not built";
  TempDir dir;
  std::ofstream(dir / "empty.parquet").close();
  const std::vector<std::string> bad = {
      "train --train " + kClusterA +
          " --target total_energy_j",  // column missing in window mode
      "train --train " + kClusterA + " --metric manhattan",
      "train --train '" + (dir / "empty.parquet") + "'",
      "train --train '" + (dir / "missing.parquet") + "'",
  };
  for (const auto& args : bad) {
    const CliRun r = Podpower(dir, args + " --out '" + (dir / "m.knn") + "'");
    EXPECT_EQ(r.status, 1) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("podpower: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "m.knn")) << args;
  }
}

}  // namespace
}  // namespace podpower::model
