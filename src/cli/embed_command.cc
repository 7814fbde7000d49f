// `podpower embed`: prints sentence embeddings from a sentence-transformers
// model folder.
#include "cli/command.h"
#include "text/embed_texts.h"

namespace podpower::cli {
namespace {

CommandRegistration embed_registration(90, [](CLI::App& app) {
  auto options = std::make_shared<text::EmbedTextsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "embed",
      "Print sentence embeddings of texts (native all-MiniLM-L6-v2 or any BERT "
      "sentence-transformers model folder)");
  cmd->add_option("--model,--sbert-model,--text-model", options->model,
                  "sentence-transformers model folder (git clone of the "
                  "Hugging Face repository)")
      ->required();
  cmd->add_option("texts", options->texts, "texts to embed");
  cmd->add_option("--input,-i", options->input,
                  "file with one text per line ('-' = stdin)");
  cmd->add_option("--output,-o", options->output, "output file ('-' = stdout)")
      ->capture_default_str();
  cmd->add_option("--format", options->format,
                  "ndjson (one object per line) or json")
      ->check(CLI::IsMember({"ndjson", "json"}))
      ->capture_default_str();
  cmd->add_option("--threads", options->threads,
                  "worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->callback([options] { text::EmbedTexts(*options); });
});

}  // namespace
}  // namespace podpower::cli
