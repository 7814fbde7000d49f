// `podpower embed`: sentence embeddings for texts given on the command line or
// in a file.
//
// Output formats (docs/formats/text.md):
//   ndjson: one {"text": ..., "embedding": [...]} object per line, in input
//   order; json:   {"model", "fingerprint", "dim", "embeddings": [{"text",
//   "embedding"}, ...]}.
// Floats are printed in their shortest round-trip form. Free function; no
// shared state.
#ifndef PODPOWER_TEXT_EMBED_TEXTS_H_
#define PODPOWER_TEXT_EMBED_TEXTS_H_

#include <string>
#include <vector>

#include "text/sentence_encoder.h"

namespace podpower::text {

struct EmbedTextsOptions {
  std::string model;               // model folder
  std::vector<std::string> texts;  // from the command line
  std::string input;  // file with one text per line ("-" = stdin); "" = none
  std::string output = "-";       // written atomically; "-" = stdout
  std::string format = "ndjson";  // or "json"
  int threads = 0;                // <= 0: all cores
};

// Throws podpower::Error when both or neither of texts/input are given, the
// input file is unreadable, the format is unknown, or the model fails to load.
void EmbedTexts(const EmbedTextsOptions& options);

// The formatted output for already computed vectors (used by EmbedTexts and its
// tests).
std::string FormatEmbeddings(const SentenceEncoder& encoder,
                             const std::vector<std::string>& texts,
                             const std::vector<std::vector<float>>& vectors,
                             const std::string& format);

// Shortest decimal text that parses back to exactly `value`.
std::string ShortestFloat(float value);

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_EMBED_TEXTS_H_
