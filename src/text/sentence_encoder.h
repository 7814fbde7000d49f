// Sentence embeddings from a sentence-transformers BERT model folder, computed
// natively: what SentenceTransformer(folder).encode(texts) returns, without
// Python.
//
// Load reads the folder (model_folder.h), the tokenizer (wordpiece_tokenizer.h)
// and the weights (bert_model.h). Embed tokenizes each text (truncated to
// max_seq_length, e.g. 256 for all-MiniLM-L6-v2), sorts the texts by token
// count so batches hold similar lengths, runs the batches on `threads` worker
// threads, pools and (if the folder has a Normalize module) normalises, and
// returns the vectors in input order. Identical texts in one call are computed
// once.
//
// Embeddings do not depend on how texts are batched: a text's vector is bit for
// bit the same whether it is embedded alone or with any other texts, with any
// `threads` or `batch_size`, in `podpower embed`, `encode` or `serve`, on a
// given machine (bert_model.h, matmul.h). Across machines they agree to float32
// rounding error (docs/formats/text.md).
//
// Threading: the encoder parallelises over batches itself and uses no BLAS
// library, so concurrent Embed calls (a server) never oversubscribe the cores
// through BLAS threads. A loaded SentenceEncoder is immutable: Embed and the
// accessors are const and thread-safe.
#ifndef PODPOWER_TEXT_SENTENCE_ENCODER_H_
#define PODPOWER_TEXT_SENTENCE_ENCODER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "text/bert_model.h"
#include "text/model_folder.h"
#include "text/wordpiece_tokenizer.h"

namespace podpower::text {

struct SentenceEncoderOptions {
  int threads = 0;  // worker threads for Embed; <= 0 means all cores
  // Texts per forward pass at most (sentence-transformers' default); fewer
  // when there are too few texts to give every thread a batch.
  int batch_size = 32;
};

class SentenceEncoder {
 public:
  // Throws podpower::Error naming the file and field on a missing or malformed
  // file, a non-BERT model, unsupported pooling, a corrupt safetensors file or
  // a missing/misshapen tensor.
  static std::unique_ptr<SentenceEncoder> Load(const std::string& folder,
                                               int threads);
  static std::unique_ptr<SentenceEncoder> Load(
      const std::string& folder, const SentenceEncoderOptions& options);

  // Embedding width (hidden_size: 384 for MiniLM).
  int dim() const { return model_->config().hidden_size; }
  // The model folder's basename, e.g. "all-MiniLM-L6-v2".
  std::string name() const { return folder_.name; }
  // Lower-case hex sha256 of model.safetensors: identifies the weights across
  // machines.
  std::string fingerprint() const { return fingerprint_; }
  int max_seq_length() const { return folder_.max_seq_length; }
  const ModelFolder& folder() const { return folder_; }
  const WordPieceTokenizer& tokenizer() const { return tokenizer_; }

  // Token ids exactly as the model sees them ([CLS] ... [SEP], truncated).
  std::vector<int32_t> Tokenize(const std::string& text) const;

  // One dim()-float vector per text, in input order. Shows progress on a
  // terminal for large inputs. Never fails on text content (any UTF-8 is
  // accepted; invalid bytes are dropped).
  std::vector<std::vector<float>> Embed(
      const std::vector<std::string>& texts) const;

 private:
  SentenceEncoder() = default;
  ModelFolder folder_;
  WordPieceTokenizer tokenizer_{{{"[UNK]", 0}, {"[CLS]", 1}, {"[SEP]", 2}}, {}};
  std::unique_ptr<BertModel> model_;
  std::string fingerprint_;
  SentenceEncoderOptions options_;
};

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_SENTENCE_ENCODER_H_
