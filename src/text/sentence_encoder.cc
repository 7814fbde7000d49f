#include "text/sentence_encoder.h"

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>
#include <unordered_map>

#include "io/error.h"
#include "io/progress.h"

namespace podpower::text {
namespace {

// Python's str.lower() (full, context-sensitive lower case), for
// sentence_bert_config's do_lower_case.
std::string PythonLower(const std::string& text) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
  u.toLower(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

}  // namespace

std::unique_ptr<SentenceEncoder> SentenceEncoder::Load(
    const std::string& folder, int threads) {
  SentenceEncoderOptions options;
  options.threads = threads;
  return Load(folder, options);
}

std::unique_ptr<SentenceEncoder> SentenceEncoder::Load(
    const std::string& folder, const SentenceEncoderOptions& options) {
  std::unique_ptr<SentenceEncoder> enc(new SentenceEncoder());
  enc->folder_ = ReadModelFolder(folder);
  enc->tokenizer_ =
      WordPieceTokenizer::FromFolder(enc->folder_.transformer_dir);
  if (enc->tokenizer_.cls_id() >= enc->folder_.bert.vocab_size ||
      enc->tokenizer_.sep_id() >= enc->folder_.bert.vocab_size)
    throw Error(enc->folder_.transformer_dir +
                ": tokenizer ids exceed config.json vocab_size " +
                std::to_string(enc->folder_.bert.vocab_size));
  auto weights = SafetensorsFile::Open(enc->folder_.weights_path);
  enc->model_ = BertModel::Load(*weights, enc->folder_.bert);
  enc->fingerprint_ = weights->Sha256Hex();
  enc->options_ = options;
  if (enc->options_.threads <= 0)
    enc->options_.threads = std::max(1u, std::thread::hardware_concurrency());
  if (enc->options_.batch_size <= 0) enc->options_.batch_size = 32;
  return enc;
}

std::vector<int32_t> SentenceEncoder::Tokenize(const std::string& text) const {
  const std::string& input = folder_.lowercase_input ? PythonLower(text) : text;
  auto ids =
      tokenizer_.Encode(input, static_cast<size_t>(folder_.max_seq_length));
  for (int32_t& id : ids)
    if (id >= folder_.bert.vocab_size) id = tokenizer_.unk_id();
  return ids;
}

std::vector<std::vector<float>> SentenceEncoder::Embed(
    const std::vector<std::string>& texts) const {
  // Distinct texts only; `slot[i]` is where text i's vector is computed.
  std::unordered_map<std::string_view, size_t> seen;
  std::vector<size_t> slot(texts.size());
  std::vector<size_t> unique;  // index into texts
  for (size_t i = 0; i < texts.size(); ++i) {
    auto [it, inserted] = seen.emplace(texts[i], unique.size());
    if (inserted) unique.push_back(i);
    slot[i] = it->second;
  }
  std::vector<std::vector<int32_t>> ids(unique.size());
  for (size_t u = 0; u < unique.size(); ++u)
    ids[u] = Tokenize(texts[unique[u]]);

  // Longest first, like sentence-transformers, so each batch holds similar
  // lengths.
  std::vector<size_t> order(unique.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return ids[a].size() > ids[b].size();
  });
  // Few texts: smaller batches so every worker gets one (latency over a little
  // sgemm efficiency).
  const size_t threads = static_cast<size_t>(options_.threads);
  const size_t batch =
      std::max<size_t>(1, std::min(static_cast<size_t>(options_.batch_size),
                                   (order.size() + threads - 1) / threads));
  const size_t batches = (order.size() + batch - 1) / batch;

  std::vector<std::vector<float>> vectors(unique.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr failure;
  io::Progress progress("embedding texts",
                        texts.size() >= 256 ? order.size() : 0);
  auto work = [&] {
    for (size_t b; (b = next.fetch_add(1)) < batches;) {
      try {
        const size_t begin = b * batch,
                     end = std::min(order.size(), begin + batch);
        std::vector<std::vector<int32_t>> seqs;
        for (size_t k = begin; k < end; ++k) seqs.push_back(ids[order[k]]);
        auto out = model_->Embed(seqs, folder_.pooling, folder_.normalize);
        std::lock_guard<std::mutex> lock(mu);
        for (size_t k = begin; k < end; ++k)
          vectors[order[k]] = std::move(out[k - begin]);
        if (texts.size() >= 256) progress.Advance(end - begin);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::current_exception();
        next = batches;
      }
    }
  };
  const size_t workers =
      std::min<size_t>(static_cast<size_t>(options_.threads), batches);
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);

  std::vector<std::vector<float>> result(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) result[i] = vectors[slot[i]];
  return result;
}

}  // namespace podpower::text
