// `podpower encode fit|transform`: InferenceRequest NDJSON → encoder artifact →
// features Parquet (encode/encode_files.h).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>

#include "cli/command.h"
#include "encode/encode_files.h"
#include "io/error.h"

namespace podpower::cli {
namespace {

struct EncodeFlags {
  std::string input;
  std::string encoder;
  std::string out;
  std::string sbert_model;
  std::string embedding_cache;
  std::string text;
  size_t hash_dim = 256;
  bool no_sbert = false;
  bool skip_invalid = false;
};

encode::TextChoice ChooseText(const EncodeFlags& f) {
  int given = (f.no_sbert ? 1 : 0) + (f.sbert_model.empty() ? 0 : 1) +
              (f.text.empty() ? 0 : 1);
  if (given > 1)
    throw Error("use only one of --no-sbert, --text and --sbert-model");
  if (f.no_sbert) return encode::TextChoice::kNone;
  if (!f.sbert_model.empty()) return encode::TextChoice::kSentenceModel;
  if (f.text == "hash") return encode::TextChoice::kHash;
  if (f.text == "none") return encode::TextChoice::kNone;
  if (!f.text.empty())
    throw Error("--text: expected 'hash' or 'none', got '" + f.text + "'");
  return encode::TextChoice::kDefault;
}

// A path as the file system sees it, for telling whether two spellings
// (`enc.ppenc`, `./enc.ppenc`, `/abs/enc.ppenc`) name the same file.
std::filesystem::path Resolved(const std::string& path) {
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  if (ec) return std::filesystem::path(path).lexically_normal();
  auto resolved = std::filesystem::weakly_canonical(absolute, ec);
  return ec ? absolute.lexically_normal() : resolved;
}

// The encoder file `encode fit` writes: the original k8s_encode.py took it as
// --out, podpower also as --encoder (the name transform and predict use).
// Both may be given when they name the same file.
std::string FitEncoderPath(const EncodeFlags& f) {
  if (f.out.empty() && f.encoder.empty())
    throw CLI::RequiredError("--out (or --encoder)");
  if (f.out.empty()) return f.encoder;
  if (!f.encoder.empty() && Resolved(f.out) != Resolved(f.encoder)) {
    throw Error("encode fit: --out '" + f.out + "' and --encoder '" +
                f.encoder +
                "' name different files; give the encoder file once (--out "
                "and --encoder are the same option)");
  }
  return f.out;
}

CommandRegistration encode_registration(20, [](CLI::App& app) {
  auto* encode = app.add_subcommand(
      "encode", "Turn InferenceRequest records into feature vectors");
  encode->require_subcommand(1);
  auto flags = std::make_shared<EncodeFlags>();

  auto* fit = encode->add_subcommand(
      "fit", "Learn scaling, categories and the text block");
  fit->add_option("--input", flags->input,
                  "InferenceRequest NDJSON ('-' = stdin)")
      ->required();
  fit->add_option("--out", flags->out,
                  "Encoder artifact to write (.ppenc); required, here or as "
                  "--encoder");
  fit->add_option("--encoder", flags->encoder,
                  "Same as --out (both may be given if they name one file)");
  fit->add_flag("--no-sbert", flags->no_sbert,
                "No text block (7 numerics + one-hot only)");
  fit->add_option("--text", flags->text,
                  "Text block: 'hash' (hashed tokens, the default) or 'none'");
  fit->add_option("--hash-dim", flags->hash_dim, "Dimensions of --text hash")
      ->check(CLI::Range(size_t{1}, size_t{1} << 16));
  fit->add_option("--sbert-model", flags->sbert_model,
                  "Sentence-transformers model folder (all-MiniLM-L6-v2) for "
                  "the text block");
  fit->add_option("--embedding-cache", flags->embedding_cache,
                  "Parquet file caching sentence embeddings by text (read, "
                  "then updated)");
  fit->add_flag("--skip-invalid", flags->skip_invalid,
                "Skip malformed records with a warning instead of failing");
  fit->callback([flags] {
    encode::FitOptions options;
    options.input = flags->input;
    options.encoder = FitEncoderPath(*flags);
    options.text = ChooseText(*flags);
    options.sbert_model = flags->sbert_model;
    options.embedding_cache = flags->embedding_cache;
    options.hash_dim = flags->hash_dim;
    options.skip_invalid = flags->skip_invalid;
    auto encoder = encode::FitEncoderFiles(options);
    std::cerr << "podpower: fitted encoder on " << encoder.fit_records()
              << " records, " << encoder.dim() << " features -> "
              << options.encoder << "\n";
  });

  auto* transform =
      encode->add_subcommand("transform", "Write the features Parquet");
  transform
      ->add_option("--input", flags->input,
                   "InferenceRequest NDJSON ('-' = stdin)")
      ->required();
  transform
      ->add_option("--encoder", flags->encoder,
                   "Encoder artifact from 'encode fit'")
      ->required();
  transform->add_option("--out", flags->out, "Features Parquet to write")
      ->required();
  transform->add_option(
      "--sbert-model", flags->sbert_model,
      "Sentence model folder, when the encoder was fitted with one");
  transform->add_option("--embedding-cache", flags->embedding_cache,
                        "Parquet file caching sentence embeddings by text");
  transform->add_flag(
      "--skip-invalid", flags->skip_invalid,
      "Skip malformed records with a warning instead of failing");
  transform->callback([flags] {
    encode::TransformOptions options;
    options.input = flags->input;
    options.encoder = flags->encoder;
    options.out = flags->out;
    options.sbert_model = flags->sbert_model;
    options.embedding_cache = flags->embedding_cache;
    options.skip_invalid = flags->skip_invalid;
    size_t rows = encode::TransformFiles(options);
    std::cerr << "podpower: wrote " << rows << " rows to " << flags->out
              << "\n";
  });
});

}  // namespace
}  // namespace podpower::cli
