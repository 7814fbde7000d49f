#include "predict/workload_input.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "collect/manifest.h"
#include "io/error.h"

namespace podpower::predict {
namespace {

bool LooksLikeNdjson(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos) continue;
    if (line[start] != '{') return false;
    // A one-line JSON manifest has "kind"; a record has "schema_version".
    auto object =
        nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded())
      return true;  // let the NDJSON reader name the bad line
    return object.is_object() && object.contains("schema_version");
  }
  return false;
}

}  // namespace

std::vector<io::InferenceRequest> WorkloadsFromText(const std::string& text,
                                                    const std::string& source,
                                                    bool skip_invalid) {
  if (LooksLikeNdjson(text)) {
    std::istringstream in(text);
    return io::ReadInferenceRequests(in, source, {.skip_invalid = skip_invalid})
        .records;
  }
  auto records = collect::RecordsFromManifest(text, source,
                                              {.skip_unknown = skip_invalid});
  if (records.empty())
    throw Error(source +
                ": no workloads (expected NDJSON records or manifests)");
  return records;
}

std::vector<io::InferenceRequest> ReadWorkloads(const std::string& path,
                                                bool skip_invalid) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
    return WorkloadsFromText(text, "<stdin>", skip_invalid);
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open: " + std::strerror(errno));
  text.assign(std::istreambuf_iterator<char>(file), {});
  return WorkloadsFromText(text, path, skip_invalid);
}

}  // namespace podpower::predict
