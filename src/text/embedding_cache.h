// Embeddings remembered by text: within a run (identical text bundles are
// embedded once) and, optionally, across runs in a Parquet file
// (`--embedding-cache FILE`).
//
// File format (docs/formats/text.md): columns text_sha256 VARCHAR (lower-case
// hex sha256 of the text's UTF-8 bytes), model_fingerprint VARCHAR
// (SentenceEncoder::fingerprint(), sha256 of model.safetensors), embedding
// FLOAT[] (the vector exactly as returned). Vectors of other models in the same
// file are kept when saving but never returned, so one file can serve several
// models. Texts themselves are not stored.
//
// Thread-safe: Embed may be called from several threads at once (an internal
// mutex guards the map; the model runs outside the lock).
#ifndef PODPOWER_TEXT_EMBEDDING_CACHE_H_
#define PODPOWER_TEXT_EMBEDDING_CACHE_H_

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "text/sentence_encoder.h"

namespace podpower::text {

class EmbeddingCache {
 public:
  // `path` "" = memory only. An existing file is read now; a missing one is an
  // empty cache. Throws podpower::Error naming the file when it is unreadable,
  // lacks a column, or holds a vector whose length differs from encoder.dim()
  // for this model.
  EmbeddingCache(const SentenceEncoder& encoder, std::string path);

  // Like encoder.Embed(texts), but reuses remembered vectors and remembers new
  // ones.
  std::vector<std::vector<float>> Embed(const std::vector<std::string>& texts);

  // Writes the file atomically (io::WriteParquet) if a path was given and
  // anything was added.
  void Save();

  size_t hits() const;
  size_t misses() const;

  static std::string TextSha256(const std::string& text);

 private:
  const SentenceEncoder& encoder_;
  std::string path_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::vector<float>>
      vectors_;  // this model, by text sha256
  // Rows of other models, written back unchanged.
  std::vector<std::pair<std::string, std::string>>
      other_keys_;  // (text_sha256, fingerprint)
  std::vector<std::vector<float>> other_vectors_;
  bool dirty_ = false;
  size_t hits_ = 0, misses_ = 0;
};

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_EMBEDDING_CACHE_H_
