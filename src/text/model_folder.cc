#include "text/model_folder.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "text/json_file.h"

namespace podpower::text {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Basename(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Join(const std::string& dir, const std::string& sub) {
  if (sub.empty() || sub == ".") return dir;
  return dir + "/" + sub;
}

int RequirePositive(const nlohmann::json& cfg, const std::string& key,
                    const std::string& path,
                    std::optional<int64_t> fallback = std::nullopt) {
  auto v = IntField(cfg, key, path);
  if (!v) v = fallback;
  if (!v)
    throw Error(path + ": field '" + key +
                "' missing (expected a positive integer)");
  if (*v <= 0 || *v > 1'000'000)
    throw Error(path + ": field '" + key +
                "': expected a positive integer, got " + std::to_string(*v));
  return static_cast<int>(*v);
}

BertConfig ReadBertConfig(const std::string& path) {
  nlohmann::json cfg = ReadJsonFile(path, "the model's config.json");
  auto model_type = StringField(cfg, "model_type", path);
  if (model_type && *model_type != "bert")
    throw Error(path +
                ": field 'model_type': expected \"bert\" (a BERT "
                "architecture), got \"" +
                *model_type + "\"");
  if (!model_type) {
    bool bert = false;
    if (cfg.contains("architectures") && cfg["architectures"].is_array())
      for (const auto& a : cfg["architectures"])
        if (a.is_string() && a.get<std::string>().rfind("Bert", 0) == 0)
          bert = true;
    if (!bert)
      throw Error(path +
                  ": field 'model_type' missing and 'architectures' names no "
                  "Bert* class "
                  "(expected a BERT architecture)");
  }
  std::string act = StringField(cfg, "hidden_act", path).value_or("gelu");
  if (act != "gelu")
    throw Error(path +
                ": field 'hidden_act': expected \"gelu\" (exact erf), got \"" +
                act + "\"");
  std::string pos =
      StringField(cfg, "position_embedding_type", path).value_or("absolute");
  if (pos != "absolute")
    throw Error(
        path +
        ": field 'position_embedding_type': expected \"absolute\", got \"" +
        pos + "\"");
  BertConfig c;
  c.vocab_size = RequirePositive(cfg, "vocab_size", path);
  c.hidden_size = RequirePositive(cfg, "hidden_size", path);
  c.num_layers = RequirePositive(cfg, "num_hidden_layers", path);
  c.num_heads = RequirePositive(cfg, "num_attention_heads", path);
  c.intermediate_size = RequirePositive(cfg, "intermediate_size", path);
  c.max_position_embeddings =
      RequirePositive(cfg, "max_position_embeddings", path);
  c.type_vocab_size = RequirePositive(cfg, "type_vocab_size", path, 2);
  c.layer_norm_eps = static_cast<float>(
      NumberField(cfg, "layer_norm_eps", path).value_or(1e-12));
  if (c.hidden_size % c.num_heads != 0)
    throw Error(
        path + ": field 'num_attention_heads': " + std::to_string(c.num_heads) +
        " does not divide hidden_size " + std::to_string(c.hidden_size));
  return c;
}

}  // namespace

ModelFolder ReadModelFolder(const std::string& folder) {
  if (!IsDirectory(folder))
    throw Error(folder +
                ": model folder not found (expected a sentence-transformers "
                "model folder, "
                "e.g. a git clone of sentence-transformers/all-MiniLM-L6-v2)");
  ModelFolder m;
  m.folder = folder;
  m.name = Basename(folder);
  const std::string modules_path = folder + "/modules.json";
  nlohmann::json modules =
      ReadJsonFile(modules_path, "the sentence-transformers module list");
  if (!modules.is_array() || modules.empty())
    throw Error(modules_path + ": expected a non-empty array of modules");
  std::string pooling_dir;
  bool have_transformer = false;
  for (size_t i = 0; i < modules.size(); ++i) {
    const auto& mod = modules[i];
    std::string field =
        "[";  // appended, not operator+: GCC 12 -Wrestrict false positive
    field += std::to_string(i);
    field += ']';
    auto type = StringField(mod, "type", modules_path);
    if (!type)
      throw Error(modules_path + ": field '" + field + ".type' missing");
    std::string path = StringField(mod, "path", modules_path).value_or("");
    if (*type == "sentence_transformers.models.Transformer") {
      if (i != 0)
        throw Error(modules_path + ": field '" + field +
                    "': Transformer must come first");
      have_transformer = true;
      m.transformer_dir = Join(folder, path);
    } else if (*type == "sentence_transformers.models.Pooling") {
      pooling_dir = Join(folder, path);
    } else if (*type == "sentence_transformers.models.Normalize") {
      m.normalize = true;
    } else {
      throw Error(modules_path + ": field '" + field +
                  ".type': unsupported module \"" + *type +
                  "\" (expected Transformer, Pooling, Normalize)");
    }
  }
  if (!have_transformer)
    throw Error(modules_path +
                ": no sentence_transformers.models.Transformer module");
  if (pooling_dir.empty())
    throw Error(modules_path +
                ": no sentence_transformers.models.Pooling module");

  m.bert = ReadBertConfig(m.transformer_dir + "/config.json");

  const std::string pooling_path = pooling_dir + "/config.json";
  nlohmann::json pool = ReadJsonFile(pooling_path, "the pooling settings");
  auto dim = IntField(pool, "word_embedding_dimension", pooling_path);
  if (dim && *dim != m.bert.hidden_size)
    throw Error(pooling_path + ": field 'word_embedding_dimension': " +
                std::to_string(*dim) + " but the model's hidden_size is " +
                std::to_string(m.bert.hidden_size));
  bool mean =
      BoolField(pool, "pooling_mode_mean_tokens", pooling_path).value_or(false);
  bool cls =
      BoolField(pool, "pooling_mode_cls_token", pooling_path).value_or(false);
  for (const char* other :
       {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
        "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
    if (BoolField(pool, other, pooling_path).value_or(false))
      throw Error(pooling_path + ": field '" + other +
                  "': unsupported pooling (expected mean or CLS pooling only)");
  }
  if (mean == cls)
    throw Error(pooling_path +
                ": expected exactly one of pooling_mode_mean_tokens and "
                "pooling_mode_cls_token to be true");
  m.pooling = mean ? Pooling::kMean : Pooling::kCls;

  // sentence-transformers' own length limit wins over the tokenizer's (256 vs
  // 128 for MiniLM).
  const std::string sbert_path =
      m.transformer_dir + "/sentence_bert_config.json";
  std::optional<int64_t> max_len;
  if (FileExists(sbert_path)) {
    nlohmann::json sb =
        ReadJsonFile(sbert_path, "sentence-transformers settings");
    max_len = IntField(sb, "max_seq_length", sbert_path);
    m.lowercase_input =
        BoolField(sb, "do_lower_case", sbert_path).value_or(false);
  }
  if (!max_len) {
    max_len = m.bert.max_position_embeddings;
    const std::string tc_path = m.transformer_dir + "/tokenizer_config.json";
    if (FileExists(tc_path)) {
      nlohmann::json tc = ReadJsonFile(tc_path, "tokenizer settings");
      auto limit = IntField(tc, "model_max_length", tc_path);
      if (limit && *limit > 0 && *limit < *max_len) max_len = limit;
    }
  }
  if (*max_len < 2 || *max_len > m.bert.max_position_embeddings)
    throw Error(sbert_path + ": field 'max_seq_length': expected 2.." +
                std::to_string(m.bert.max_position_embeddings) +
                " (max_position_embeddings), got " + std::to_string(*max_len));
  m.max_seq_length = static_cast<int>(*max_len);
  m.weights_path = m.transformer_dir + "/model.safetensors";
  if (!FileExists(m.weights_path)) {
    std::string hint =
        FileExists(m.transformer_dir + "/pytorch_model.bin")
            ? " (pytorch_model.bin is not supported; the Hugging Face "
              "repository "
              "also has model.safetensors: fetch it with git lfs pull)"
            : " (expected the model's weights)";
    throw Error(m.weights_path + ": missing" + hint);
  }
  return m;
}

}  // namespace podpower::text
