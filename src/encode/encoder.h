// The encoder: InferenceRequest → feature vector, the original's k8s_encode
// rules.
//
// features = [7 standardized numerics | one-hot runtime_class | one-hot
// node_type | text block] as float32. Numerics, in order: gpu_count,
// init_container_count, sidecar_count, then req_cpu_mcpu, req_mem_mib,
// lim_cpu_mcpu, lim_mem_mib summed over containers (null = 0). Standardization:
// (x - mean) / scale with the fit set's mean and population standard deviation
// (scale 1 for a zero-variance column), computed in float64 like scikit-learn's
// StandardScaler. One-hot: categories sorted by code point, null → "NA",
// unknown at transform → all zeros. Text block: the TextEmbedder's vector of
// TextBundle(record), or nothing.
//
// An Encoder is immutable after Fit/Load (AttachTextEmbedder aside), so
// Transform may be called from several threads at once. The artifact format is
// docs/formats/encoder.md.
#ifndef PODPOWER_ENCODE_ENCODER_H_
#define PODPOWER_ENCODE_ENCODER_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "encode/text_embedder.h"
#include "io/inference_request.h"

namespace podpower::encode {

inline constexpr std::array<const char*, 7> kNumericFeatures = {
    "gpu_count",   "init_container_count", "sidecar_count", "req_cpu_mcpu",
    "req_mem_mib", "lim_cpu_mcpu",         "lim_mem_mib"};
inline constexpr std::array<const char*, 2> kCategoricalFeatures = {
    "runtime_class", "node_type"};

// What the text block was built with, as stored in the artifact.
struct TextBlockInfo {
  std::string name;  // "" when there is no text block
  std::string fingerprint;
  size_t dim = 0;
};

class Encoder {
 public:
  // Learns means, scales and categories from `records` (at least one). `text`
  // may be null (no text block, the original's --no-sbert). Throws
  // podpower::Error on an empty input.
  static Encoder Fit(const std::vector<io::InferenceRequest>& records,
                     std::shared_ptr<const TextEmbedder> text);

  // Reads an artifact. A "hash" text block gets its embedder back from the
  // stored parameters; any other needs AttachTextEmbedder before Transform.
  // Throws podpower::Error
  // "<path>: <reason>" for a missing, truncated, corrupt (checksum) or
  // wrong-version file.
  static Encoder Load(const std::string& path);

  // Writes the artifact atomically.
  void Save(const std::string& path) const;

  // Supplies the text model of a loaded encoder; throws podpower::Error unless
  // its name, dim and fingerprint equal the stored ones.
  void AttachTextEmbedder(std::shared_ptr<const TextEmbedder> text);

  // Lets the text embedder persist its cache now (TextEmbedder::Flush).
  void FlushTextCache() const {
    if (text_) text_->Flush();
  }

  // The feature vector of one record (dim() floats).
  std::vector<float> Transform(const io::InferenceRequest& record) const;
  // Row-major rows × dim(); embeds texts in batches (faster for sentence
  // models). Shows progress on a terminal for large inputs.
  std::vector<float> TransformMany(
      const std::vector<io::InferenceRequest>& records) const;

  size_t dim() const;
  // scikit-learn style names: "gpu_count", ..., "runtime_class_NA",
  // "node_type_m5.large", "text_0" ... "text_<n-1>".
  std::vector<std::string> feature_names() const;

  const std::vector<double>& means() const { return means_; }
  const std::vector<double>& scales() const { return scales_; }
  // Sorted categories of runtime_class (index 0) and node_type (index 1).
  const std::array<std::vector<std::string>, 2>& categories() const {
    return categories_;
  }
  const TextBlockInfo& text_info() const { return text_info_; }
  size_t fit_records() const { return fit_records_; }

 private:
  Encoder() = default;
  void WriteNumericAndOneHot(const io::InferenceRequest& record,
                             float* row) const;
  void RequireText() const;

  std::vector<double> means_;
  std::vector<double> scales_;
  std::array<std::vector<std::string>, 2> categories_;
  TextBlockInfo text_info_;
  std::shared_ptr<const TextEmbedder> text_;
  size_t fit_records_ = 0;
};

// The 7 raw numerics of a record, in kNumericFeatures order.
std::array<double, 7> NumericFeatures(const io::InferenceRequest& record);

}  // namespace podpower::encode

#endif  // PODPOWER_ENCODE_ENCODER_H_
