// `podpower embed` output: parses as JSON, one vector per text in order, values
// exactly the encoder's (shortest round-trip printing), and clear errors for
// bad arguments.
#include "text/embed_texts.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/error.h"
#include "io/temp_dir.h"
#include "text/random_model.h"

namespace podpower::text {
namespace {

class EmbedTextsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(io::MakeTempDir("podpower-embed-test"));
    WriteRandomModelFolder(*dir_ + "/model", RandomModelSpec{});
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string Read(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  }
  static std::string* dir_;
};
std::string* EmbedTextsTest::dir_ = nullptr;

TEST_F(EmbedTextsTest, ndjson_has_one_exact_vector_per_input_line_in_order) {
  std::ofstream(*dir_ + "/in.txt") << "hello world\n\npod nginx\r\n";
  EmbedTextsOptions o;
  o.model = *dir_ + "/model";
  o.input = *dir_ + "/in.txt";
  o.output = *dir_ + "/out.ndjson";
  EmbedTexts(o);
  // One thread (one batch of three) here, all cores (smaller batches) in
  // EmbedTexts: still the same bits (docs/formats/text.md).
  auto enc = SentenceEncoder::Load(o.model, 1);
  auto want = enc->Embed({"hello world", "", "pod nginx"});
  std::istringstream lines(Read(o.output));
  std::string line;
  std::vector<std::string> texts;
  size_t i = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    texts.push_back(j["text"]);
    ASSERT_LT(i, want.size());
    ASSERT_EQ(j["embedding"].size(), 32u);
    for (size_t k = 0; k < 32; ++k)
      EXPECT_EQ(j["embedding"][k].get<float>(), want[i][k]);
    ++i;
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"hello world", "", "pod nginx"}));
}

TEST_F(EmbedTextsTest, json_names_model_fingerprint_and_dim) {
  EmbedTextsOptions o;
  o.model = *dir_ + "/model";
  o.texts = {"a \"quoted\" text"};
  o.format = "json";
  o.output = *dir_ + "/out.json";
  EmbedTexts(o);
  auto j = nlohmann::json::parse(Read(o.output));
  EXPECT_EQ(j["model"], "model");
  EXPECT_EQ(j["dim"], 32);
  EXPECT_EQ(j["fingerprint"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["embeddings"][0]["text"], "a \"quoted\" text");
}

TEST_F(EmbedTextsTest, bad_arguments_are_errors_and_write_nothing) {
  EmbedTextsOptions o;
  o.model = *dir_ + "/model";
  o.output = *dir_ + "/never.ndjson";
  EXPECT_THROW(EmbedTexts(o), Error);  // no texts
  o.texts = {"x"};
  o.input = *dir_ + "/in.txt";
  EXPECT_THROW(EmbedTexts(o), Error);  // both
  o.input = *dir_ + "/does-not-exist.txt";
  o.texts.clear();
  try {
    EmbedTexts(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("does-not-exist.txt: cannot read input"),
        std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

TEST(ShortestFloat, round_trips_exactly) {
  for (float f : {0.1f, -0.034477253f, 1e-30f, 3.4e38f, 0.0f}) {
    EXPECT_EQ(std::stof(ShortestFloat(f)), f);
  }
  EXPECT_EQ(ShortestFloat(0.1f), "0.1");
}

}  // namespace
}  // namespace podpower::text
