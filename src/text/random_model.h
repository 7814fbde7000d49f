// Writes a complete sentence-transformers BERT model folder with random
// weights: the fixture for tests (bad-input cases start from a valid folder and
// break one thing) and for the benchmark (MiniLM shapes without MiniLM's
// weights, which no package ships).
//
// The vocabulary is [PAD] [UNK] [CLS] [SEP] [MASK], the words in
// RandomModelSpec::words, then
// "[unused<i>]" up to vocab_size, so "hello hello ..." gives one token per
// word. Weights are N(0, 1/sqrt(fan_in)) from a fixed seed; deterministic.
// Throws podpower::Error on write failures.
#ifndef PODPOWER_TEXT_RANDOM_MODEL_H_
#define PODPOWER_TEXT_RANDOM_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "text/model_folder.h"

namespace podpower::text {

struct RandomModelSpec {
  BertConfig bert{.vocab_size = 300,
                  .hidden_size = 32,
                  .num_layers = 2,
                  .num_heads = 4,
                  .intermediate_size = 48,
                  .max_position_embeddings = 64,
                  .type_vocab_size = 2,
                  .layer_norm_eps = 1e-12f};
  int max_seq_length = 64;
  bool f16 = false;
  uint64_t seed = 1;
  std::vector<std::string> words = {"hello", "world", "pod",
                                    "nginx", "image", "latest"};
};

// MiniLM-L6 shapes: vocab 30522, hidden 384, 6 layers, 12 heads, FFN 1536, 512
// positions, max 256.
RandomModelSpec MiniLmShapedSpec();

// Creates `folder` (and parents) and writes config.json, modules.json,
// sentence_bert_config.json, 1_Pooling/config.json, 2_Normalize/,
// tokenizer_config.json, vocab.txt and model.safetensors.
void WriteRandomModelFolder(const std::string& folder,
                            const RandomModelSpec& spec);

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_RANDOM_MODEL_H_
