// Fuzz target: a model folder's tokenizer.json, as `encode --sbert-model` and
// `embed` load it: text::WordPieceTokenizer::FromFolder on a folder holding
// only that file (vocab, unk token, normalizer and pre-tokenizer flags, added
// tokens), then the tokenizer it gives run over a few texts.
//
// Checks: no crash and no sanitizer report; a malformed file throws
// podpower::Error and nothing else (nlohmann's type errors must not escape);
// an accepted tokenizer encodes without throwing, within max_length, [CLS]
// first and [SEP] last.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "fuzz/fuzz_support.h"
#include "text/wordpiece_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  const auto& dir = fuzz::ScratchDir::Get();
  dir.Write("tokenizer.json",
            std::string_view(reinterpret_cast<const char*>(data), size));
  std::optional<text::WordPieceTokenizer> tokenizer;
  if (!fuzz::RejectOnlyWithError([&] {
        tokenizer = text::WordPieceTokenizer::FromFolder(dir.path());
      })) {
    return 0;
  }
  for (const char* sample :
       {"nginx:1.25 --port 8080", "Ünïcödé ÀÉÎ 東京 [CLS] [MASK] x##y", "",
        "unaffable runs,runner!"}) {
    try {
      const auto ids = tokenizer->Encode(sample, 16);
      if (ids.size() < 2 || ids.size() > 16 ||
          ids.front() != tokenizer->cls_id() ||
          ids.back() != tokenizer->sep_id()) {
        std::fprintf(stderr, "fuzz: Encode broke its shape on \"%s\"\n",
                     sample);
        std::abort();
      }
      tokenizer->Tokenize(sample);
    } catch (const std::exception& e) {
      fuzz::ContractBroken(e);  // an accepted tokenizer encodes any text
    }
  }
  return 0;
}
