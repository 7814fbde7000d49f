// Loading a sentence-transformers folder: a valid random folder loads; each way
// of breaking it gives a one-line podpower::Error naming the file and what was
// expected.
#include "text/model_folder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "io/error.h"
#include "io/temp_dir.h"
#include "text/random_model.h"
#include "text/safetensors.h"
#include "text/sentence_encoder.h"

namespace podpower::text {
namespace {

class ModelFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = io::MakeTempDir("podpower-mf");
    WriteRandomModelFolder(dir_, RandomModelSpec{});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Edit(const std::string& file,
            const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(dir_ + "/" + file));
    change(j);
    std::ofstream(dir_ + "/" + file) << j.dump();
  }

  // The message SentenceEncoder::Load throws; checks it is one line.
  std::string LoadError() {
    try {
      SentenceEncoder::Load(dir_, 1);
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      return msg;
    }
    return "loaded without error";
  }

  std::string dir_;
};

TEST_F(ModelFolderTest, valid_random_folder_loads_and_embeds_unit_vectors) {
  ModelFolder m = ReadModelFolder(dir_);
  EXPECT_EQ(m.pooling, Pooling::kMean);
  EXPECT_TRUE(m.normalize);
  EXPECT_EQ(m.max_seq_length, 64);
  auto enc = SentenceEncoder::Load(dir_, 1);
  auto v = enc->Embed({"hello world", "pod"});
  ASSERT_EQ(v.size(), 2u);
  double norm = 0;
  for (float f : v[0]) norm += f * f;
  EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-6);
  EXPECT_NE(v[0], v[1]);
  EXPECT_TRUE(enc->Embed({}).empty());
}

TEST_F(ModelFolderTest, missing_folder_and_files) {
  std::filesystem::remove(dir_ + "/modules.json");
  EXPECT_EQ(
      LoadError(),
      dir_ + "/modules.json: missing (the sentence-transformers module list)");
  std::filesystem::remove_all(dir_);
  EXPECT_NE(LoadError().find(dir_ + ": model folder not found"),
            std::string::npos);
}

TEST_F(ModelFolderTest,
       missing_weights_mentions_pytorch_bin_when_only_that_exists) {
  std::filesystem::rename(dir_ + "/model.safetensors",
                          dir_ + "/pytorch_model.bin");
  EXPECT_NE(
      LoadError().find(
          "model.safetensors: missing (pytorch_model.bin is not supported"),
      std::string::npos);
}

TEST_F(ModelFolderTest, non_bert_architecture_is_refused) {
  Edit("config.json", [](nlohmann::json& j) { j["model_type"] = "roberta"; });
  EXPECT_EQ(LoadError(),
            dir_ +
                "/config.json: field 'model_type': expected \"bert\" (a BERT "
                "architecture), got \"roberta\"");
}

TEST_F(ModelFolderTest, tanh_gelu_or_relu_is_refused) {
  Edit("config.json", [](nlohmann::json& j) { j["hidden_act"] = "relu"; });
  EXPECT_NE(LoadError().find("field 'hidden_act': expected \"gelu\""),
            std::string::npos);
}

TEST_F(ModelFolderTest, max_pooling_is_refused) {
  Edit("1_Pooling/config.json", [](nlohmann::json& j) {
    j["pooling_mode_mean_tokens"] = false;
    j["pooling_mode_max_tokens"] = true;
  });
  EXPECT_NE(LoadError().find("1_Pooling/config.json: field "
                             "'pooling_mode_max_tokens': unsupported"),
            std::string::npos);
}

TEST_F(ModelFolderTest,
       config_shape_that_disagrees_with_the_weights_names_the_tensor) {
  Edit("config.json", [](nlohmann::json& j) { j["intermediate_size"] = 64; });
  EXPECT_EQ(
      LoadError(),
      dir_ +
          "/model.safetensors: tensor "
          "'encoder.layer.0.intermediate.dense.weight' has shape [48, 32], "
          "expected [64, 32]");
}

TEST_F(ModelFolderTest, missing_tensor_is_named) {
  auto file = SafetensorsFile::Open(dir_ + "/model.safetensors");
  std::vector<TensorToWrite> keep;
  for (const auto& [name, info] : file->tensors()) {
    if (name == "encoder.layer.1.output.LayerNorm.bias") continue;
    keep.push_back(
        {name, info.shape, file->ReadFloats(name, info.shape), false});
  }
  file.reset();
  WriteSafetensors(dir_ + "/model.safetensors", keep);
  EXPECT_EQ(LoadError(), dir_ +
                             "/model.safetensors: tensor "
                             "'encoder.layer.1.output.LayerNorm.bias' missing");
}

TEST_F(ModelFolderTest, corrupt_safetensors_header) {
  std::fstream f(dir_ + "/model.safetensors",
                 std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(8);
  f.put('X');
  f.close();
  EXPECT_NE(LoadError().find("model.safetensors: corrupt safetensors header"),
            std::string::npos);
}

TEST_F(ModelFolderTest, max_seq_length_beyond_positions_is_refused) {
  Edit("sentence_bert_config.json",
       [](nlohmann::json& j) { j["max_seq_length"] = 65; });
  EXPECT_NE(LoadError().find("field 'max_seq_length': expected 2..64"),
            std::string::npos);
}

TEST_F(ModelFolderTest, invalid_json_names_the_file) {
  std::ofstream(dir_ + "/config.json") << "{\"hidden_size\": ";
  EXPECT_NE(LoadError().find(dir_ + "/config.json: not valid JSON"),
            std::string::npos);
}

TEST_F(ModelFolderTest, f16_weights_give_nearly_the_f32_embedding) {
  auto f32 = SentenceEncoder::Load(dir_, 1)->Embed({"hello nginx image"})[0];
  RandomModelSpec spec;
  spec.f16 = true;
  WriteRandomModelFolder(dir_, spec);
  auto enc = SentenceEncoder::Load(dir_, 1);
  auto f16 = enc->Embed({"hello nginx image"})[0];
  double dot = 0;
  for (size_t i = 0; i < f32.size(); ++i) dot += f32[i] * f16[i];
  EXPECT_GT(dot,
            0.999);  // both unit vectors; weights differ only by half rounding
  EXPECT_LT(dot, 1.0 - 1e-9);
}

}  // namespace
}  // namespace podpower::text
