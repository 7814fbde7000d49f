// KnnModel::Save / Load: the model artifact (docs/formats/model.md).
//
// Layout: "PODPKNN\n" | u32 version | u32 header length H | H bytes of JSON
// (space-padded to a multiple of 8) | arrays at the offsets the header lists |
// 32-byte sha256 of everything before.
#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/sha256.h"
#include "model/knn.h"

namespace podpower::model {
namespace {

static_assert(std::endian::native == std::endian::little,
              "artifact arrays are little-endian");

constexpr char kMagic[8] = {'P', 'O', 'D', 'P', 'K', 'N', 'N', '\n'};
constexpr uint32_t kVersion = 1;
constexpr size_t kPrefix = 16;  // magic + version + header length
constexpr size_t kDigest = 32;

void AppendU32(std::string* out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out->append(b, 4);
}

uint32_t ReadU32(const std::string& in, size_t at) {
  uint32_t v;
  std::memcpy(&v, in.data() + at, 4);
  return v;
}

template <typename T>
void AppendArray(std::string* out, const std::vector<T>& v) {
  out->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

void KnnModel::Save(const std::string& path) const {
  const size_t n = rows();
  nlohmann::ordered_json header;
  header["format"] = "podpower-knn";
  header["format_version"] = kVersion;
  header["created_by"] = "podpower 0.1.0";
  header["target"] = metadata_.target;
  header["k"] = options_.k;
  header["metric"] = MetricName(options_.metric);
  header["weights"] = WeightsName(options_.weights);
  header["tie_rule"] = "share-kth";
  header["aggregated"] = metadata_.aggregated;
  header["encoder_fingerprint"] = metadata_.encoder_fingerprint;
  header["source"] = metadata_.source;
  header["rows"] = n;
  header["dim"] = dim_;
  header["workloads"] = workload_names_;
  if (metadata_.interval.enabled()) {
    header["interval"] = {{"method", "conformal-neighbour-spread"},
                          {"level", metadata_.interval.level},
                          {"scale", metadata_.interval.scale},
                          {"floor", metadata_.interval.floor}};
  }
  const size_t features_bytes = features_.size() * sizeof(float);
  const size_t labels_bytes = labels_.size() * sizeof(double);
  const size_t index_bytes = workload_index_.size() * sizeof(uint32_t);
  header["arrays"] =
      nlohmann::ordered_json::array({{{"name", "features"},
                                      {"dtype", "<f4"},
                                      {"shape", {n, dim_}},
                                      {"offset", 0},
                                      {"bytes", features_bytes}},
                                     {{"name", "labels"},
                                      {"dtype", "<f8"},
                                      {"shape", {n}},
                                      {"offset", features_bytes},
                                      {"bytes", labels_bytes}},
                                     {{"name", "workload_index"},
                                      {"dtype", "<u4"},
                                      {"shape", {n}},
                                      {"offset", features_bytes + labels_bytes},
                                      {"bytes", index_bytes}}});
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string bytes(kMagic, sizeof(kMagic));
  AppendU32(&bytes, kVersion);
  AppendU32(&bytes, static_cast<uint32_t>(json.size()));
  bytes += json;
  AppendArray(&bytes, features_);
  AppendArray(&bytes, labels_);
  AppendArray(&bytes, workload_index_);
  const auto digest = io::Sha256(bytes);
  bytes.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  io::AtomicFile file(path);
  file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.Commit();
}

KnnModel KnnModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open model artifact");
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (bytes.size() < kPrefix + kDigest ||
      std::memcmp(bytes.data(), kMagic, 8) != 0) {
    throw Error(
        path +
        ": not a podpower KNN model (bad magic; expected a file written by "
        "`podpower train`)");
  }
  const uint32_t version = ReadU32(bytes, 8);
  if (version != kVersion) {
    throw Error(path + ": model format version " + std::to_string(version) +
                ", this podpower reads version " + std::to_string(kVersion));
  }
  const std::string_view body(bytes.data(), bytes.size() - kDigest);
  const auto digest = io::Sha256(body);
  if (std::memcmp(digest.data(), bytes.data() + body.size(), kDigest) != 0) {
    throw Error(path +
                ": model checksum mismatch (file is corrupt or truncated)");
  }
  const uint32_t header_size = ReadU32(bytes, 12);
  if (kPrefix + header_size > body.size())
    throw Error(path + ": header length out of range");
  KnnModel model;
  try {
    const auto header =
        nlohmann::json::parse(body.substr(kPrefix, header_size));
    if (header.at("format").get<std::string>() != "podpower-knn") {
      throw Error(path + ": header field 'format': expected podpower-knn");
    }
    model.options_.k = header.at("k").get<int>();
    model.options_.metric =
        ParseMetric(header.at("metric").get<std::string>(), "metric");
    model.options_.weights =
        ParseWeights(header.at("weights").get<std::string>(), "weights");
    model.metadata_.target = header.at("target").get<std::string>();
    model.metadata_.aggregated = header.at("aggregated").get<bool>();
    model.metadata_.encoder_fingerprint =
        header.at("encoder_fingerprint").get<std::string>();
    model.metadata_.source = header.at("source").get<std::string>();
    model.dim_ = header.at("dim").get<size_t>();
    if (header.contains("interval")) {  // optional: absent in older models
      const auto& interval = header.at("interval");
      model.metadata_.interval.level = interval.at("level").get<double>();
      model.metadata_.interval.scale = interval.at("scale").get<double>();
      model.metadata_.interval.floor = interval.at("floor").get<double>();
      if (!(model.metadata_.interval.level > 0 &&
            model.metadata_.interval.level < 1) ||
          !(model.metadata_.interval.scale >= 0) ||
          !(model.metadata_.interval.floor >= 0)) {
        throw Error(path + ": header field 'interval' out of range");
      }
    }
    model.workload_names_ =
        header.at("workloads").get<std::vector<std::string>>();
    const size_t n = header.at("rows").get<size_t>();
    const size_t data = kPrefix + header_size;
    const auto read_array = [&](const char* name, size_t elem, size_t count,
                                void* dst) {
      for (const auto& a : header.at("arrays")) {
        if (a.at("name").get<std::string>() != name) continue;
        const size_t offset = a.at("offset").get<size_t>();
        const size_t size = a.at("bytes").get<size_t>();
        if (size != elem * count || data + offset + size > body.size()) {
          throw Error(path + ": array '" + name + "' has the wrong size");
        }
        std::memcpy(dst, body.data() + data + offset, size);
        return;
      }
      throw Error(path + ": array '" + std::string(name) + "' missing");
    };
    if (n == 0 || model.dim_ == 0 || model.options_.k < 1) {
      throw Error(path + ": header says rows=0, dim=0 or k<1");
    }
    model.features_.resize(n * model.dim_);
    model.labels_.resize(n);
    model.workload_index_.resize(n);
    read_array("features", sizeof(float), n * model.dim_,
               model.features_.data());
    read_array("labels", sizeof(double), n, model.labels_.data());
    read_array("workload_index", sizeof(uint32_t), n,
               model.workload_index_.data());
    for (uint32_t w : model.workload_index_) {
      if (w >= model.workload_names_.size())
        throw Error(path + ": workload index out of range");
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": model header: " + e.what());
  }
  model.Prepare();
  return model;
}

}  // namespace podpower::model
