// ReadWorkloadTruth: reads what simulate writes, finds columns by name, and
// rejects bad files with one line naming file:line and the field.
#include "simulate/truth.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "io/error.h"
#include "io/temp_dir.h"

namespace podpower::simulate {
namespace {

class TruthFile : public ::testing::Test {
 protected:
  TruthFile() : dir_(io::MakeTempDir("podpower-truth")) {}
  ~TruthFile() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& text) {
    const std::string path = dir_ + "/truth_workloads.csv";
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // The message of the Error that reading `text` throws ("" if none).
  std::string ErrorOf(const std::string& text) {
    const std::string path = Write(text);
    try {
      ReadWorkloadTruth(path);
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_EQ(message.rfind(path, 0), 0u) << message;
      return message.substr(path.size());
    }
    return "";
  }
  std::string dir_;
};

constexpr const char* kHeader =
    "namespace,workload_kind,workload_name,family,pods,mean_watts_per_pod,"
    "oracle_watts_per_pod,oracle_label_watts_per_pod\n";

TEST_F(TruthFile, reads_every_workload_by_its_key) {
  const auto truth =
      ReadWorkloadTruth(Write(std::string(kHeader) +
                              "shop,Deployment,orders-nginx,nginx,3,4.500000,"
                              "4.250000,4.250000\n"
                              "ml,Job,export-pytorch,pytorch,2,80.000000,"
                              "75.500000,12.250000\n"));
  ASSERT_EQ(truth.size(), 2u);
  const auto& job = truth.at({"ml", "Job", "export-pytorch"});
  EXPECT_EQ(job.family, "pytorch");
  EXPECT_EQ(job.pods, 2);
  // Exact: short decimal fractions of powers of two parse exactly.
  EXPECT_EQ(job.mean_watts_per_pod, 80.0);
  EXPECT_EQ(job.oracle_watts_per_pod, 75.5);
  EXPECT_EQ(job.oracle_label_watts_per_pod, 12.25);
  EXPECT_EQ(truth.at({"shop", "Deployment", "orders-nginx"}).pods, 3);
}

TEST_F(TruthFile, finds_columns_by_name_and_ignores_extra_ones) {
  const auto truth = ReadWorkloadTruth(
      Write("oracle_label_watts_per_pod,extra,oracle_watts_per_pod,"
            "mean_watts_per_pod,pods,family,workload_name,workload_kind,"
            "namespace\r\n"
            "1.5,x,2.5,3.5,1,redis,users-redis,Deployment,data\r\n"));
  const auto& w = truth.at({"data", "Deployment", "users-redis"});
  EXPECT_EQ(w.oracle_label_watts_per_pod, 1.5);
  EXPECT_EQ(w.oracle_watts_per_pod, 2.5);
  EXPECT_EQ(w.mean_watts_per_pod, 3.5);
}

TEST_F(TruthFile, bad_files_are_one_line_errors_with_line_and_field) {
  EXPECT_EQ(ErrorOf(""),
            ":1: empty file, expected a truth_workloads.csv header");
  // A file from before the oracle columns.
  EXPECT_EQ(ErrorOf("namespace,workload_kind,workload_name,family,pods,"
                    "mean_watts_per_pod\nshop,Deployment,a,nginx,1,2\n"),
            ":1: missing column 'oracle_watts_per_pod' (truth_workloads.csv "
            "from podpower simulate expected)");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "shop,Deployment,a,nginx,1,2,3\n"),
            ":2: expected 8 fields, got 7");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "shop,Deployment,a,nginx,1,2,3,4\n" +
                    "shop,Deployment,b,nginx,1,2,3x,4\n"),
            ":3: oracle_watts_per_pod: expected a finite number, got '3x'");
  EXPECT_EQ(
      ErrorOf(std::string(kHeader) + "shop,Deployment,a,nginx,1,nan,3,4\n"),
      ":2: mean_watts_per_pod: expected a finite number, got 'nan'");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "shop,Deployment,a,nginx,0,2,3,4\n"),
            ":2: pods: expected a positive integer, got '0'");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "shop,Deployment,a,nginx,1,2,3,4\n" +
                    "shop,Deployment,a,nginx,1,2,3,4\n"),
            ":3: workload shop/Deployment/a listed twice");
  EXPECT_EQ(ErrorOf(std::string(kHeader)), "");  // header only: no workloads
  EXPECT_THROW(ReadWorkloadTruth(dir_ + "/missing.csv"), Error);
}

}  // namespace
}  // namespace podpower::simulate
