#include "encode/encoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "encode/text_bundle.h"
#include "io/error.h"
#include "io/progress.h"

namespace podpower::encode {
namespace {

constexpr size_t kNumeric = kNumericFeatures.size();
constexpr size_t kTextBatch = 256;

std::string Category(const std::optional<std::string>& value) {
  return value ? *value : "NA";
}

}  // namespace

std::array<double, 7> NumericFeatures(const io::InferenceRequest& record) {
  std::array<double, 7> v{};
  v[0] = static_cast<double>(record.gpu_count);
  v[1] = static_cast<double>(record.init_container_count);
  v[2] = static_cast<double>(record.sidecar_count);
  for (const auto& c : record.containers) {
    v[3] += static_cast<double>(c.req_cpu_mcpu.value_or(0));
    v[4] += static_cast<double>(c.req_mem_mib.value_or(0));
    v[5] += static_cast<double>(c.lim_cpu_mcpu.value_or(0));
    v[6] += static_cast<double>(c.lim_mem_mib.value_or(0));
  }
  return v;
}

Encoder Encoder::Fit(const std::vector<io::InferenceRequest>& records,
                     std::shared_ptr<const TextEmbedder> text) {
  if (records.empty()) throw Error("encode fit: no records to fit on");
  Encoder e;
  const double n = static_cast<double>(records.size());
  std::vector<std::array<double, 7>> rows;
  rows.reserve(records.size());
  for (const auto& r : records) rows.push_back(NumericFeatures(r));
  // scikit-learn's _incremental_mean_and_var and _is_constant_feature, for one
  // batch.
  const double eps = std::numeric_limits<double>::epsilon();
  for (size_t j = 0; j < kNumeric; ++j) {
    double sum = 0;
    for (const auto& row : rows) sum += row[j];
    const double mean = sum / n;
    double sq = 0, correction = 0;
    for (const auto& row : rows) {
      double d = row[j] - mean;
      correction += d;
      sq += d * d;
    }
    const double var = (sq - correction * correction / n) / n;
    const double bound = n * eps * var + (n * mean * eps) * (n * mean * eps);
    e.means_.push_back(mean);
    e.scales_.push_back(var <= bound ? 1.0 : std::sqrt(var));
  }
  std::set<std::string> runtime, node;
  for (const auto& r : records) {
    runtime.insert(Category(r.runtime_class));
    node.insert(Category(r.node_type));
  }
  // std::set orders UTF-8 bytes, i.e. code points, as numpy's np.unique orders
  // str.
  e.categories_[0].assign(runtime.begin(), runtime.end());
  e.categories_[1].assign(node.begin(), node.end());
  if (text) e.text_info_ = {text->name(), text->fingerprint(), text->dim()};
  e.text_ = std::move(text);
  e.fit_records_ = records.size();
  return e;
}

void Encoder::AttachTextEmbedder(std::shared_ptr<const TextEmbedder> text) {
  if (!text) throw Error("encoder: no text embedder given");
  if (text->name() != text_info_.name || text->dim() != text_info_.dim ||
      text->fingerprint() != text_info_.fingerprint) {
    throw Error("encoder was fitted with text model '" + text_info_.name +
                "' (dim " + std::to_string(text_info_.dim) + ", fingerprint " +
                text_info_.fingerprint + "), not '" + text->name() + "' (dim " +
                std::to_string(text->dim()) + ", fingerprint " +
                text->fingerprint() + ")");
  }
  text_ = std::move(text);
}

void Encoder::RequireText() const {
  if (!text_info_.name.empty() && !text_) {
    throw Error("encoder needs its text model '" + text_info_.name +
                "' (fingerprint " + text_info_.fingerprint +
                "): pass --sbert-model PATH");
  }
}

size_t Encoder::dim() const {
  return kNumeric + categories_[0].size() + categories_[1].size() +
         text_info_.dim;
}

std::vector<std::string> Encoder::feature_names() const {
  std::vector<std::string> names(kNumericFeatures.begin(),
                                 kNumericFeatures.end());
  for (size_t f = 0; f < 2; ++f) {
    for (const auto& c : categories_[f])
      names.push_back(std::string(kCategoricalFeatures[f]) + "_" + c);
  }
  for (size_t i = 0; i < text_info_.dim; ++i)
    names.push_back("text_" + std::to_string(i));
  return names;
}

void Encoder::WriteNumericAndOneHot(const io::InferenceRequest& record,
                                    float* row) const {
  auto v = NumericFeatures(record);
  for (size_t j = 0; j < kNumeric; ++j) {
    row[j] = static_cast<float>((v[j] - means_[j]) / scales_[j]);
  }
  float* out = row + kNumeric;
  const std::string values[2] = {Category(record.runtime_class),
                                 Category(record.node_type)};
  for (size_t f = 0; f < 2; ++f) {
    const auto& cats = categories_[f];
    auto it = std::lower_bound(cats.begin(), cats.end(), values[f]);
    for (size_t k = 0; k < cats.size(); ++k) out[k] = 0.0f;
    if (it != cats.end() && *it == values[f]) out[it - cats.begin()] = 1.0f;
    out += cats.size();
  }
}

std::vector<float> Encoder::Transform(
    const io::InferenceRequest& record) const {
  RequireText();
  std::vector<float> out(dim());
  WriteNumericAndOneHot(record, out.data());
  if (text_) {
    std::vector<float> vector;
    text_->Embed({TextBundle(record)}, &vector);
    if (vector.size() != text_info_.dim) {
      throw Error("text model '" + text_info_.name + "' returned " +
                  std::to_string(vector.size()) + " values, expected " +
                  std::to_string(text_info_.dim));
    }
    std::copy(vector.begin(), vector.end(),
              out.end() - static_cast<ptrdiff_t>(vector.size()));
  }
  return out;
}

std::vector<float> Encoder::TransformMany(
    const std::vector<io::InferenceRequest>& records) const {
  RequireText();
  const size_t d = dim();
  const size_t text_offset = d - text_info_.dim;
  std::vector<float> out(records.size() * d);
  std::unique_ptr<io::Progress> progress;
  if (records.size() > 10000)
    progress = std::make_unique<io::Progress>("encoding", records.size());
  std::vector<std::string> texts;
  std::vector<float> vectors;
  for (size_t start = 0; start < records.size(); start += kTextBatch) {
    const size_t end = std::min(records.size(), start + kTextBatch);
    for (size_t i = start; i < end; ++i)
      WriteNumericAndOneHot(records[i], &out[i * d]);
    if (text_) {
      texts.clear();
      vectors.clear();
      for (size_t i = start; i < end; ++i)
        texts.push_back(TextBundle(records[i]));
      text_->Embed(texts, &vectors);
      if (vectors.size() != texts.size() * text_info_.dim) {
        throw Error("text model '" + text_info_.name + "' returned " +
                    std::to_string(vectors.size()) + " values for " +
                    std::to_string(texts.size()) + " texts of dim " +
                    std::to_string(text_info_.dim));
      }
      for (size_t i = start; i < end; ++i) {
        std::copy_n(&vectors[(i - start) * text_info_.dim], text_info_.dim,
                    &out[i * d + text_offset]);
      }
    }
    if (progress) progress->Advance(end - start);
  }
  return out;
}

}  // namespace podpower::encode
