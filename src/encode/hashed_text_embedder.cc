#include <cmath>

#include "encode/text_embedder.h"
#include "io/error.h"

namespace podpower::encode {

HashedTextEmbedder::HashedTextEmbedder(size_t dim) : dim_(dim) {
  if (dim == 0) throw Error("hashed text embedding: dim must be at least 1");
}

std::string HashedTextEmbedder::fingerprint() const {
  return "fnv1a64-alnum-signed-l2-v1/dim=" + std::to_string(dim_);
}

uint64_t HashedTextEmbedder::Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void HashedTextEmbedder::Embed(const std::vector<std::string>& texts,
                               std::vector<float>* out) const {
  std::vector<double> v(dim_);
  std::string token;
  for (const auto& text : texts) {
    std::fill(v.begin(), v.end(), 0.0);
    auto flush = [&] {
      if (token.empty()) return;
      uint64_t h = Fnv1a64(token);
      v[h % dim_] += (h >> 63) == 0 ? 1.0 : -1.0;
      token.clear();
    };
    for (char ch : text) {
      auto c = static_cast<unsigned char>(ch);
      if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
        token += static_cast<char>(c);
      } else {
        flush();
      }
    }
    flush();
    double norm = 0;
    for (double x : v) norm += x * x;
    norm = std::sqrt(norm);
    for (double x : v)
      out->push_back(norm > 0 ? static_cast<float>(x / norm) : 0.0f);
  }
}

}  // namespace podpower::encode
