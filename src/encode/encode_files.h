// `podpower encode fit` and `podpower encode transform`: files in, files out.
//
// fit: InferenceRequest NDJSON → encoder artifact (.ppenc). transform: NDJSON +
// artifact → features Parquet with columns namespace, workload_kind,
// workload_name, _spec_hash, vec_len (BIGINT), features (FLOAT[]), one row per
// input record in input order — the original's k8s_encode output. Outputs are
// written atomically. Thread-compatible.
#ifndef PODPOWER_ENCODE_ENCODE_FILES_H_
#define PODPOWER_ENCODE_ENCODE_FILES_H_

#include <string>
#include <vector>

#include "encode/encoder.h"
#include "io/inference_request.h"
#include "io/table.h"

namespace podpower::encode {

// Which text block fit builds. kDefault = hash, with a warning on stderr that
// says so (the original embedded with a sentence model by default; that needs
// --sbert-model here).
enum class TextChoice { kDefault, kNone, kHash, kSentenceModel };

struct FitOptions {
  std::string input;    // NDJSON ("-" = stdin)
  std::string encoder;  // artifact to write
  TextChoice text = TextChoice::kDefault;
  std::string sbert_model;  // folder of the sentence model, for kSentenceModel
  std::string
      embedding_cache;  // Parquet cache of sentence embeddings ("" = none)
  size_t hash_dim = 256;
  bool skip_invalid = false;
};

// Returns the fitted encoder (also saved to options.encoder). Throws
// podpower::Error.
Encoder FitEncoderFiles(const FitOptions& options);

struct TransformOptions {
  std::string input;
  std::string encoder;
  std::string out;  // Parquet
  std::string
      sbert_model;  // needed when the encoder has a sentence-model text block
  std::string
      embedding_cache;  // Parquet cache of sentence embeddings ("" = none)
  bool skip_invalid = false;
};

// Returns the number of rows written. Throws podpower::Error.
size_t TransformFiles(const TransformOptions& options);

// The features table of `records` (the Parquet columns above), for callers that
// keep it in memory.
io::Table FeaturesTable(const std::vector<io::InferenceRequest>& records,
                        const Encoder& encoder);

}  // namespace podpower::encode

#endif  // PODPOWER_ENCODE_ENCODE_FILES_H_
