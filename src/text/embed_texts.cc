#include "text/embed_texts.h"

#include <charconv>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/error.h"

namespace podpower::text {
namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file)
      throw Error(
          path +
          ": cannot read input (expected a file with one text per line)");
    in = &file;
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(*in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

void AppendVector(const std::vector<float>& v, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out->push_back(',');
    out->append(ShortestFloat(v[i]));
  }
  out->push_back(']');
}

}  // namespace

std::string ShortestFloat(float value) {
  if (!std::isfinite(value))
    return "null";  // JSON has no NaN/inf; never produced by the model
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, res.ptr);
}

std::string FormatEmbeddings(const SentenceEncoder& encoder,
                             const std::vector<std::string>& texts,
                             const std::vector<std::vector<float>>& vectors,
                             const std::string& format) {
  std::string out;
  auto text_json = [](const std::string& t) {
    return nlohmann::json(t).dump(-1, ' ', false,
                                  nlohmann::json::error_handler_t::replace);
  };
  if (format == "ndjson") {
    for (size_t i = 0; i < texts.size(); ++i) {
      out += "{\"text\":" + text_json(texts[i]) + ",\"embedding\":";
      AppendVector(vectors[i], &out);
      out += "}\n";
    }
  } else if (format == "json") {
    out += "{\"model\":" + text_json(encoder.name()) + ",\"fingerprint\":\"" +
           encoder.fingerprint() +
           "\",\"dim\":" + std::to_string(encoder.dim()) + ",\"embeddings\":[";
    for (size_t i = 0; i < texts.size(); ++i) {
      out += i ? ",\n" : "\n";
      out += "{\"text\":" + text_json(texts[i]) + ",\"embedding\":";
      AppendVector(vectors[i], &out);
      out += "}";
    }
    out += "\n]}\n";
  } else {
    throw Error("--format: expected ndjson or json, got '" + format + "'");
  }
  return out;
}

void EmbedTexts(const EmbedTextsOptions& options) {
  if (options.format != "ndjson" && options.format != "json")
    throw Error("--format: expected ndjson or json, got '" + options.format +
                "'");
  if (!options.texts.empty() && !options.input.empty())
    throw Error("give texts as arguments or --input FILE, not both");
  if (options.texts.empty() && options.input.empty())
    throw Error(
        "no texts: give them as arguments or with --input FILE (one per line)");
  std::vector<std::string> texts =
      options.input.empty() ? options.texts : ReadLines(options.input);
  auto encoder = SentenceEncoder::Load(options.model, options.threads);
  auto vectors = encoder->Embed(texts);
  io::WriteTextFile(options.output,
                    FormatEmbeddings(*encoder, texts, vectors, options.format));
}

}  // namespace podpower::text
