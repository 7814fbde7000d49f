// Text embedders: turn text bundles into fixed-length vectors for the features'
// text block.
//
// The encoder stores an embedder's name, dim and fingerprint in its artifact
// and refuses to transform with a different one, so features from fit and
// transform always come from the same model. Implementations must be
// deterministic, and a text's vector must not depend on the other texts of the
// call (fit, transform, the cache and serve batch differently; the features
// and hence the KNN neighbours must not change with that). Embed must be safe
// to call from several threads at once on a const object.
#ifndef PODPOWER_ENCODE_TEXT_EMBEDDER_H_
#define PODPOWER_ENCODE_TEXT_EMBEDDER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace podpower::encode {

class TextEmbedder {
 public:
  virtual ~TextEmbedder() = default;

  // Short kind name stored in the artifact: "hash", "sbert".
  virtual std::string name() const = 0;
  // Identifies the exact model/parameters (e.g. a checksum of the weights, or
  // the hashing parameters); two embedders with equal fingerprints give equal
  // vectors.
  virtual std::string fingerprint() const = 0;
  virtual size_t dim() const = 0;
  // One vector of dim() floats per text, row-major, appended to *out.
  virtual void Embed(const std::vector<std::string>& texts,
                     std::vector<float>* out) const = 0;
  // Writes whatever the embedder keeps between runs (an embedding cache);
  // nothing by default. Throws podpower::Error when that write fails.
  virtual void Flush() const {}
};

// The documented hashed-token embedding (`--text hash`), recomputable without
// podpower:
//   1. bytes = text as UTF-8; ASCII A-Z lower-cased (other bytes unchanged);
//   2. tokens = maximal runs of bytes in [a-z0-9] or >= 0x80 (Python:
//      re.findall(rb"[a-z0-9\x80-\xff]+", text.encode("utf-8").lower()));
//   3. h = FNV-1a 64 of the token bytes (offset basis 0xcbf29ce484222325, prime
//   0x100000001b3);
//      v[h % dim] += +1 if h < 2^63 else -1 (signed hashing; repeats add up);
//   4. v /= ||v||_2 in float64 (all-zero v, e.g. from "", stays zero); cast to
//   float32.
// Thread-safe.
class HashedTextEmbedder : public TextEmbedder {
 public:
  explicit HashedTextEmbedder(size_t dim = 256);
  std::string name() const override { return "hash"; }
  std::string fingerprint() const override;
  size_t dim() const override { return dim_; }
  void Embed(const std::vector<std::string>& texts,
             std::vector<float>* out) const override;

  // FNV-1a 64 of `bytes` (exposed for tests and for users checking their own
  // recomputation).
  static uint64_t Fnv1a64(std::string_view bytes);

 private:
  size_t dim_;
};

// The sentence-transformers embedder (`--sbert-model PATH`):
// text::SentenceEncoder with name "sbert" and fingerprint
// "<folder name>:sha256:<weights sha256>"; a text's vector is bit for bit the
// same in any batch on a given machine, and within 1e-6 per component across
// machines (docs/formats/text.md). With a `cache_path`, embeddings are
// looked up in and added to that Parquet cache (text::EmbeddingCache), which is
// written back when the embedder is destroyed (a failed write is a warning: the
// cache only saves time). Throws podpower::Error naming the folder and file
// when the model or the cache cannot be loaded.
std::shared_ptr<const TextEmbedder> MakeSentenceEmbedder(
    const std::string& model_path, const std::string& cache_path = "");

}  // namespace podpower::encode

#endif  // PODPOWER_ENCODE_TEXT_EMBEDDER_H_
