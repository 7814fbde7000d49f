#include "text/random_model.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "io/atomic_file.h"
#include "io/error.h"
#include "text/safetensors.h"

namespace podpower::text {

RandomModelSpec MiniLmShapedSpec() {
  RandomModelSpec s;
  s.bert = BertConfig{.vocab_size = 30522,
                      .hidden_size = 384,
                      .num_layers = 6,
                      .num_heads = 12,
                      .intermediate_size = 1536,
                      .max_position_embeddings = 512,
                      .type_vocab_size = 2,
                      .layer_norm_eps = 1e-12f};
  s.max_seq_length = 256;
  return s;
}

void WriteRandomModelFolder(const std::string& folder,
                            const RandomModelSpec& spec) {
  std::error_code ec;
  std::filesystem::create_directories(folder + "/1_Pooling", ec);
  std::filesystem::create_directories(folder + "/2_Normalize", ec);
  if (ec) throw Error(folder + ": cannot create model folder: " + ec.message());
  const BertConfig& c = spec.bert;
  nlohmann::json config = {
      {"architectures", {"BertModel"}},
      {"model_type", "bert"},
      {"hidden_act", "gelu"},
      {"position_embedding_type", "absolute"},
      {"vocab_size", c.vocab_size},
      {"hidden_size", c.hidden_size},
      {"num_hidden_layers", c.num_layers},
      {"num_attention_heads", c.num_heads},
      {"intermediate_size", c.intermediate_size},
      {"max_position_embeddings", c.max_position_embeddings},
      {"type_vocab_size", c.type_vocab_size},
      {"layer_norm_eps", c.layer_norm_eps}};
  io::WriteTextFile(folder + "/config.json", config.dump(2));
  io::WriteTextFile(folder + "/modules.json", R"([
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
])");
  io::WriteTextFile(folder + "/sentence_bert_config.json",
                    nlohmann::json({{"max_seq_length", spec.max_seq_length},
                                    {"do_lower_case", false}})
                        .dump());
  io::WriteTextFile(
      folder + "/1_Pooling/config.json",
      nlohmann::json({{"word_embedding_dimension", c.hidden_size},
                      {"pooling_mode_cls_token", false},
                      {"pooling_mode_mean_tokens", true},
                      {"pooling_mode_max_tokens", false},
                      {"pooling_mode_mean_sqrt_len_tokens", false}})
          .dump());
  io::WriteTextFile(
      folder + "/tokenizer_config.json",
      R"({"do_lower_case": true, "tokenize_chinese_chars": true, "strip_accents": null})");
  std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  int n = 5;
  for (const auto& w : spec.words) {
    vocab += w + "\n";
    ++n;
  }
  for (; n < c.vocab_size; ++n) vocab += "[unused" + std::to_string(n) + "]\n";
  io::WriteTextFile(folder + "/vocab.txt", vocab);

  std::mt19937_64 rng(spec.seed);
  std::vector<TensorToWrite> tensors;
  auto add = [&](const std::string& name, std::vector<int64_t> shape,
                 float mean, float stddev) {
    TensorToWrite t{name, shape, {}, spec.f16};
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    std::normal_distribution<float> dist(mean, stddev);
    t.values.resize(static_cast<size_t>(count));
    for (float& v : t.values) v = dist(rng);
    tensors.push_back(std::move(t));
  };
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  const float wh = 1.0f / std::sqrt(static_cast<float>(H));
  const float wi = 1.0f / std::sqrt(static_cast<float>(I));
  add("embeddings.word_embeddings.weight", {c.vocab_size, H}, 0, 0.5f);
  add("embeddings.position_embeddings.weight", {c.max_position_embeddings, H},
      0, 0.5f);
  add("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H}, 0,
      0.5f);
  add("embeddings.LayerNorm.weight", {H}, 1, 0.1f);
  add("embeddings.LayerNorm.bias", {H}, 0, 0.1f);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (const char* part : {"query", "key", "value"}) {
      add(p + "attention.self." + part + ".weight", {H, H}, 0, wh);
      add(p + "attention.self." + part + ".bias", {H}, 0, 0.1f);
    }
    add(p + "attention.output.dense.weight", {H, H}, 0, wh);
    add(p + "attention.output.dense.bias", {H}, 0, 0.1f);
    add(p + "attention.output.LayerNorm.weight", {H}, 1, 0.1f);
    add(p + "attention.output.LayerNorm.bias", {H}, 0, 0.1f);
    add(p + "intermediate.dense.weight", {I, H}, 0, wh);
    add(p + "intermediate.dense.bias", {I}, 0, 0.1f);
    add(p + "output.dense.weight", {H, I}, 0, wi);
    add(p + "output.dense.bias", {H}, 0, 0.1f);
    add(p + "output.LayerNorm.weight", {H}, 1, 0.1f);
    add(p + "output.LayerNorm.bias", {H}, 0, 0.1f);
  }
  add("pooler.dense.weight", {H, H}, 0, wh);
  add("pooler.dense.bias", {H}, 0, 0.1f);
  WriteSafetensors(folder + "/model.safetensors", tensors);
}

}  // namespace podpower::text
