// InferenceRequest v1 parsing, writing and _spec_hash, checked against the
// original tool's own files in examples/data (the hashes in its
// features.parquet, the bytes of its NDJSON).
#include "io/inference_request.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "io/error.h"
#include "io/parquet.h"
#include "io/testing.h"

namespace podpower::io {
namespace {

namespace fs = std::filesystem;
const std::string kData = podpower::testing::SourcePath("examples/data/");

using podpower::testing::ReadFile;

fs::path WriteTemp(const std::string& name, const std::string& text) {
  static const fs::path dir =
      podpower::testing::MakeTempDir("podpower-ir-test");
  auto path = dir / name;
  podpower::testing::WriteFile(path.string(), text);
  return path;
}

using podpower::testing::ErrorOf;

TEST(InferenceRequest, spec_hash_reproduces_cluster_b_features_parquet) {
  auto records =
      ReadInferenceRequests(kData + "cluster-b/inference_requests.ndjson")
          .records;
  Table features = ReadParquet(kData + "cluster-b/features.parquet");
  const Column& hash = features.Require("_spec_hash", ColumnType::kString);
  const Column& name = features.Require("workload_name", ColumnType::kString);
  ASSERT_EQ(records.size(), 22u);
  ASSERT_EQ(features.rows(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].workload_name, name.strings[i]) << "row " << i;
    EXPECT_EQ(SpecHash(records[i]), hash.strings[i]) << "row " << i;
  }
}

TEST(InferenceRequest, spec_hash_reproduces_cluster_a_encoded_records) {
  auto records =
      ReadInferenceRequests(kData + "cluster-a/encoded_records.ndjson").records;
  Table features = ReadParquet(kData + "cluster-a/features.parquet");
  const Column& hash = features.Require("_spec_hash", ColumnType::kString);
  std::set<std::string> known(hash.strings.begin(), hash.strings.end());
  ASSERT_EQ(records.size(), 3u);
  for (const auto& r : records) {
    EXPECT_TRUE(known.count(SpecHash(r)))
        << r.workload_name << " hash " << SpecHash(r);
  }
}

TEST(InferenceRequest, spec_hash_changes_when_any_field_changes) {
  auto records =
      ReadInferenceRequests(kData + "cluster-b/inference_requests.ndjson")
          .records;
  InferenceRequest r = records[0];
  std::string before = SpecHash(r);
  r.raw["containers"][0]["req_cpu_mcpu"] = 101;
  EXPECT_NE(SpecHash(r), before);
}

TEST(InferenceRequest, writing_sample_records_reproduces_the_original_bytes) {
  for (const char* file : {"cluster-a/inference_requests.ndjson",
                           "cluster-b/inference_requests.ndjson",
                           "cluster-a/encoded_records.ndjson"}) {
    auto records = ReadInferenceRequests(kData + file).records;
    EXPECT_EQ(FormatInferenceRequests(records), ReadFile(kData + file)) << file;
  }
}

TEST(InferenceRequest,
     to_json_rebuilds_sample_records_in_original_field_order) {
  auto records =
      ReadInferenceRequests(kData + "cluster-a/inference_requests.ndjson")
          .records;
  for (const auto& r : records) {
    EXPECT_EQ(ToJson(r).dump(), r.raw.dump()) << r.workload_name;
  }
}

TEST(InferenceRequest, typed_view_reads_fields) {
  auto records =
      ReadInferenceRequests(kData + "cluster-b/inference_requests.ndjson")
          .records;
  const InferenceRequest& coredns = records[1];
  EXPECT_EQ(coredns.namespace_, "kube-system");
  EXPECT_EQ(coredns.workload_kind, "Deployment");
  EXPECT_EQ(coredns.labels.at("k8s-app"), "kube-dns");
  ASSERT_EQ(coredns.containers.size(), 1u);
  EXPECT_EQ(coredns.containers[0].req_cpu_mcpu, 100);
  EXPECT_EQ(coredns.containers[0].lim_mem_mib, 170);
  EXPECT_FALSE(coredns.containers[0].lim_cpu_mcpu.has_value());
  EXPECT_FALSE(coredns.containers[0].command.has_value());
  ASSERT_TRUE(coredns.containers[0].args.has_value());
  EXPECT_EQ(coredns.containers[0].args->at(0), "-conf");
  EXPECT_FALSE(coredns.node_type.has_value());
}

TEST(InferenceRequest, malformed_line_names_file_and_line) {
  auto path =
      WriteTemp("bad.ndjson", "{\"namespace\":\"a\"}\n\n{\"namespace\": \n");
  std::string msg = ErrorOf([&] { ReadInferenceRequests(path.string()); });
  EXPECT_EQ(msg.rfind(path.string() + ":3: parse error", 0), 0u) << msg;
}

TEST(InferenceRequest, wrong_typed_field_names_the_field_path) {
  auto path = WriteTemp("typed.ndjson",
                        "{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},"
                        "{\"name\":\"b\",\"image\":7}]}\n");
  EXPECT_EQ(
      ErrorOf([&] { ReadInferenceRequests(path.string()); }),
      path.string() +
          ":1: field 'containers[1].image': expected string, got integer");
  auto path2 = WriteTemp("typed2.ndjson",
                         "{\"containers\":[{\"req_cpu_mcpu\":\"100m\"}]}\n");
  EXPECT_EQ(ErrorOf([&] { ReadInferenceRequests(path2.string()); }),
            path2.string() +
                ":1: field 'containers[0].req_cpu_mcpu': expected integer or "
                "null, got string");
  auto path3 = WriteTemp("typed3.ndjson", "{\"schema_version\":\"v2\"}\n");
  EXPECT_EQ(ErrorOf([&] { ReadInferenceRequests(path3.string()); }),
            path3.string() +
                ":1: field 'schema_version': expected \"v1\", got \"v2\"");
}

// Kubernetes refuses negative requests, limits and counts; so does podpower,
// naming the field, instead of predicting from them.
TEST(InferenceRequest, negative_resources_and_counts_are_refused) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"{\"containers\":[{\"req_cpu_mcpu\":-500}]}",
       "containers[0].req_cpu_mcpu"},
      {"{\"containers\":[{\"lim_mem_mib\":-1}]}", "containers[0].lim_mem_mib"},
      {"{\"gpu_count\":-2}", "gpu_count"},
      {"{\"parallelism\":-3}", "parallelism"},
  };
  for (const auto& [line, field] : cases) {
    auto path = WriteTemp("negative.ndjson", line + "\n");
    const std::string msg =
        ErrorOf([&] { ReadInferenceRequests(path.string()); });
    EXPECT_EQ(msg, path.string() + ":1: field '" + field +
                       "': expected non-negative integer or null, got integer")
        << line;
  }
  auto zero =
      WriteTemp("zero.ndjson",
                "{\"gpu_count\":0,\"containers\":[{\"req_cpu_mcpu\":0}]}\n");
  EXPECT_EQ(ReadInferenceRequests(zero.string()).records.size(), 1u);
}

TEST(InferenceRequest, skip_invalid_warns_counts_and_goes_on) {
  auto path = WriteTemp(
      "mixed.ndjson",
      "{\"workload_name\":\"a\"}\nnot json\n[1]\n{\"workload_name\":\"b\"}\n");
  NdjsonReadOptions options;
  options.skip_invalid = true;
  ::testing::internal::CaptureStderr();
  auto result = ReadInferenceRequests(path.string(), options);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(result.records.size(), 2u);
  EXPECT_EQ(result.records[1].workload_name, "b");
  EXPECT_EQ(result.skipped, 2u);
  EXPECT_NE(err.find(path.string() + ":2:"), std::string::npos) << err;
  EXPECT_NE(err.find(path.string() + ":3: expected a JSON object"),
            std::string::npos)
      << err;
}

TEST(InferenceRequest, empty_input_is_an_error) {
  auto path = WriteTemp("empty.ndjson", "\n  \n");
  EXPECT_EQ(ErrorOf([&] { ReadInferenceRequests(path.string()); }),
            path.string() + ": no records");
  EXPECT_EQ(ErrorOf([&] {
              ReadInferenceRequests("/nonexistent/x.ndjson");
            }).rfind("/nonexistent/x.ndjson: cannot open", 0),
            0u);
}

TEST(InferenceRequest, non_string_scalars_read_as_python_str) {
  auto path = WriteTemp("scalars.ndjson",
                        "{\"labels\":{\"n\":3,\"b\":true,\"f\":1.5},"
                        "\"containers\":[{\"args\":[1,null,false]}]}\n");
  auto r = ReadInferenceRequests(path.string()).records.at(0);
  EXPECT_EQ(r.labels.at("n"), "3");
  EXPECT_EQ(r.labels.at("b"), "True");
  EXPECT_EQ(r.labels.at("f"), "1.5");
  EXPECT_EQ(*r.containers[0].args,
            (std::vector<std::string>{"1", "None", "False"}));
}

TEST(InferenceRequest, write_is_atomic_and_round_trips) {
  auto records =
      ReadInferenceRequests(kData + "cluster-b/inference_requests.ndjson")
          .records;
  auto dir = fs::temp_directory_path() /
             ("podpower_ir_rt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  WriteInferenceRequests(records, (dir / "out.ndjson").string());
  auto again = ReadInferenceRequests((dir / "out.ndjson").string()).records;
  ASSERT_EQ(again.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i)
    EXPECT_EQ(SpecHash(again[i]), SpecHash(records[i]));
  EXPECT_THROW(WriteInferenceRequests(records, "/nonexistent-dir/out.ndjson"),
               Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace podpower::io

namespace podpower::io {
namespace {

TEST(SpecHash, observation_fields_of_the_live_collector_do_not_change_it) {
  auto records = ReadInferenceRequests(
                     std::string(PODPOWER_SOURCE_DIR) +
                     "/examples/data/cluster-b/inference_requests.ndjson")
                     .records;
  InferenceRequest sighting = records[0];
  const std::string original = SpecHash(sighting);
  sighting.raw["event"] = "MODIFIED";
  sighting.raw["uid"] = "3f1c-uid";
  sighting.raw["resource_version"] = "12345";
  sighting.raw["observed_at"] = "2026-11-28T00:03:04.123Z";
  sighting.raw["replicas"] = 3;
  sighting.raw["schedule"] = nullptr;
  EXPECT_EQ(SpecHash(sighting), original);
  // A field that shapes the pod does change it.
  sighting.raw["effective_gpu_count"] = 1;
  EXPECT_NE(SpecHash(sighting), original);
}

}  // namespace
}  // namespace podpower::io
