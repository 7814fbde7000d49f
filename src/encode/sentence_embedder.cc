// The sentence-transformers text block: text::SentenceEncoder (through an
// EmbeddingCache, since workload texts repeat heavily) behind the encoder's
// TextEmbedder interface.
#include <iostream>
#include <memory>

#include "encode/text_embedder.h"
#include "io/error.h"
#include "text/embedding_cache.h"
#include "text/sentence_encoder.h"

namespace podpower::encode {
namespace {

class SentenceEmbedder : public TextEmbedder {
 public:
  SentenceEmbedder(std::unique_ptr<text::SentenceEncoder> model,
                   const std::string& cache_path)
      : model_(std::move(model)), cache_(*model_, cache_path) {}
  // A cache that was not flushed (an error cut the run short) is still worth
  // keeping; failing to write it is only a warning.
  ~SentenceEmbedder() override {
    try {
      cache_.Save();
    } catch (const Error& e) {
      std::cerr << "podpower: warning: embedding cache not saved: " << e.what()
                << "\n";
    }
  }
  void Flush() const override { cache_.Save(); }
  std::string name() const override { return "sbert"; }
  // The weights' sha256 decides equality; the folder name is there for people
  // reading the artifact.
  std::string fingerprint() const override {
    return model_->name() + ":sha256:" + model_->fingerprint();
  }
  size_t dim() const override { return static_cast<size_t>(model_->dim()); }
  void Embed(const std::vector<std::string>& texts,
             std::vector<float>* out) const override {
    for (const auto& v : cache_.Embed(texts)) {
      out->insert(out->end(), v.begin(), v.end());
    }
  }

 private:
  std::unique_ptr<text::SentenceEncoder> model_;
  // EmbeddingCache is internally synchronised; Embed stays const and
  // thread-safe.
  mutable text::EmbeddingCache cache_;
};

}  // namespace

std::shared_ptr<const TextEmbedder> MakeSentenceEmbedder(
    const std::string& model_path, const std::string& cache_path) {
  return std::make_shared<SentenceEmbedder>(
      text::SentenceEncoder::Load(model_path, /*threads=*/0), cache_path);
}

}  // namespace podpower::encode
