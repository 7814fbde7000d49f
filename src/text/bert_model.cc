#include "text/bert_model.h"

#include <Eigen/Core>
#include <cmath>
#include <string>
#include <unsupported/Eigen/SpecialFunctions>

#include "io/error.h"

namespace podpower::text {
namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;

// Scratch rows are padded to a multiple of 16 floats in 64-byte aligned
// buffers, so every row starts on a cache line: Eigen's vectorised loops then
// split each row into packets and a scalar tail the same way wherever the row
// sits in a batch (scalar and packet exp/erf may round differently).
int Padded(int width) { return (width + 15) / 16 * 16; }

float* Row(AlignedFloats& m, int row, int stride) {
  return m.data() + static_cast<size_t>(row) * stride;
}

void AddBias(float* y, int rows, int stride, const std::vector<float>& bias) {
  const auto width = static_cast<Eigen::Index>(bias.size());
  Eigen::Map<const Eigen::ArrayXf> b(bias.data(), width);
  for (int r = 0; r < rows; ++r)
    ArrayMap(y + static_cast<size_t>(r) * stride, width) += b;
}

// LayerNorm over one row, in place.
void LayerNormRow(float* row, int width, const std::vector<float>& w,
                  const std::vector<float>& b, float eps) {
  double sum = 0;
  for (int j = 0; j < width; ++j) sum += row[j];
  const double mean = sum / width;
  double sq = 0;
  for (int j = 0; j < width; ++j) {
    const double d = row[j] - mean;
    sq += d * d;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(sq / width + eps));
  const float m = static_cast<float>(mean);
  for (int j = 0; j < width; ++j) row[j] = (row[j] - m) * inv * w[j] + b[j];
}

void LayerNorm(float* x, int rows, int width, int stride,
               const std::vector<float>& w, const std::vector<float>& b,
               float eps) {
  for (int r = 0; r < rows; ++r)
    LayerNormRow(x + static_cast<size_t>(r) * stride, width, w, b, eps);
}

// y = LayerNorm(y + bias + residual), row by row (the residual block's end).
void AddBiasResidualLayerNorm(float* y, const float* residual, int rows,
                              int width, int stride,
                              const std::vector<float>& bias,
                              const std::vector<float>& w,
                              const std::vector<float>& b, float eps) {
  for (int r = 0; r < rows; ++r) {
    float* row = y + static_cast<size_t>(r) * stride;
    const float* res = residual + static_cast<size_t>(r) * stride;
    for (int j = 0; j < width; ++j) row[j] = row[j] + bias[j] + res[j];
    LayerNormRow(row, width, w, b, eps);
  }
}

// y = GELU(y + bias) with the exact erf form 0.5 x (1 + erf(x / sqrt 2)), using
// Eigen's vectorised float erf.
void AddBiasGelu(float* y, int rows, int stride,
                 const std::vector<float>& bias) {
  const auto width = static_cast<Eigen::Index>(bias.size());
  Eigen::Map<const Eigen::ArrayXf> b(bias.data(), width);
  for (int r = 0; r < rows; ++r) {
    ArrayMap a(y + static_cast<size_t>(r) * stride, width);
    a += b;
    a = 0.5f * a * (1.0f + (a * static_cast<float>(M_SQRT1_2)).erf());
  }
}

// Row-wise softmax(scale * s).
void SoftmaxRows(float* s, int rows, int cols, int stride, float scale) {
  for (int r = 0; r < rows; ++r) {
    ArrayMap row(s + static_cast<size_t>(r) * stride, cols);
    row *= scale;
    row = (row - row.maxCoeff()).exp();
    row /= row.sum();
  }
}

}  // namespace

double BertModel::Flops(const BertConfig& c, int64_t tokens) {
  const double h = c.hidden_size, i = c.intermediate_size,
               t = static_cast<double>(tokens);
  const double dense = 2.0 * t * (4.0 * h * h + 2.0 * h * i);
  const double attention = 2.0 * 2.0 * t * t * h;
  return c.num_layers * (dense + attention);
}

std::unique_ptr<BertModel> BertModel::Load(const SafetensorsFile& file,
                                           const BertConfig& c) {
  std::unique_ptr<BertModel> m(new BertModel());
  m->config_ = c;
  const bool prefixed =
      file.Find("embeddings.word_embeddings.weight") == nullptr &&
      file.Find("bert.embeddings.word_embeddings.weight") != nullptr;
  const std::string prefix = prefixed ? "bert." : "";
  auto read = [&](const std::string& name, std::vector<int64_t> shape) {
    return file.ReadFloats(prefix + name, shape);
  };
  // A Linear weight W [out, in] (y = x W^T) packed as B = W^T [in, out].
  auto linear = [&](const std::string& name, int64_t out, int64_t in) {
    PackedMatrix packed;
    const auto w = read(name, {out, in});
    packed.Pack(w.data(), static_cast<int>(in), static_cast<int>(out), 1, in);
    return packed;
  };
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  m->word_ = read("embeddings.word_embeddings.weight", {c.vocab_size, H});
  m->position_ = read("embeddings.position_embeddings.weight",
                      {c.max_position_embeddings, H});
  m->token_type_ =
      read("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H});
  m->emb_ln_w_ = read("embeddings.LayerNorm.weight", {H});
  m->emb_ln_b_ = read("embeddings.LayerNorm.bias", {H});
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    Layer layer;
    std::vector<float> qkv_w;  // [3H, H]: query, key, value rows
    for (const char* part : {"query", "key", "value"}) {
      auto w = read(p + "attention.self." + part + ".weight", {H, H});
      auto b = read(p + "attention.self." + part + ".bias", {H});
      qkv_w.insert(qkv_w.end(), w.begin(), w.end());
      layer.qkv_b.insert(layer.qkv_b.end(), b.begin(), b.end());
    }
    layer.qkv_w.Pack(qkv_w.data(), static_cast<int>(H), static_cast<int>(3 * H),
                     1, H);
    layer.attn_out_w = linear(p + "attention.output.dense.weight", H, H);
    layer.attn_out_b = read(p + "attention.output.dense.bias", {H});
    layer.attn_ln_w = read(p + "attention.output.LayerNorm.weight", {H});
    layer.attn_ln_b = read(p + "attention.output.LayerNorm.bias", {H});
    layer.ffn_in_w = linear(p + "intermediate.dense.weight", I, H);
    layer.ffn_in_b = read(p + "intermediate.dense.bias", {I});
    layer.ffn_out_w = linear(p + "output.dense.weight", H, I);
    layer.ffn_out_b = read(p + "output.dense.bias", {H});
    layer.ffn_ln_w = read(p + "output.LayerNorm.weight", {H});
    layer.ffn_ln_b = read(p + "output.LayerNorm.bias", {H});
    m->layers_.push_back(std::move(layer));
  }
  return m;
}

void BertModel::set_kernel(MatMulKernel kernel) {
  if (!MatMulKernelSupported(kernel))
    throw Error(std::string("matrix kernel ") + MatMulKernelName(kernel) +
                " is not supported by this CPU");
  kernel_ = kernel;
}

std::vector<std::vector<float>> BertModel::Embed(
    const std::vector<std::vector<int32_t>>& seqs, Pooling pooling,
    bool normalize) const {
  const BertConfig& c = config_;
  const int H = c.hidden_size, I = c.intermediate_size, heads = c.num_heads,
            d = H / heads;
  const int Hs = Padded(H), Qs = Padded(3 * H), Is = Padded(I);
  std::vector<int> offsets{0};
  int max_len = 0;
  for (const auto& s : seqs) {
    if (s.empty()) throw Error("BERT input sequence is empty");
    if (static_cast<int64_t>(s.size()) > c.max_position_embeddings)
      throw Error("BERT input of " + std::to_string(s.size()) +
                  " tokens exceeds " + "max_position_embeddings " +
                  std::to_string(c.max_position_embeddings));
    offsets.push_back(offsets.back() + static_cast<int>(s.size()));
    max_len = std::max(max_len, static_cast<int>(s.size()));
  }
  const int T = offsets.back();
  const auto rows = static_cast<size_t>(T);
  AlignedFloats x(rows * Hs), qkv(rows * Qs), ctx(rows * Hs), attn(rows * Hs),
      ffn(rows * Is), scores(static_cast<size_t>(max_len) * Padded(max_len));
  PackedMatrix keys, values;

  // Embeddings.
  for (size_t s = 0; s < seqs.size(); ++s) {
    for (size_t t = 0; t < seqs[s].size(); ++t) {
      const int32_t id = seqs[s][t];
      if (id < 0 || id >= c.vocab_size)
        throw Error("token id " + std::to_string(id) +
                    " outside the vocabulary of " +
                    std::to_string(c.vocab_size));
      float* row = Row(x, offsets[s] + static_cast<int>(t), Hs);
      const float* w = word_.data() + static_cast<size_t>(id) * H;
      const float* p = position_.data() + t * H;
      const float* tt = token_type_.data();
      for (int j = 0; j < H; ++j) row[j] = w[j] + p[j] + tt[j];
    }
  }
  LayerNorm(x.data(), T, H, Hs, emb_ln_w_, emb_ln_b_, c.layer_norm_eps);

  // Every step below is either row by row (products, biases, LayerNorm, GELU)
  // or within one sequence (attention), so a sequence's result does not depend
  // on the other sequences of the batch (matmul.h).
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (const Layer& layer : layers_) {
    MatMul(x.data(), T, Hs, layer.qkv_w, qkv.data(), Qs, kernel_);
    AddBias(qkv.data(), T, Qs, layer.qkv_b);
    for (size_t s = 0; s < seqs.size(); ++s) {
      const int L = offsets[s + 1] - offsets[s], Ls = Padded(L);
      const float* base = Row(qkv, offsets[s], Qs);
      for (int h = 0; h < heads; ++h) {
        const float* q = base + h * d;
        // scores = scale * Q K^T: B[i][j] = key j, component i.
        keys.Pack(base + H + h * d, d, L, 1, Qs);
        MatMul(q, L, Qs, keys, scores.data(), Ls, kernel_);
        SoftmaxRows(scores.data(), L, L, Ls, scale);
        // ctx = softmax(...) V: B = V [L, d].
        values.Pack(base + 2 * H + h * d, L, d, Qs, 1);
        MatMul(scores.data(), L, Ls, values, Row(ctx, offsets[s], Hs) + h * d,
               Hs, kernel_);
      }
    }
    // attn = LN(ctx Wo^T + bo + x); x = LN(GELU(attn W1^T + b1) W2^T + b2 +
    // attn)
    MatMul(ctx.data(), T, Hs, layer.attn_out_w, attn.data(), Hs, kernel_);
    AddBiasResidualLayerNorm(attn.data(), x.data(), T, H, Hs, layer.attn_out_b,
                             layer.attn_ln_w, layer.attn_ln_b,
                             c.layer_norm_eps);
    MatMul(attn.data(), T, Hs, layer.ffn_in_w, ffn.data(), Is, kernel_);
    AddBiasGelu(ffn.data(), T, Is, layer.ffn_in_b);
    MatMul(ffn.data(), T, Is, layer.ffn_out_w, x.data(), Hs, kernel_);
    AddBiasResidualLayerNorm(x.data(), attn.data(), T, H, Hs, layer.ffn_out_b,
                             layer.ffn_ln_w, layer.ffn_ln_b, c.layer_norm_eps);
  }

  std::vector<std::vector<float>> out(seqs.size(), std::vector<float>(H));
  for (size_t s = 0; s < seqs.size(); ++s) {
    const int L = offsets[s + 1] - offsets[s];
    const float* first = Row(x, offsets[s], Hs);
    std::vector<float>& v = out[s];
    if (pooling == Pooling::kCls) {
      std::copy(first, first + H, v.begin());
    } else {
      for (int j = 0; j < H; ++j) {
        double sum = 0;
        for (int t = 0; t < L; ++t)
          sum += first[static_cast<size_t>(t) * Hs + j];
        v[j] = static_cast<float>(sum / L);
      }
    }
    if (normalize) {
      double sq = 0;
      for (float f : v) sq += static_cast<double>(f) * f;
      const float inv =
          static_cast<float>(1.0 / std::max(std::sqrt(sq), 1e-12));
      for (float& f : v) f *= inv;
    }
  }
  return out;
}

}  // namespace podpower::text
