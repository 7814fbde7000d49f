// KnnModel::Save / Load: the model artifact (docs/formats/model.md).
//
// Layout: "PODPKNN\n" | u32 version | u32 header length H | H bytes of JSON
// (space-padded to a multiple of 8) | arrays at the offsets the header lists |
// 32-byte sha256 of everything before.
#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/sha256.h"
#include "io/version.h"
#include "model/knn.h"

namespace podpower::model {
namespace {

static_assert(std::endian::native == std::endian::little,
              "artifact arrays are little-endian");

constexpr char kMagic[8] = {'P', 'O', 'D', 'P', 'K', 'N', 'N', '\n'};
// Version 2 added per-row traits, the default model's ensemble and the
// multiplicative interval; version 1 files still load and predict as before.
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestVersion = 1;
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
  // Which build wrote the file (provenance only: Load ignores these keys, so
  // files without them, and v1 files, load as before).
  header["created_by"] = std::string("podpower ") + Version();
  header["podpower_version"] = Version();
  header["podpower_commit"] = Commit();
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
  const IntervalCalibration& iv = metadata_.interval;
  if (iv.enabled() && iv.method == IntervalMethod::kNeighbourSpread) {
    header["interval"] = {{"method", "conformal-neighbour-spread"},
                          {"level", iv.level},
                          {"scale", iv.scale},
                          {"floor", iv.floor}};
  } else if (iv.enabled()) {
    header["interval"] = {{"method", "conformal-log-ratio-by-kind"},
                          {"level", iv.level},
                          {"scale", iv.scale},
                          {"epsilon", iv.epsilon},
                          {"scale_by_kind", iv.scale_by_kind}};
    if (iv.new_family_scale.has_value()) {
      header["interval"]["new_family"] = {
          {"scale", *iv.new_family_scale},
          {"scale_by_kind", iv.new_family_scale_by_kind}};
    }
  }
  if (metadata_.ensemble.has_value()) {
    const Ensemble& e = *metadata_.ensemble;
    header["learner"] = "default";
    header["ensemble"] = {
        {"candidates",
         [] {
           std::vector<std::string> names;
           for (size_t c = 0; c < kCandidateCount; ++c)
             names.push_back(CandidateName(c));
           return names;
         }()},
        {"seen_weights", e.seen.w},
        {"unseen_weights", e.unseen.w},
        {"seen_rows", e.seen_rows},
        {"unseen_rows", e.unseen_rows},
        {"global_median", e.simple.global_median},
        {"family_median", e.simple.family_median},
        {"family_intensity", e.simple.family_intensity},
        {"family_idle", e.simple.family_idle},
        {"line", {e.simple.line_a, e.simple.line_b, e.simple.line_c}},
        {"idle", e.simple.idle}};
  } else {
    header["learner"] = "knn";
  }
  // Traits: cores and GPUs as arrays, families and kinds as indexes into
  // name lists in the header.
  std::vector<double> cores, gpus;
  std::vector<uint32_t> family_index, kind_index;
  if (!traits_.empty()) {
    std::map<std::string, uint32_t> families, kinds;
    for (const auto& t : traits_) {
      families.emplace(t.family, 0);
      kinds.emplace(t.kind, 0);
    }
    std::vector<std::string> family_names, kind_names;
    for (auto& [name, index] : families) {
      index = static_cast<uint32_t>(family_names.size());
      family_names.push_back(name);
    }
    for (auto& [name, index] : kinds) {
      index = static_cast<uint32_t>(kind_names.size());
      kind_names.push_back(name);
    }
    for (const auto& t : traits_) {
      cores.push_back(t.cpu_cores);
      gpus.push_back(t.gpus);
      family_index.push_back(families[t.family]);
      kind_index.push_back(kinds[t.kind]);
    }
    header["traits"] = {{"families", family_names}, {"kinds", kind_names}};
  }
  const size_t features_bytes = features_.size() * sizeof(float);
  const size_t labels_bytes = labels_.size() * sizeof(double);
  const size_t index_bytes = workload_index_.size() * sizeof(uint32_t);
  nlohmann::ordered_json arrays =
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
  size_t offset = features_bytes + labels_bytes + index_bytes;
  const auto add_array = [&](const char* name, const char* dtype,
                             size_t bytes) {
    arrays.push_back({{"name", name},
                      {"dtype", dtype},
                      {"shape", {n}},
                      {"offset", offset},
                      {"bytes", bytes}});
    offset += bytes;
  };
  if (!traits_.empty()) {
    add_array("cpu_cores", "<f8", n * sizeof(double));
    add_array("gpus", "<f8", n * sizeof(double));
    add_array("family_index", "<u4", n * sizeof(uint32_t));
    add_array("kind_index", "<u4", n * sizeof(uint32_t));
  }
  header["arrays"] = std::move(arrays);
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string bytes(kMagic, sizeof(kMagic));
  AppendU32(&bytes, kVersion);
  AppendU32(&bytes, static_cast<uint32_t>(json.size()));
  bytes += json;
  AppendArray(&bytes, features_);
  AppendArray(&bytes, labels_);
  AppendArray(&bytes, workload_index_);
  AppendArray(&bytes, cores);
  AppendArray(&bytes, gpus);
  AppendArray(&bytes, family_index);
  AppendArray(&bytes, kind_index);
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
  if (version < kOldestVersion || version > kVersion) {
    throw Error(path + ": model format version " + std::to_string(version) +
                ", this podpower reads versions " +
                std::to_string(kOldestVersion) + " to " +
                std::to_string(kVersion));
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
      IntervalCalibration& c = model.metadata_.interval;
      c.level = interval.at("level").get<double>();
      c.scale = interval.at("scale").get<double>();
      const std::string method =
          interval.value("method", std::string("conformal-neighbour-spread"));
      if (method == "conformal-log-ratio-by-kind") {
        c.method = IntervalMethod::kLogRatioByKind;
        c.epsilon = interval.at("epsilon").get<double>();
        c.scale_by_kind =
            interval.at("scale_by_kind").get<std::map<std::string, double>>();
        if (interval.contains("new_family")) {  // optional: absent before
          const auto& n = interval.at("new_family");
          c.new_family_scale = n.at("scale").get<double>();
          c.new_family_scale_by_kind =
              n.at("scale_by_kind").get<std::map<std::string, double>>();
          if (!(*c.new_family_scale >= 0))
            throw Error(path +
                        ": header field 'interval.new_family.scale' "
                        "out of range");
        }
        for (const auto* by_kind :
             {&c.scale_by_kind, &c.new_family_scale_by_kind}) {
          for (const auto& [kind, q] : *by_kind) {
            if (!(q >= 0))
              throw Error(path + ": interval scale of '" + kind +
                          "' out of range");
          }
        }
      } else if (method == "conformal-neighbour-spread") {
        c.floor = interval.at("floor").get<double>();
      } else {
        throw Error(path + ": header field 'interval.method': unknown '" +
                    method + "'");
      }
      if (!(c.level > 0 && c.level < 1) || !(c.scale >= 0) || !(c.floor >= 0) ||
          !(c.epsilon >= 0)) {
        throw Error(path + ": header field 'interval' out of range");
      }
    }
    if (header.contains("ensemble")) {
      const auto& e = header.at("ensemble");
      Ensemble ensemble;
      const auto weights = [&](const char* name) {
        BlendWeights w;
        w.w = e.at(name).get<CandidateValues>();
        for (double v : w.w) {
          if (!(v >= 0 && v <= 1))
            throw Error(path + ": ensemble field '" + name + "' out of range");
        }
        return w;
      };
      ensemble.seen = weights("seen_weights");
      ensemble.unseen = weights("unseen_weights");
      ensemble.seen_rows = e.at("seen_rows").get<size_t>();
      ensemble.unseen_rows = e.at("unseen_rows").get<size_t>();
      ensemble.simple.global_median = e.at("global_median").get<double>();
      ensemble.simple.family_median =
          e.at("family_median").get<std::map<std::string, double>>();
      ensemble.simple.family_intensity =
          e.at("family_intensity").get<std::map<std::string, double>>();
      ensemble.simple.family_idle =
          e.at("family_idle").get<std::map<std::string, double>>();
      const auto line = e.at("line").get<std::array<double, 3>>();
      ensemble.simple.line_a = line[0];
      ensemble.simple.line_b = line[1];
      ensemble.simple.line_c = line[2];
      ensemble.simple.idle = e.at("idle").get<double>();
      model.metadata_.ensemble = ensemble;
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
    if (header.contains("traits")) {
      const auto families =
          header.at("traits").at("families").get<std::vector<std::string>>();
      const auto kinds =
          header.at("traits").at("kinds").get<std::vector<std::string>>();
      std::vector<double> cores(n), gpus(n);
      std::vector<uint32_t> family_index(n), kind_index(n);
      read_array("cpu_cores", sizeof(double), n, cores.data());
      read_array("gpus", sizeof(double), n, gpus.data());
      read_array("family_index", sizeof(uint32_t), n, family_index.data());
      read_array("kind_index", sizeof(uint32_t), n, kind_index.data());
      model.traits_.resize(n);
      for (size_t i = 0; i < n; ++i) {
        if (family_index[i] >= families.size() ||
            kind_index[i] >= kinds.size() || !(cores[i] >= 0) ||
            !(gpus[i] >= 0)) {
          throw Error(path + ": traits of row " + std::to_string(i) +
                      " out of range");
        }
        model.traits_[i] = {cores[i], gpus[i], families[family_index[i]],
                            kinds[kind_index[i]]};
      }
    }
    if (model.metadata_.ensemble.has_value() && model.traits_.empty())
      throw Error(path +
                  ": the ensemble needs per-row traits (arrays missing)");
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": model header: " + e.what());
  }
  model.Prepare();
  return model;
}

}  // namespace podpower::model
