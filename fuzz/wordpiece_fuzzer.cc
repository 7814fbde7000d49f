// Fuzz target: the text a sentence-model encoder tokenizes (workload names,
// images, commands, labels: anyone's bytes, through POST /predict): a fixed
// BERT WordPiece tokenizer's Encode and Tokenize over the input, with
// lowercasing and accent stripping (uncased models) and without (cased).
//
// Checks: no crash and no sanitizer report on any bytes (invalid UTF-8, NUL,
// control and combining characters, special-token strings, very long words);
// Encode never throws ("invalid UTF-8 is U+FFFD") and returns [CLS] ... [SEP]
// within max_length.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "fuzz/fuzz_support.h"
#include "text/wordpiece_tokenizer.h"

namespace {

using podpower::text::TokenizerOptions;
using podpower::text::WordPieceTokenizer;

WordPieceTokenizer Make(bool lowercase) {
  std::unordered_map<std::string, int32_t> vocab;
  int32_t id = 0;
  for (const char* piece :
       {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un",   "##aff", "##able",
        "run",   "##s",   "##ner", "nginx", "##:",    ":",    "1",     "##2",
        "##5",   ".",     ",",     "-",     "--",     "port", "8080",  "web",
        "東",    "京",    "e",     "##e",   "a",      "##a",  "Ünï",   "cafe",
        "café",  "##é",   "x",     "##y",   "##"}) {
    vocab.emplace(piece, id++);
  }
  TokenizerOptions options;
  options.lowercase = lowercase;
  options.max_input_chars_per_word = 20;
  return WordPieceTokenizer(std::move(vocab), options);
}

void Check(const WordPieceTokenizer& tokenizer, std::string_view text,
           size_t max_length) {
  try {
    const auto ids = tokenizer.Encode(text, max_length);
    if (ids.size() < 2 || ids.size() > max_length ||
        ids.front() != tokenizer.cls_id() || ids.back() != tokenizer.sep_id()) {
      std::fprintf(stderr, "fuzz: Encode broke its shape\n");
      std::abort();
    }
    tokenizer.Tokenize(text);
  } catch (const std::exception& e) {
    podpower::fuzz::ContractBroken(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const WordPieceTokenizer uncased = Make(true);
  static const WordPieceTokenizer cased = Make(false);
  const std::string text = podpower::fuzz::Text(data, size);
  Check(uncased, text, 128);
  Check(cased, text, 2);
  return 0;
}
