// The embedding contract (docs/formats/text.md): a text's vector is bit for bit
// the same whatever batch, batch size, thread count or call order it is
// computed in; kernels of the same rounding agree exactly (AVX2+FMA and
// AVX-512; AVX and portable), the two kinds to float32 rounding error. Shapes
// are odd on purpose (hidden 36, head width 9, FFN 52) so rows, heads and
// panels are all partial.
#include "text/sentence_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/temp_dir.h"
#include "text/random_model.h"

namespace podpower::text {
namespace {

class SentenceEncoderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(io::MakeTempDir("podpower-sentence-encoder-test"));
    RandomModelSpec spec;
    spec.bert.hidden_size = 36;
    spec.bert.num_heads = 4;
    spec.bert.intermediate_size = 52;
    WriteRandomModelFolder(*dir_ + "/model", spec);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string model() { return *dir_ + "/model"; }

  // Texts of 0 to 60 words (2 to 62 tokens), several of each length.
  static std::vector<std::string> Texts() {
    const std::vector<std::string> words = {"hello", "world", "pod",
                                            "nginx", "image", "latest"};
    std::vector<std::string> texts;
    std::mt19937 rng(11);
    for (int i = 0; i < 70; ++i) {
      std::string t;
      const int n = static_cast<int>(rng() % 61);
      for (int j = 0; j < n; ++j) {
        if (j) t += ' ';
        t += words[rng() % words.size()];
      }
      texts.push_back(t);
    }
    return texts;
  }
  static std::string* dir_;
};
std::string* SentenceEncoderTest::dir_ = nullptr;

TEST_F(SentenceEncoderTest, a_text_gets_the_same_bits_in_any_batch) {
  const auto texts = Texts();
  // Reference: every text on its own, one thread, batches of one.
  auto alone = SentenceEncoder::Load(model(), {.threads = 1, .batch_size = 1});
  std::vector<std::vector<float>> want;
  for (const auto& t : texts) want.push_back(alone->Embed({t})[0]);

  // Mixed batches: other thread counts and batch sizes, the texts shuffled,
  // repeated and mixed with others.
  auto mixed = texts;
  mixed.insert(mixed.end(), texts.begin(), texts.begin() + 9);
  std::shuffle(mixed.begin(), mixed.end(), std::mt19937(3));
  for (auto options :
       {SentenceEncoderOptions{.threads = 1, .batch_size = 32},
        SentenceEncoderOptions{.threads = 2, .batch_size = 32},
        SentenceEncoderOptions{.threads = 3, .batch_size = 5},
        SentenceEncoderOptions{.threads = 0, .batch_size = 64}}) {
    auto enc = SentenceEncoder::Load(model(), options);
    const auto got = enc->Embed(mixed);
    for (size_t i = 0; i < mixed.size(); ++i) {
      const size_t j =
          std::find(texts.begin(), texts.end(), mixed[i]) - texts.begin();
      ASSERT_EQ(got[i], want[j])
          << "text " << i << " threads " << options.threads << " batch "
          << options.batch_size;
    }
  }
}

TEST_F(SentenceEncoderTest, kernels_agree_exactly_or_to_rounding) {
  const auto texts = Texts();
  auto enc = SentenceEncoder::Load(model(), 1);
  std::vector<std::vector<int32_t>> ids;
  for (const auto& t : texts) ids.push_back(enc->Tokenize(t));
  auto weights = SafetensorsFile::Open(enc->folder().weights_path);
  auto bert = BertModel::Load(*weights, enc->folder().bert);
  std::vector<std::vector<std::vector<float>>> results;
  std::vector<MatMulKernel> kernels;
  for (auto k : {MatMulKernel::kPortable, MatMulKernel::kAvx,
                 MatMulKernel::kAvx2Fma, MatMulKernel::kAvx512}) {
    if (!MatMulKernelSupported(k)) continue;
    bert->set_kernel(k);
    results.push_back(
        bert->Embed(ids, enc->folder().pooling, enc->folder().normalize));
    kernels.push_back(k);
  }
  // The encoder uses the best kernel.
  EXPECT_EQ(enc->Embed(texts), results.back());
  // Same rounding, same bits: portable = avx, avx2+fma = avx512.
  for (size_t k = 1; k < results.size(); ++k) {
    for (size_t j = 0; j < k; ++j) {
      const bool fused_k = kernels[k] == MatMulKernel::kAvx2Fma ||
                           kernels[k] == MatMulKernel::kAvx512;
      const bool fused_j = kernels[j] == MatMulKernel::kAvx2Fma ||
                           kernels[j] == MatMulKernel::kAvx512;
      if (fused_k == fused_j) {
        EXPECT_EQ(results[k], results[j])
            << MatMulKernelName(kernels[k]) << " vs "
            << MatMulKernelName(kernels[j]);
      }
    }
  }
  // Unit vectors: components agree to a few float32 ulps of 1.
  for (size_t k = 1; k < results.size(); ++k) {
    for (size_t i = 0; i < texts.size(); ++i) {
      for (size_t j = 0; j < results[k][i].size(); ++j) {
        EXPECT_NEAR(results[k][i][j], results[0][i][j], 1e-6)
            << MatMulKernelName(kernels[k]) << " text " << i;
      }
    }
  }
}

}  // namespace
}  // namespace podpower::text
