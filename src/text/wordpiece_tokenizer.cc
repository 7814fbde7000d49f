#include "text/wordpiece_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <fstream>

#include "io/error.h"
#include "text/json_file.h"

namespace podpower::text {
namespace {

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  int32_t i = 0;
  const auto n = static_cast<int32_t>(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  while (i < n) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    out.push_back(c < 0 ? 0xFFFD : static_cast<char32_t>(c));
  }
  return out;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Rust's char::is_whitespace (Unicode White_Space), which HF uses; \t \n \r
// included.
bool IsWhitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE);
}

// HF bert.rs is_control: categories Cc, Cf, Cn, Co, Cs, except \t \n \r.
bool IsControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_UNASSIGNED:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

// HF bert.rs is_chinese_char (the fast tokenizer's ranges).
bool IsChineseChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// HF is_bert_punc: ASCII punctuation or any Unicode P* category.
bool IsPunctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126))
    return true;
  return c >= 0x80 && u_ispunct(static_cast<UChar32>(c));
}

std::u32string Nfd(const std::u32string& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status))
    throw Error(std::string("ICU NFD unavailable: ") + u_errorName(status));
  icu::UnicodeString in = icu::UnicodeString::fromUTF32(
      reinterpret_cast<const UChar32*>(text.data()),
      static_cast<int32_t>(text.size()));
  icu::UnicodeString out = nfd->normalize(in, status);
  if (U_FAILURE(status))
    throw Error(std::string("ICU NFD failed: ") + u_errorName(status));
  std::u32string result;
  for (int32_t i = 0; i < out.length();) {
    UChar32 c = out.char32At(i);
    result.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return result;
}

// Rust's char::to_lowercase: the full, context-free mapping of one code point
// (so U+0130 gives "i\u0307" and a lone capital sigma gives a medial sigma).
// ICU's u_strToLower over a single code point applies the same SpecialCasing
// data with no context.
void AppendLower(char32_t c, std::u32string* out) {
  if (c < 0x80) {
    out->push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  UChar src[2];
  int32_t len = 0;
  U16_APPEND_UNSAFE(src, len, static_cast<UChar32>(c));
  UChar dst[8];
  UErrorCode status = U_ZERO_ERROR;
  int32_t n = u_strToLower(dst, 8, src, len, "", &status);
  if (U_FAILURE(status) || n > 8) {
    out->push_back(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))));
    return;
  }
  for (int32_t i = 0; i < n;) {
    UChar32 l;
    U16_NEXT(dst, i, n, l);
    out->push_back(static_cast<char32_t>(l));
  }
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(
    std::unordered_map<std::string, int32_t> vocab, TokenizerOptions options)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  auto require = [&](const std::string& token, const char* role) {
    auto it = vocab_.find(token);
    if (it == vocab_.end())
      throw Error("tokenizer vocabulary has no " + std::string(role) +
                  " token '" + token + "'");
    return it->second;
  };
  unk_id_ = require(options_.unk_token, "unknown");
  cls_id_ = require(options_.cls_token, "[CLS]");
  sep_id_ = require(options_.sep_token, "[SEP]");
  for (const auto& s : options_.special_tokens) {
    auto it = vocab_.find(s);
    if (!s.empty() && it != vocab_.end()) specials_.emplace_back(s, it->second);
  }
  std::sort(specials_.begin(), specials_.end(),
            [](const auto& a, const auto& b) {
              return a.first.size() > b.first.size();
            });
  for (const auto& s : specials_)
    special_first_byte_[static_cast<unsigned char>(s.first[0])] = true;
}

void WordPieceTokenizer::WordPiece(const std::u32string& word,
                                   std::vector<int32_t>* ids,
                                   std::vector<std::string>* pieces) const {
  if (word.empty()) return;
  std::string utf8;
  std::vector<size_t> offsets;  // byte offset of each character, plus the end
  for (char32_t c : word) {
    offsets.push_back(utf8.size());
    AppendUtf8(c, &utf8);
  }
  offsets.push_back(utf8.size());
  const size_t n = word.size();
  auto unk = [&] {
    ids->push_back(unk_id_);
    if (pieces) pieces->push_back(options_.unk_token);
  };
  if (static_cast<int64_t>(n) > options_.max_input_chars_per_word) return unk();
  std::vector<int32_t> word_ids;
  std::vector<std::string> word_pieces;
  size_t start = 0;
  std::string candidate;
  while (start < n) {
    size_t end = n;
    int32_t found = -1;
    while (start < end) {
      candidate.clear();
      if (start > 0) candidate = options_.continuing_subword_prefix;
      candidate.append(utf8, offsets[start], offsets[end] - offsets[start]);
      auto it = vocab_.find(candidate);
      if (it != vocab_.end()) {
        found = it->second;
        break;
      }
      --end;
    }
    if (found < 0) return unk();  // the whole word, as HF does
    word_ids.push_back(found);
    if (pieces) word_pieces.push_back(candidate);
    start = end;
  }
  ids->insert(ids->end(), word_ids.begin(), word_ids.end());
  if (pieces)
    pieces->insert(pieces->end(), word_pieces.begin(), word_pieces.end());
}

void WordPieceTokenizer::TokenizeSegment(
    std::string_view segment, std::vector<int32_t>* ids,
    std::vector<std::string>* pieces) const {
  std::u32string decoded = DecodeUtf8(segment);
  // 1. Clean-up and 2. CJK spacing.
  std::u32string text;
  text.reserve(decoded.size());
  for (char32_t c : decoded) {
    if (options_.clean_text) {
      if (c == 0 || c == 0xFFFD || IsControl(c)) continue;
      if (IsWhitespace(c)) c = ' ';
    }
    if (options_.handle_chinese_chars && IsChineseChar(c)) {
      text.push_back(' ');
      text.push_back(c);
      text.push_back(' ');
    } else {
      text.push_back(c);
    }
  }
  // 3. Accents, then 4. lower case (the fast tokenizer's order).
  const bool strip = options_.strip_accents < 0 ? options_.lowercase
                                                : options_.strip_accents == 1;
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char32_t c) { return c < 0x80; });
  if (strip && !ascii) {
    std::u32string nfd = Nfd(text);
    text.clear();
    for (char32_t c : nfd)
      if (u_charType(static_cast<UChar32>(c)) != U_NON_SPACING_MARK)
        text.push_back(c);
  }
  if (options_.lowercase) {
    std::u32string lower;
    lower.reserve(text.size());
    for (char32_t c : text) AppendLower(c, &lower);
    text.swap(lower);
  }
  // 5. Whitespace split with punctuation isolated, 6. WordPiece per word.
  std::u32string word;
  for (char32_t c : text) {
    if (IsWhitespace(c)) {
      WordPiece(word, ids, pieces);
      word.clear();
    } else if (IsPunctuation(c)) {
      WordPiece(word, ids, pieces);
      word.assign(1, c);
      WordPiece(word, ids, pieces);
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  WordPiece(word, ids, pieces);
}

void WordPieceTokenizer::TokenizeAll(std::string_view text,
                                     std::vector<int32_t>* ids,
                                     std::vector<std::string>* pieces) const {
  // Leftmost-longest match of the special tokens on the raw text (HF's added
  // vocabulary).
  size_t segment_start = 0;
  size_t i = 0;
  while (i < text.size()) {
    const std::pair<std::string, int32_t>* match = nullptr;
    if (special_first_byte_[static_cast<unsigned char>(text[i])]) {
      for (const auto& s : specials_) {
        if (text.compare(i, s.first.size(), s.first) == 0) {
          match = &s;
          break;
        }
      }
    }
    if (!match) {
      ++i;
      continue;
    }
    TokenizeSegment(text.substr(segment_start, i - segment_start), ids, pieces);
    ids->push_back(match->second);
    if (pieces) pieces->push_back(match->first);
    i += match->first.size();
    segment_start = i;
  }
  TokenizeSegment(text.substr(segment_start), ids, pieces);
}

std::vector<std::string> WordPieceTokenizer::Tokenize(
    std::string_view text) const {
  std::vector<int32_t> ids;
  std::vector<std::string> pieces;
  TokenizeAll(text, &ids, &pieces);
  return pieces;
}

std::vector<int32_t> WordPieceTokenizer::Encode(std::string_view text,
                                                size_t max_length) const {
  if (max_length < 2)
    throw Error("max_length must be at least 2 for [CLS] and [SEP]");
  std::vector<int32_t> pieces;
  TokenizeAll(text, &pieces, nullptr);
  if (pieces.size() > max_length - 2) pieces.resize(max_length - 2);
  std::vector<int32_t> ids;
  ids.reserve(pieces.size() + 2);
  ids.push_back(cls_id_);
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  ids.push_back(sep_id_);
  return ids;
}

WordPieceTokenizer WordPieceTokenizer::FromFolder(const std::string& folder) {
  TokenizerOptions options;
  std::unordered_map<std::string, int32_t> vocab;
  const std::string json_path = folder + "/tokenizer.json";
  const std::string vocab_path = folder + "/vocab.txt";
  if (FileExists(json_path)) {
    nlohmann::json tok = ReadJsonFile(json_path, "tokenizer");
    const nlohmann::json& model =
        tok.contains("model") ? tok["model"] : nlohmann::json();
    std::string type =
        StringField(model, "type", json_path).value_or("WordPiece");
    if (type != "WordPiece")
      throw Error(json_path +
                  ": field 'model.type': expected \"WordPiece\" (a BERT "
                  "tokenizer), got \"" +
                  type + "\"");
    if (!model.contains("vocab") || !model["vocab"].is_object())
      throw Error(json_path +
                  ": field 'model.vocab': expected an object of token -> id");
    for (const auto& [token, id] : model["vocab"].items()) {
      if (!id.is_number_integer())
        throw Error(json_path + ": field 'model.vocab." + token +
                    "': expected an integer id");
      vocab.emplace(token, id.get<int32_t>());
    }
    if (auto v = StringField(model, "unk_token", json_path))
      options.unk_token = *v;
    if (auto v = StringField(model, "continuing_subword_prefix", json_path))
      options.continuing_subword_prefix = *v;
    if (auto v = IntField(model, "max_input_chars_per_word", json_path))
      options.max_input_chars_per_word = static_cast<int>(*v);
    if (tok.contains("normalizer") && !tok["normalizer"].is_null()) {
      const nlohmann::json& norm = tok["normalizer"];
      std::string ntype = StringField(norm, "type", json_path).value_or("");
      if (ntype != "BertNormalizer")
        throw Error(
            json_path +
            ": field 'normalizer.type': expected \"BertNormalizer\", got \"" +
            ntype + "\"");
      if (auto v = BoolField(norm, "clean_text", json_path))
        options.clean_text = *v;
    }
    if (tok.contains("pre_tokenizer") && !tok["pre_tokenizer"].is_null()) {
      std::string ptype =
          StringField(tok["pre_tokenizer"], "type", json_path).value_or("");
      if (ptype != "BertPreTokenizer")
        throw Error(json_path +
                    ": field 'pre_tokenizer.type': expected "
                    "\"BertPreTokenizer\", got \"" +
                    ptype + "\"");
    }
    if (tok.contains("added_tokens") && tok["added_tokens"].is_array()) {
      std::vector<std::string> added;
      for (const auto& t : tok["added_tokens"]) {
        auto content = StringField(t, "content", json_path);
        auto id = IntField(t, "id", json_path);
        if (!content || !id)
          throw Error(
              json_path +
              ": field 'added_tokens': expected {\"id\", \"content\"} objects");
        added.push_back(*content);
        vocab.emplace(*content, static_cast<int32_t>(*id));
      }
      options.special_tokens = added;
    }
  } else if (FileExists(vocab_path)) {
    std::ifstream in(vocab_path, std::ios::binary);
    std::string line;
    int32_t id = 0;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      vocab.insert_or_assign(line,
                             id++);  // HF: a repeated token keeps its last id
    }
    if (vocab.empty()) throw Error(vocab_path + ": empty vocabulary");
  } else {
    throw Error(folder +
                ": missing tokenizer.json and vocab.txt (need one of them)");
  }
  // BertTokenizerFast rebuilds the normalizer from tokenizer_config.json's
  // do_lower_case (default true), strip_accents (default null) and
  // tokenize_chinese_chars (default true), overriding tokenizer.json, so those
  // three always come from here.
  options.lowercase = true;
  options.handle_chinese_chars = true;
  options.strip_accents = -1;
  const std::string config_path = folder + "/tokenizer_config.json";
  if (FileExists(config_path)) {
    nlohmann::json cfg = ReadJsonFile(config_path, "tokenizer settings");
    if (auto v = BoolField(cfg, "do_lower_case", config_path))
      options.lowercase = *v;
    if (auto v = BoolField(cfg, "tokenize_chinese_chars", config_path))
      options.handle_chinese_chars = *v;
    if (auto v = BoolField(cfg, "strip_accents", config_path))
      options.strip_accents = *v ? 1 : 0;
    if (auto v = StringField(cfg, "unk_token", config_path))
      options.unk_token = *v;
    if (auto v = StringField(cfg, "cls_token", config_path))
      options.cls_token = *v;
    if (auto v = StringField(cfg, "sep_token", config_path))
      options.sep_token = *v;
    if (auto v = StringField(cfg, "pad_token", config_path))
      options.pad_token = *v;
    if (!FileExists(json_path)) {
      std::vector<std::string> specials;
      for (const char* key :
           {"pad_token", "unk_token", "cls_token", "sep_token", "mask_token"})
        if (auto v = StringField(cfg, key, config_path)) specials.push_back(*v);
      if (!specials.empty()) options.special_tokens = specials;
    }
  }
  try {
    return WordPieceTokenizer(std::move(vocab), std::move(options));
  } catch (const Error& e) {
    throw Error((FileExists(json_path) ? json_path : vocab_path) + ": " +
                e.what());
  }
}

}  // namespace podpower::text
