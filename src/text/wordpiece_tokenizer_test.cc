// The tokenizer against Hugging Face's BERT tokenizer. No HF tokenizer exists
// in Debian, so the oracle is (1) the token-id vectors published for
// bert-base-uncased (sentence-transformers- reference.md section 4), reproduced
// with a vocabulary that puts those tokens at their real ids, and (2) cases
// whose expected output is derived by hand from the HF rules; each says why.
#include "text/wordpiece_tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/temp_dir.h"

namespace podpower::text {
namespace {

using Ids = std::vector<int32_t>;
using Pieces = std::vector<std::string>;

// bert-base-uncased ids quoted in the reference; other tokens get ids no
// reference case uses.
std::unordered_map<std::string, int32_t> Vocab() {
  std::unordered_map<std::string, int32_t> v = {
      {"[PAD]", 0},       {"[UNK]", 100},   {"[CLS]", 101},  {"[SEP]", 102},
      {"[MASK]", 103},    {"hello", 7592},  {"world", 2088}, {"this", 2023},
      {"is", 2003},       {"a", 1037},      {"test", 3231},  {"sentence", 6251},
      {"function", 3853}, {"_", 1035},      {"name", 2171},  {"camel", 19130},
      {"##case", 18382},  {"https", 16770}, {":", 1024},     {"/", 1013},
      {"example", 2742},  {".", 1012},      {"com", 4012},   {"$", 1002},
      {"100", 2531},      {",", 1010},      {"!", 999},      {"?", 1029},
      {";", 1025},        {"aaa", 13360},   {"##aa", 11057}, {"##a", 2050}};
  int32_t next = 20000;
  for (const char* t :
       {"aa",   "case", "cafe", "creme", "café", "naive", "Hello",   "Café",
        "-",    "b",    "«",    "»",     "hi",   "5",     "##world", "istanbul",
        "οδοσ", "東",   "京",   "は",    "日",   "本",    "の",      "首",
        "都",   "て",   "##す", "。",    "^",    "~",     "|",       "`",
        "[",    "]",    "cls",  "nginx", "##x"})
    v.emplace(t, next++);
  return v;
}

WordPieceTokenizer Uncased() {
  return WordPieceTokenizer(Vocab(), TokenizerOptions{});
}

Ids Enc(const std::string& text, size_t max_len = 256) {
  return Uncased().Encode(text, max_len);
}

TEST(WordPiece, reference_hello_world_any_case_and_spacing) {
  EXPECT_EQ(Enc("hello world"), (Ids{101, 7592, 2088, 102}));
  EXPECT_EQ(Enc("HELLO WORLD"), (Ids{101, 7592, 2088, 102}));
  EXPECT_EQ(Enc("hello    world"), (Ids{101, 7592, 2088, 102}));
}

TEST(WordPiece, reference_sentence_and_subwords) {
  EXPECT_EQ(Enc("this is a test sentence"),
            (Ids{101, 2023, 2003, 1037, 3231, 6251, 102}));
  EXPECT_EQ(Enc("function_name"), (Ids{101, 3853, 1035, 2171, 102}));
  EXPECT_EQ(Enc("camelCase"), (Ids{101, 19130, 18382, 102}));
}

TEST(WordPiece, reference_punctuation_and_urls) {
  EXPECT_EQ(Enc("https://example.com"),
            (Ids{101, 16770, 1024, 1013, 1013, 2742, 1012, 4012, 102}));
  EXPECT_EQ(Enc("$100"), (Ids{101, 1002, 2531, 102}));
  EXPECT_EQ(Enc(".,!?;:"), (Ids{101, 1012, 1010, 999, 1029, 1025, 1024, 102}));
}

TEST(WordPiece, reference_empty_and_blank_text_is_cls_sep) {
  EXPECT_EQ(Enc(""), (Ids{101, 102}));
  EXPECT_EQ(Enc("   "), (Ids{101, 102}));
  EXPECT_EQ(Enc("\t\n"), (Ids{101, 102}));
}

TEST(WordPiece, reference_fifty_a_is_greedy_longest_match) {
  Ids want{101, 13360};
  for (int i = 0; i < 23; ++i) want.push_back(11057);
  want.push_back(2050);
  want.push_back(102);
  EXPECT_EQ(Enc(std::string(50, 'a')), want);
}

TEST(WordPiece, accents_are_stripped_from_precomposed_and_combining_forms) {
  // Uncased BERT: NFD, drop Mn, lower case. U+00E9 and "e" + U+0301 both become
  // "e".
  EXPECT_EQ(Uncased().Tokenize("Caf\u00e9 Cr\u00e8me"),
            (Pieces{"cafe", "creme"}));
  EXPECT_EQ(Uncased().Tokenize("Cafe\u0301 nai\u0308ve"),
            (Pieces{"cafe", "naive"}));
}

TEST(WordPiece, strip_accents_false_keeps_them_while_lowercasing) {
  TokenizerOptions o;
  o.strip_accents = 0;
  WordPieceTokenizer t(Vocab(), o);
  EXPECT_EQ(t.Tokenize("CAF\u00c9"), (Pieces{"café"}));
}

TEST(WordPiece, cased_model_keeps_case_and_accents) {
  // lowercase=false and strip_accents unset (null) means no accent stripping
  // either.
  TokenizerOptions o;
  o.lowercase = false;
  WordPieceTokenizer t(Vocab(), o);
  EXPECT_EQ(t.Tokenize("Hello Caf\u00e9"), (Pieces{"Hello", "Café"}));
}

TEST(WordPiece,
     accents_go_before_lowercasing_so_dotted_capital_i_becomes_plain_i) {
  // The fast tokenizer strips accents first: NFD(U+0130) = "I" + U+0307, the
  // mark is dropped, then "I" lowercases to "i". (Lowercasing first would give
  // "i" + U+0307 and an unknown word.)
  EXPECT_EQ(Uncased().Tokenize("\u0130stanbul"), (Pieces{"istanbul"}));
}

TEST(WordPiece, lowercasing_is_per_character_so_final_sigma_stays_medial) {
  // HF lowercases with Rust's char::to_lowercase, which has no word context: Σ
  // -> σ, never ς.
  EXPECT_EQ(Uncased().Tokenize("\u039f\u0394\u039f\u03a3"), (Pieces{"οδοσ"}));
}

TEST(WordPiece, cjk_ideographs_split_and_kana_voicing_mark_stripped) {
  // 東京日本首都 are CJK ideographs: each becomes its own word. Kana are not,
  // so "です" stays one word; NFD turns で into て + U+3099 (an Mn mark), which
  // accent stripping drops: て ##す. 11 wordpieces = the reference's 13 tokens
  // with [CLS]/[SEP] for this sentence.
  EXPECT_EQ(Uncased().Tokenize("東京は日本の首都です。"),
            (Pieces{"東", "京", "は", "日", "本", "の", "首", "都", "て",
                    "##す", "。"}));
}

TEST(WordPiece,
     punctuation_ascii_symbols_and_unicode_p_are_split_but_currency_is_not) {
  // ASCII 33-47/58-64/91-96/123-126 count even when Unicode calls them symbols
  // (^ ~ | `).
  EXPECT_EQ(Uncased().Tokenize("a-b ^~|`"),
            (Pieces{"a", "-", "b", "^", "~", "|", "`"}));
  // « » are Unicode Pi/Pf.
  EXPECT_EQ(Uncased().Tokenize("«hi»"), (Pieces{"«", "hi", "»"}));
  // € is Sc and not ASCII: it stays in the word "5€", which has no wordpieces
  // -> [UNK].
  EXPECT_EQ(Uncased().Tokenize("5€"), (Pieces{"[UNK]"}));
}

TEST(WordPiece, control_and_format_characters_are_dropped_not_spaces) {
  // NUL, U+200B (Cf), U+FFFD and an invalid byte vanish; the word stays whole.
  EXPECT_EQ(Uncased().Tokenize(std::string("hel\0lo", 6)), (Pieces{"hello"}));
  EXPECT_EQ(Uncased().Tokenize("hel\u200blo"), (Pieces{"hello"}));
  EXPECT_EQ(Uncased().Tokenize("hel\ufffdlo"), (Pieces{"hello"}));
  EXPECT_EQ(Uncased().Tokenize("hel\xfflo"), (Pieces{"hello"}));
  // \v is Cc and not \t \n \r: dropped before the whitespace mapping, joining
  // the two words.
  EXPECT_EQ(Uncased().Tokenize("hello\vworld"), (Pieces{"hello", "##world"}));
  // NBSP and U+2028 are White_Space: word breaks.
  EXPECT_EQ(Uncased().Tokenize("hello\u00a0world\u2028test"),
            (Pieces{"hello", "world", "test"}));
}

TEST(WordPiece, unknown_pieces_make_the_whole_word_unk) {
  // "hello" matches but "##🙂" does not: the whole word is [UNK], not hello +
  // [UNK].
  EXPECT_EQ(Enc("hello\U0001F642 world"), (Ids{101, 100, 2088, 102}));
  EXPECT_EQ(Uncased().Tokenize("nginxx"), (Pieces{"nginx", "##x"}));
}

TEST(WordPiece, words_over_100_characters_are_unk) {
  EXPECT_EQ(Enc(std::string(101, 'a')), (Ids{101, 100, 102}));
  // Exactly 100 still goes through WordPiece: aaa + 48 x ##aa + ##a.
  Ids hundred = Enc(std::string(100, 'a'));
  ASSERT_EQ(hundred.size(), 2u + 1 + 48 + 1);
  EXPECT_EQ(hundred[1], 13360);
  EXPECT_EQ(hundred[49], 11057);
  EXPECT_EQ(hundred[50], 2050);
  EXPECT_EQ(hundred[51], 102);
}

TEST(WordPiece, special_token_strings_are_matched_in_the_raw_text) {
  EXPECT_EQ(Enc("hello[MASK]world"), (Ids{101, 7592, 103, 2088, 102}));
  // Case matters (added tokens are not normalised): "[cls]" is punctuation + a
  // word.
  EXPECT_EQ(Uncased().Tokenize("[cls]"), (Pieces{"[", "cls", "]"}));
}

TEST(WordPiece, truncation_keeps_exactly_254_wordpieces_at_256) {
  auto words = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i % 2 ? " world" : " hello");
    return s;
  };
  EXPECT_EQ(Enc(words(253)).size(), 255u);
  EXPECT_EQ(Enc(words(254)).size(), 256u);
  Ids cut = Enc(words(300));
  ASSERT_EQ(cut.size(), 256u);
  EXPECT_EQ(cut[254], 2088);  // the 254th word ("world") is the last one kept
  EXPECT_EQ(cut[255], 102);
  // A word's wordpieces are cut too: 253 words + camel | ##case.
  Ids mid = Enc(words(253) + " camelcase");
  ASSERT_EQ(mid.size(), 256u);
  EXPECT_EQ(mid[254], 19130);
  EXPECT_EQ(mid[255], 102);
}

class TokenizerFolder : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = io::MakeTempDir("podpower-tok"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(TokenizerFolder, vocab_txt_ids_are_line_numbers) {
  Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n");
  auto t = WordPieceTokenizer::FromFolder(dir_.string());
  EXPECT_EQ(t.Encode("Hello World", 16), (Ids{2, 4, 5, 3}));
}

TEST_F(TokenizerFolder,
       tokenizer_config_do_lower_case_overrides_tokenizer_json) {
  // BertTokenizerFast rebuilds the normalizer from tokenizer_config.json
  // (default lower case).
  nlohmann::json tok = {{"normalizer",
                         {{"type", "BertNormalizer"},
                          {"lowercase", false},
                          {"clean_text", true}}},
                        {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
                        {"model",
                         {{"type", "WordPiece"},
                          {"unk_token", "[UNK]"},
                          {"vocab",
                           {{"[UNK]", 0},
                            {"[CLS]", 1},
                            {"[SEP]", 2},
                            {"hello", 3},
                            {"Hello", 4}}}}}};
  Write("tokenizer.json", tok.dump());
  EXPECT_EQ(WordPieceTokenizer::FromFolder(dir_.string()).Encode("Hello", 8),
            (Ids{1, 3, 2}));
  Write("tokenizer_config.json", R"({"do_lower_case": false})");
  EXPECT_EQ(WordPieceTokenizer::FromFolder(dir_.string()).Encode("Hello", 8),
            (Ids{1, 4, 2}));
}

TEST_F(TokenizerFolder, missing_or_broken_files_are_one_line_errors) {
  try {
    WordPieceTokenizer::FromFolder(dir_.string());
    FAIL() << "no tokenizer files";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("missing tokenizer.json and vocab.txt"),
        std::string::npos);
  }
  Write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {}}})");
  try {
    WordPieceTokenizer::FromFolder(dir_.string());
    FAIL() << "BPE tokenizer";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("'model.type': expected \"WordPiece\""),
        std::string::npos)
        << e.what();
  }
  Write("tokenizer.json", R"({"model": {"vocab": {"[UNK]": 0, "[SEP]": 1}}})");
  try {
    WordPieceTokenizer::FromFolder(dir_.string());
    FAIL() << "no [CLS]";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no [CLS] token '[CLS]'"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace podpower::text
