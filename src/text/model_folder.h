// A sentence-transformers model folder, as a user gets it with `git clone` of
// the Hugging Face repository (docs/formats/text.md).
//
// ReadModelFolder reads only the small configuration files (config.json,
// modules.json, sentence_bert_config.json, 1_Pooling/config.json) and checks
// that the model is one podpower can run: a BERT encoder (model_type "bert",
// exact-erf "gelu", absolute positions) followed by mean or CLS pooling and
// optionally Normalize. Weights and tokenizer are loaded elsewhere
// (bert_model.h, wordpiece_tokenizer.h) from `transformer_dir`. Plain data;
// thread-compatible.
#ifndef PODPOWER_TEXT_MODEL_FOLDER_H_
#define PODPOWER_TEXT_MODEL_FOLDER_H_

#include <cstdint>
#include <string>

namespace podpower::text {

struct BertConfig {
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 0;
  float layer_norm_eps = 1e-12f;
};

enum class Pooling { kMean, kCls };

struct ModelFolder {
  std::string folder;  // as given
  std::string name;    // folder basename ("all-MiniLM-L6-v2")
  std::string
      transformer_dir;  // holds config.json, tokenizer files, model.safetensors
  std::string weights_path;  // <transformer_dir>/model.safetensors
  BertConfig bert;
  Pooling pooling = Pooling::kMean;
  bool normalize = false;  // a Normalize module follows pooling
  int max_seq_length = 0;  // tokens including [CLS] and [SEP]
  bool lowercase_input =
      false;  // sentence_bert_config.json do_lower_case: str.lower() first
};

// Throws podpower::Error naming the file and field: a missing file, a non-BERT
// architecture
// ("<folder>/config.json: field 'model_type': expected \"bert\", got
// \"roberta\""), an unsupported module or pooling mode, or inconsistent sizes.
ModelFolder ReadModelFolder(const std::string& folder);

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_MODEL_FOLDER_H_
