// The BERT WordPiece tokenizer, exactly as Hugging Face's fast BertTokenizer
// runs it.
//
// Steps (huggingface/tokenizers normalizers/bert.rs, pre_tokenizers/bert.rs,
// models/wordpiece): special-token strings ("[CLS]", "[SEP]", ...) are cut out
// of the raw text first; the rest is cleaned (NUL, U+FFFD and Cc/Cf/Cn/Co/Cs
// dropped except \t \n \r; White_Space -> ' '), CJK ideographs are surrounded
// by spaces, accents are stripped (NFD, drop Mn) and text lowercased (full
// per-character mapping) when configured, then split on whitespace with every
// punctuation character (ASCII 33-47, 58-64, 91-96, 123-126 or Unicode P*) its
// own word. Each word becomes greedy longest-match wordpieces ("##"
// continuations); a word longer than 100 characters or with an unmatched
// position becomes [UNK]. Unicode properties and normalisation come from ICU.
//
// Immutable after construction; all methods are const and thread-safe.
#ifndef PODPOWER_TEXT_WORDPIECE_TOKENIZER_H_
#define PODPOWER_TEXT_WORDPIECE_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace podpower::text {

struct TokenizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool lowercase = true;
  int strip_accents =
      -1;  // -1: follow `lowercase` (HF's null), 0: keep, 1: strip
  int max_input_chars_per_word = 100;
  std::string continuing_subword_prefix = "##";
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  // Strings matched verbatim in the raw text and kept as single tokens (HF
  // "added tokens").
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                             "[MASK]"};
};

class WordPieceTokenizer {
 public:
  // `vocab` maps wordpiece -> id. Throws podpower::Error if the unk/cls/sep
  // tokens are not in it.
  WordPieceTokenizer(std::unordered_map<std::string, int32_t> vocab,
                     TokenizerOptions options);

  // Reads the tokenizer of a model folder: tokenizer.json (model.vocab,
  // normalizer flags, added tokens) when present, else vocab.txt (id = line
  // number) + tokenizer_config.json (do_lower_case, tokenize_chinese_chars,
  // strip_accents, special token names). Throws podpower::Error naming the file
  // and field on a missing or malformed file.
  static WordPieceTokenizer FromFolder(const std::string& folder);

  // Wordpieces of `text` without [CLS]/[SEP], untruncated (for tests and
  // debugging).
  std::vector<std::string> Tokenize(std::string_view text) const;

  // Token ids: [CLS] + at most max_length - 2 wordpieces (cut on the right) +
  // [SEP]. max_length must be >= 2. Invalid UTF-8 bytes are treated as U+FFFD
  // (dropped).
  std::vector<int32_t> Encode(std::string_view text, size_t max_length) const;

  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t unk_id() const { return unk_id_; }
  size_t vocab_size() const { return vocab_.size(); }
  const TokenizerOptions& options() const { return options_; }

 private:
  // Appends the wordpieces (as ids and optionally strings) of one
  // special-token-free segment.
  void TokenizeSegment(std::string_view segment, std::vector<int32_t>* ids,
                       std::vector<std::string>* pieces) const;
  void TokenizeAll(std::string_view text, std::vector<int32_t>* ids,
                   std::vector<std::string>* pieces) const;
  void WordPiece(const std::u32string& word, std::vector<int32_t>* ids,
                 std::vector<std::string>* pieces) const;

  std::unordered_map<std::string, int32_t> vocab_;
  TokenizerOptions options_;
  int32_t unk_id_ = 0, cls_id_ = 0, sep_id_ = 0;
  std::vector<std::pair<std::string, int32_t>> specials_;  // longest first
  std::array<bool, 256> special_first_byte_{};
};

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_WORDPIECE_TOKENIZER_H_
