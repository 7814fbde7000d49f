// The BERT encoder forward pass in float32, as Hugging Face's BertModel
// computes it in eval mode.
//
// Embeddings (word + absolute position + token type 0) and LayerNorm; then per
// layer multi-head self-attention (softmax(QK^T / sqrt(d)) V), output
// projection, residual and LayerNorm, and the feed-forward block with exact erf
// GELU, residual and LayerNorm. Sequences of a batch are packed back to back
// (no padding): each attends only to its own tokens, which is what the
// attention mask does for padded batches, so results equal the padded
// computation. Matrix products go through cblas_sgemm (OpenBLAS); elementwise
// maths through Eigen's vectorised erf/exp.
//
// BertModel owns its weights (~4 bytes per parameter; 91 MB for MiniLM-L6).
// Embed is const and thread-safe: each call allocates its own scratch space.
#ifndef PODPOWER_TEXT_BERT_MODEL_H_
#define PODPOWER_TEXT_BERT_MODEL_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "text/model_folder.h"
#include "text/safetensors.h"

namespace podpower::text {

class BertModel {
 public:
  // Reads every tensor BertModel needs (names with or without a "bert." prefix;
  // F32, F16 or BF16) and checks each shape against `config`. Tensors it does
  // not use (pooler, position_ids, ...) are ignored. Throws podpower::Error
  // "<file>: tensor '<name>' missing" or "... has shape [..], expected [..]".
  static std::unique_ptr<BertModel> Load(const SafetensorsFile& file,
                                         const BertConfig& config);

  // One pooled vector (hidden_size floats) per sequence of token ids. Each
  // sequence must be non-empty, no longer than max_position_embeddings, with
  // ids below vocab_size (checked: throws podpower::Error). Mean pooling
  // averages all tokens, [CLS] and [SEP] included, as sentence-transformers
  // does; CLS pooling takes token 0. `normalize` divides by max(||x||, 1e-12).
  std::vector<std::vector<float>> Embed(
      const std::vector<std::vector<int32_t>>& sequences, Pooling pooling,
      bool normalize) const;

  const BertConfig& config() const { return config_; }

  // Multiply-adds x2 of one forward pass over `tokens` tokens of one sequence
  // (dense layers and attention), for reporting GFLOP/s.
  static double Flops(const BertConfig& config, int64_t tokens);

 private:
  struct Layer {
    std::vector<float> qkv_w, qkv_b;  // [3H, H] (query, key, value rows), [3H]
    std::vector<float> attn_out_w, attn_out_b, attn_ln_w, attn_ln_b;
    std::vector<float> ffn_in_w, ffn_in_b, ffn_out_w, ffn_out_b, ffn_ln_w,
        ffn_ln_b;
  };
  BertModel() = default;
  BertConfig config_;
  std::vector<float> word_, position_, token_type_, emb_ln_w_, emb_ln_b_;
  std::vector<Layer> layers_;
};

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_BERT_MODEL_H_
