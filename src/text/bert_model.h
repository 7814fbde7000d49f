// The BERT encoder forward pass in float32, as Hugging Face's BertModel
// computes it in eval mode.
//
// Embeddings (word + absolute position + token type 0) and LayerNorm; then per
// layer multi-head self-attention (softmax(QK^T / sqrt(d)) V), output
// projection, residual and LayerNorm, and the feed-forward block with exact erf
// GELU, residual and LayerNorm. Sequences of a batch are packed back to back
// (no padding): each attends only to its own tokens, which is what the
// attention mask does for padded batches. Matrix products go through
// text::MatMul (matmul.h), whose fixed summation order makes every step either
// row by row or within one sequence; elementwise maths through Eigen's
// vectorised erf/exp on 64-byte aligned rows. So a sequence's vector is bit for
// bit the same whatever else is in the batch, on any thread, on a given
// machine; the OpenBLAS kernel and thread count play no part.
//
// BertModel owns its weights (~4 bytes per parameter; 91 MB for MiniLM-L6).
// Embed is const and thread-safe: each call allocates its own scratch space.
#ifndef PODPOWER_TEXT_BERT_MODEL_H_
#define PODPOWER_TEXT_BERT_MODEL_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "text/matmul.h"
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

  // The matrix kernel Embed uses: BestMatMulKernel() unless set. Another
  // kernel changes results by float32 rounding at most (matmul.h); for tests
  // and benchmarks. Not thread-safe against Embed. Throws podpower::Error if
  // this CPU lacks it.
  void set_kernel(MatMulKernel kernel);
  MatMulKernel kernel() const { return kernel_; }

  // Multiply-adds x2 of one forward pass over `tokens` tokens of one sequence
  // (dense layers and attention), for reporting GFLOP/s.
  static double Flops(const BertConfig& config, int64_t tokens);

 private:
  // Linear weights packed as W^T (x W^T = MatMul(x, W^T)).
  struct Layer {
    PackedMatrix qkv_w;        // [H, 3H]: query, key, value columns
    std::vector<float> qkv_b;  // [3H]
    PackedMatrix attn_out_w, ffn_in_w, ffn_out_w;
    std::vector<float> attn_out_b, attn_ln_w, attn_ln_b;
    std::vector<float> ffn_in_b, ffn_out_b, ffn_ln_w, ffn_ln_b;
  };
  BertModel() = default;
  BertConfig config_;
  std::vector<float> word_, position_, token_type_, emb_ln_w_, emb_ln_b_;
  std::vector<Layer> layers_;
  MatMulKernel kernel_ = BestMatMulKernel();
};

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_BERT_MODEL_H_
