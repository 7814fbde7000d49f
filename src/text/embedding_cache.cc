#include "text/embedding_cache.h"

#include <sys/stat.h>

#include <algorithm>

#include "io/error.h"
#include "io/parquet.h"
#include "io/sha256.h"

namespace podpower::text {

std::string EmbeddingCache::TextSha256(const std::string& text) {
  return io::Sha256Hex(text);
}

EmbeddingCache::EmbeddingCache(const SentenceEncoder& encoder, std::string path)
    : encoder_(encoder), path_(std::move(path)) {
  struct stat st {};
  if (path_.empty() || ::stat(path_.c_str(), &st) != 0) return;
  io::Table table = io::ReadParquet(path_);
  const auto& keys = table.Require("text_sha256", io::ColumnType::kString);
  const auto& models =
      table.Require("model_fingerprint", io::ColumnType::kString);
  const auto& vecs = table.Require("embedding", io::ColumnType::kFloatList);
  const std::string mine = encoder_.fingerprint();
  for (size_t r = 0; r < table.rows(); ++r) {
    if (keys.is_null(r) || models.is_null(r) || vecs.is_null(r))
      throw Error(path_ + ": row " + std::to_string(r + 1) +
                  ": NULL in the embedding cache");
    auto v = vecs.list(r);
    if (models.strings[r] == mine) {
      if (v.size() != static_cast<size_t>(encoder_.dim()))
        throw Error(path_ + ": row " + std::to_string(r + 1) +
                    ": field 'embedding' has " + std::to_string(v.size()) +
                    " values, expected " + std::to_string(encoder_.dim()) +
                    " for this model");
      vectors_[keys.strings[r]] = std::vector<float>(v.begin(), v.end());
    } else {
      other_keys_.emplace_back(keys.strings[r], models.strings[r]);
      other_vectors_.emplace_back(v.begin(), v.end());
    }
  }
}

std::vector<std::vector<float>> EmbeddingCache::Embed(
    const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out(texts.size());
  std::vector<std::string> keys(texts.size());
  std::vector<size_t> missing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < texts.size(); ++i) {
      keys[i] = TextSha256(texts[i]);
      auto it = vectors_.find(keys[i]);
      if (it != vectors_.end()) {
        out[i] = it->second;
        ++hits_;
      } else {
        missing.push_back(i);
      }
    }
  }
  if (missing.empty()) return out;
  std::vector<std::string> todo;
  for (size_t i : missing) todo.push_back(texts[i]);
  auto computed =
      encoder_.Embed(todo);  // outside the lock; dedups repeats itself
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t k = 0; k < missing.size(); ++k) {
    out[missing[k]] = computed[k];
    if (vectors_.emplace(keys[missing[k]], std::move(computed[k])).second) {
      ++misses_;
      dirty_ = true;
    }
  }
  return out;
}

void EmbeddingCache::Save() {
  std::lock_guard<std::mutex> lock(mu_);
  if (path_.empty() || !dirty_) return;
  io::Table table;
  table.AddColumn("text_sha256", io::ColumnType::kString);
  table.AddColumn("model_fingerprint", io::ColumnType::kString);
  table.AddColumn("embedding", io::ColumnType::kFloatList);
  auto& cols = table.columns();
  for (size_t i = 0; i < other_keys_.size(); ++i) {
    cols[0].AppendString(other_keys_[i].first);
    cols[1].AppendString(other_keys_[i].second);
    cols[2].AppendFloatList(std::span<const float>(other_vectors_[i]));
  }
  // Sorted keys: the same cache content always gives the same file.
  std::vector<const std::pair<const std::string, std::vector<float>>*> rows;
  for (const auto& kv : vectors_) rows.push_back(&kv);
  std::sort(rows.begin(), rows.end(),
            [](auto* a, auto* b) { return a->first < b->first; });
  const std::string mine = encoder_.fingerprint();
  for (const auto* kv : rows) {
    cols[0].AppendString(kv->first);
    cols[1].AppendString(mine);
    cols[2].AppendFloatList(std::span<const float>(kv->second));
  }
  io::WriteParquet(table, path_);
  dirty_ = false;
}

size_t EmbeddingCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

size_t EmbeddingCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace podpower::text
