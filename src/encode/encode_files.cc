#include "encode/encode_files.h"

#include <iostream>

#include "io/error.h"
#include "io/parquet.h"
#include "model/workload_traits.h"

namespace podpower::encode {

Encoder FitEncoderFiles(const FitOptions& options) {
  std::shared_ptr<const TextEmbedder> text;
  switch (options.text) {
    case TextChoice::kNone:
      break;
    case TextChoice::kDefault:
      std::cerr
          << "podpower: warning: no text option given, using --text hash (dim "
          << options.hash_dim
          << "); the original embedded text with a sentence model: pass "
             "--sbert-model PATH "
             "for that, or --no-sbert for no text block\n";
      [[fallthrough]];
    case TextChoice::kHash:
      text = std::make_shared<HashedTextEmbedder>(options.hash_dim);
      break;
    case TextChoice::kSentenceModel:
      text = MakeSentenceEmbedder(options.sbert_model, options.embedding_cache);
      break;
  }
  io::NdjsonReadOptions read;
  read.skip_invalid = options.skip_invalid;
  auto records = io::ReadInferenceRequests(options.input, read).records;
  Encoder encoder = Encoder::Fit(records, std::move(text));
  encoder.Save(options.encoder);
  return encoder;
}

io::Table FeaturesTable(const std::vector<io::InferenceRequest>& records,
                        const Encoder& encoder) {
  const std::vector<float> features = encoder.TransformMany(records);
  const size_t d = encoder.dim();
  io::Table table;
  // Add every column before taking references: AddColumn may move earlier
  // columns.
  table.AddColumn("namespace", io::ColumnType::kString);
  table.AddColumn("workload_kind", io::ColumnType::kString);
  table.AddColumn("workload_name", io::ColumnType::kString);
  table.AddColumn("_spec_hash", io::ColumnType::kString);
  table.AddColumn("vec_len", io::ColumnType::kInt64);
  table.AddColumn("features", io::ColumnType::kFloatList);
  // podpower's additions after the original's columns (its readers ignore
  // them): what the default model scales by and groups by
  // (model/workload_traits.h).
  table.AddColumn("cpu_cores", io::ColumnType::kDouble);
  table.AddColumn("gpus", io::ColumnType::kDouble);
  table.AddColumn("image_family", io::ColumnType::kString);
  auto& cols = table.columns();
  auto &ns = cols[0], &kind = cols[1], &name = cols[2], &hash = cols[3],
       &len = cols[4], &vec = cols[5], &cores = cols[6], &gpus = cols[7],
       &family = cols[8];
  for (size_t i = 0; i < records.size(); ++i) {
    ns.AppendString(records[i].namespace_);
    kind.AppendString(records[i].workload_kind);
    name.AppendString(records[i].workload_name);
    hash.AppendString(io::SpecHash(records[i]));
    len.AppendInt64(static_cast<int64_t>(d));
    vec.AppendFloatList(std::span<const float>(features.data() + i * d, d));
    const model::WorkloadTraits traits = model::TraitsOf(records[i]);
    cores.AppendDouble(traits.cpu_cores);
    gpus.AppendDouble(traits.gpus);
    family.AppendString(traits.family);
  }
  return table;
}

size_t TransformFiles(const TransformOptions& options) {
  Encoder encoder = Encoder::Load(options.encoder);
  if (!options.sbert_model.empty()) {
    encoder.AttachTextEmbedder(
        MakeSentenceEmbedder(options.sbert_model, options.embedding_cache));
  }
  io::NdjsonReadOptions read;
  read.skip_invalid = options.skip_invalid;
  auto records = io::ReadInferenceRequests(options.input, read).records;
  io::Table table = FeaturesTable(records, encoder);
  encoder.FlushTextCache();
  io::WriteParquet(table, options.out);
  return table.rows();
}

}  // namespace podpower::encode
