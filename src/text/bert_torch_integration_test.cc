// Numerics oracle: tiny random BERT models built and run in PyTorch
// (tests/oracle/torch_tiny_bert.py) must give the same sentence embeddings as
// podpower's native forward pass, to 1e-5.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "text/sentence_encoder.h"

namespace podpower::text {
namespace {

class TorchOracle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // ctest runs each test in its own process: the oracle's output is kept in
    // the build folder, keyed by the script's contents, and made once (temp
    // folder renamed into place).
    const std::string script =
        std::string(PODPOWER_SOURCE_DIR) + "/tests/oracle/torch_tiny_bert.py";
    std::stringstream source;
    source << std::ifstream(script).rdbuf();
    dir_ =
        new std::string(std::string(PODPOWER_BINARY_DIR) + "/torch-oracle-" +
                        std::to_string(std::hash<std::string>{}(source.str())));
    if (!std::filesystem::exists(*dir_ + "/expected.json")) {
      if (std::system(PODPOWER_PYTHON " -c 'import torch' 2>/dev/null") != 0) {
        skip_reason_ = new std::string(PODPOWER_PYTHON
                                       " cannot import torch: install Debian's "
                                       "python3-torch to run this oracle");
        return;
      }
      std::string tmpl = *dir_ + ".XXXXXX";
      ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
      const std::string cmd =
          std::string(PODPOWER_PYTHON " ") + script + " " + tmpl;
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
      if (std::rename(tmpl.c_str(), dir_->c_str()) != 0)
        std::filesystem::remove_all(tmpl);  // another test process won
    }
    std::ifstream in(*dir_ + "/expected.json");
    expected_ = new nlohmann::json(nlohmann::json::parse(in));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete expected_;
    delete skip_reason_;
    dir_ = nullptr;
    expected_ = nullptr;
    skip_reason_ = nullptr;
  }
  void SetUp() override {
    if (skip_reason_) GTEST_SKIP() << *skip_reason_;
    if (!expected_)
      FAIL() << "the PyTorch oracle did not produce expected.json";
  }

  static std::vector<std::string> Texts() {
    return (*expected_)["texts"].get<std::vector<std::string>>();
  }

  static void ExpectClose(const std::vector<std::vector<float>>& got,
                          const nlohmann::json& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].size(), want[i].size()) << what << " text " << i;
      double worst = 0;
      for (size_t j = 0; j < got[i].size(); ++j)
        worst =
            std::max(worst, std::fabs(got[i][j] - want[i][j].get<double>()));
      EXPECT_LE(worst, 1e-5) << what << " text " << i;
    }
  }

  static std::string* dir_;
  static nlohmann::json* expected_;
  static std::string* skip_reason_;
};

std::string* TorchOracle::dir_ = nullptr;
nlohmann::json* TorchOracle::expected_ = nullptr;
std::string* TorchOracle::skip_reason_ = nullptr;

TEST_F(TorchOracle, tokenizer_gives_the_oracles_ids_including_truncation) {
  for (const char* model : {"f32_mean", "f16_cls"}) {
    auto enc = SentenceEncoder::Load(*dir_ + "/" + model, 1);
    const auto& want = (*expected_)["models"][model]["tokens"];
    auto texts = Texts();
    for (size_t i = 0; i < texts.size(); ++i)
      EXPECT_EQ(enc->Tokenize(texts[i]), want[i].get<std::vector<int32_t>>())
          << model << ": " << texts[i];
  }
}

TEST_F(TorchOracle, f32_mean_pooling_matches_torch_one_text_at_a_time) {
  auto enc = SentenceEncoder::Load(*dir_ + "/f32_mean", 1);
  EXPECT_EQ(enc->dim(), 32);
  EXPECT_EQ(enc->name(), "f32_mean");
  EXPECT_EQ(enc->max_seq_length(), 24);
  std::vector<std::vector<float>> got;
  for (const auto& t : Texts()) got.push_back(enc->Embed({t})[0]);
  ExpectClose(got, (*expected_)["models"]["f32_mean"]["single"], "f32 single");
}

TEST_F(TorchOracle, f32_mean_pooling_matches_torch_padded_batch) {
  auto enc = SentenceEncoder::Load(*dir_ + "/f32_mean", 1);
  ExpectClose(enc->Embed(Texts()),
              (*expected_)["models"]["f32_mean"]["batched"], "f32 batch");
}

TEST_F(TorchOracle, several_batches_on_two_threads_match_torch) {
  SentenceEncoderOptions options;
  options.threads = 2;
  options.batch_size = 3;
  auto enc = SentenceEncoder::Load(*dir_ + "/f32_mean", options);
  auto texts = Texts();
  auto want = (*expected_)["models"]["f32_mean"]["batched"];
  // Repeats must come back identical and in input order.
  texts.push_back(texts[1]);
  want.push_back(want[1]);
  ExpectClose(enc->Embed(texts), want, "f32 2 threads");
}

TEST_F(TorchOracle, f16_weights_cls_pooling_unnormalised_match_torch) {
  auto enc = SentenceEncoder::Load(*dir_ + "/f16_cls", 1);
  EXPECT_EQ(enc->max_seq_length(),
            32);  // from tokenizer_config.json, not tokenizer.json's 8
  std::vector<std::vector<float>> single;
  for (const auto& t : Texts()) single.push_back(enc->Embed({t})[0]);
  ExpectClose(single, (*expected_)["models"]["f16_cls"]["single"],
              "f16 single");
  ExpectClose(enc->Embed(Texts()), (*expected_)["models"]["f16_cls"]["batched"],
              "f16 batch");
}

TEST_F(TorchOracle, fingerprint_is_sha256_of_the_weights_file) {
  auto enc = SentenceEncoder::Load(*dir_ + "/f32_mean", 1);
  const std::string cmd = "sha256sum " + *dir_ + "/f32_mean/model.safetensors";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[65] = {0};
  ASSERT_EQ(fread(buf, 1, 64, p), 64u);
  pclose(p);
  EXPECT_EQ(enc->fingerprint(), std::string(buf));
}

}  // namespace
}  // namespace podpower::text
