#include "io/inference_request.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/python_json.h"
#include "io/sha256.h"

namespace podpower::io {
namespace {

using Json = nlohmann::ordered_json;

std::string TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "unknown";
  }
}

[[noreturn]] void Fail(const std::string& where, const std::string& field,
                       const std::string& expected, const Json& got) {
  throw Error(where + ": field '" + field + "': expected " + expected +
              ", got " + TypeName(got));
}

// Python's str() of a JSON scalar, which is what the original's f-strings and "
// ".join produce.
std::string PythonStr(const Json& v, const std::string& where,
                      const std::string& field) {
  switch (v.type()) {
    case Json::value_t::string:
      return v.get<std::string>();
    case Json::value_t::null:
      return "None";
    case Json::value_t::boolean:
      return v.get<bool>() ? "True" : "False";
    case Json::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case Json::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case Json::value_t::number_float: {
      std::string r = PythonFloatRepr(v.get<double>());
      if (r == "Infinity") return "inf";
      if (r == "-Infinity") return "-inf";
      if (r == "NaN") return "nan";
      return r;
    }
    default:
      Fail(where, field, "string", v);
  }
}

std::string GetString(const Json& obj, const char* key,
                      const std::string& where,
                      const std::string& prefix = "") {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (!it->is_string()) Fail(where, prefix + key, "string", *it);
  return it->get<std::string>();
}

std::optional<std::string> GetOptString(const Json& obj, const char* key,
                                        const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) Fail(where, key, "string or null", *it);
  return it->get<std::string>();
}

std::optional<int64_t> GetOptInt(const Json& obj, const char* key,
                                 const std::string& where,
                                 const std::string& prefix = "") {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() &&
        it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      Fail(where, prefix + key, "integer within int64", *it);
    }
    return it->get<int64_t>();
  }
  Fail(where, prefix + key, "integer or null", *it);
}

// Resources and counts: Kubernetes refuses negative requests, limits and
// counts, so a negative one comes from a broken or hostile producer.
std::optional<int64_t> GetOptCount(const Json& obj, const char* key,
                                   const std::string& where,
                                   const std::string& prefix = "") {
  const std::optional<int64_t> v = GetOptInt(obj, key, where, prefix);
  if (v && *v < 0) {
    Fail(where, prefix + key, "non-negative integer or null", *obj.find(key));
  }
  return v;
}

std::map<std::string, std::string> GetStringMap(const Json& obj,
                                                const char* key,
                                                const std::string& where) {
  std::map<std::string, std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object()) Fail(where, key, "object", *it);
  for (auto e = it->begin(); e != it->end(); ++e) {
    out[e.key()] =
        PythonStr(e.value(), where, std::string(key) + "." + e.key());
  }
  return out;
}

// command/args: a list (elements as Python str), a bare string (kept whole) or
// null.
std::optional<std::vector<std::string>> GetWords(const Json& obj,
                                                 const char* key,
                                                 const std::string& where,
                                                 const std::string& prefix) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
  if (!it->is_array())
    Fail(where, prefix + key, "array of strings or null", *it);
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    out.push_back(PythonStr((*it)[i], where,
                            prefix + key + "[" + std::to_string(i) + "]"));
  }
  return out;
}

std::string StripJsonPrefix(const std::string& what) {
  // nlohmann prefixes "[json.exception.parse_error.101] "; users need only the
  // reason.
  if (!what.empty() && what.front() == '[') {
    auto close = what.find("] ");
    if (close != std::string::npos) return what.substr(close + 2);
  }
  return what;
}

}  // namespace

namespace {

// The typed view only; callers set raw (by copy or by move).
InferenceRequest ParseTyped(const Json& object, const std::string& where) {
  if (!object.is_object()) {
    throw Error(where + ": expected a JSON object (InferenceRequest v1), got " +
                TypeName(object));
  }
  InferenceRequest r;
  if (auto it = object.find("schema_version");
      it != object.end() && !it->is_null()) {
    if (!it->is_string() || it->get<std::string>() != "v1") {
      throw Error(where + ": field 'schema_version': expected \"v1\", got " +
                  (it->is_string() ? "\"" + it->get<std::string>() + "\""
                                   : TypeName(*it)));
    }
  }
  r.namespace_ = GetString(object, "namespace", where);
  r.workload_kind = GetString(object, "workload_kind", where);
  r.workload_name = GetString(object, "workload_name", where);
  r.labels = GetStringMap(object, "labels", where);
  r.annotations = GetStringMap(object, "annotations", where);
  if (auto it = object.find("containers");
      it != object.end() && !it->is_null()) {
    if (!it->is_array()) Fail(where, "containers", "array", *it);
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& c = (*it)[i];
      std::string prefix = "containers[" + std::to_string(i) + "].";
      if (!c.is_object())
        Fail(where, "containers[" + std::to_string(i) + "]", "object", c);
      Container out;
      out.name = GetString(c, "name", where, prefix);
      out.image = GetString(c, "image", where, prefix);
      out.command = GetWords(c, "command", where, prefix);
      out.args = GetWords(c, "args", where, prefix);
      out.req_cpu_mcpu = GetOptCount(c, "req_cpu_mcpu", where, prefix);
      out.req_mem_mib = GetOptCount(c, "req_mem_mib", where, prefix);
      out.lim_cpu_mcpu = GetOptCount(c, "lim_cpu_mcpu", where, prefix);
      out.lim_mem_mib = GetOptCount(c, "lim_mem_mib", where, prefix);
      r.containers.push_back(std::move(out));
    }
  }
  r.init_container_count =
      GetOptCount(object, "init_container_count", where).value_or(0);
  r.sidecar_count = GetOptCount(object, "sidecar_count", where).value_or(0);
  if (auto it = object.find("volume_types");
      it != object.end() && !it->is_null()) {
    if (!it->is_array()) Fail(where, "volume_types", "array of strings", *it);
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        Fail(where, "volume_types[" + std::to_string(i) + "]", "string",
             (*it)[i]);
      }
      r.volume_types.push_back((*it)[i].get<std::string>());
    }
  }
  r.node_type = GetOptString(object, "node_type", where);
  r.runtime_class = GetOptString(object, "runtime_class", where);
  r.gpu_count = GetOptCount(object, "gpu_count", where).value_or(0);
  r.parallelism = GetOptCount(object, "parallelism", where);
  r.completions = GetOptCount(object, "completions", where);
  return r;
}

}  // namespace

InferenceRequest ParseInferenceRequest(const Json& object,
                                       const std::string& where) {
  InferenceRequest r = ParseTyped(object, where);
  r.raw = object;
  return r;
}

Json ToJson(const InferenceRequest& record) {
  auto opt_int = [](const std::optional<int64_t>& v) {
    return v ? Json(*v) : Json(nullptr);
  };
  auto opt_str = [](const std::optional<std::string>& v) {
    return v ? Json(*v) : Json(nullptr);
  };
  auto opt_words = [](const std::optional<std::vector<std::string>>& v) {
    return v ? Json(*v) : Json(nullptr);
  };
  Json j = Json::object();
  j["schema_version"] = record.schema_version;
  j["namespace"] = record.namespace_;
  j["workload_kind"] = record.workload_kind;
  j["workload_name"] = record.workload_name;
  j["labels"] = Json::object();
  for (const auto& [k, v] : record.labels) j["labels"][k] = v;
  j["annotations"] = Json::object();
  for (const auto& [k, v] : record.annotations) j["annotations"][k] = v;
  j["containers"] = Json::array();
  for (const auto& c : record.containers) {
    Json cj = Json::object();
    cj["name"] = c.name;
    cj["image"] = c.image;
    cj["command"] = opt_words(c.command);
    cj["args"] = opt_words(c.args);
    cj["req_cpu_mcpu"] = opt_int(c.req_cpu_mcpu);
    cj["req_mem_mib"] = opt_int(c.req_mem_mib);
    cj["lim_cpu_mcpu"] = opt_int(c.lim_cpu_mcpu);
    cj["lim_mem_mib"] = opt_int(c.lim_mem_mib);
    j["containers"].push_back(std::move(cj));
  }
  j["init_container_count"] = record.init_container_count;
  j["sidecar_count"] = record.sidecar_count;
  j["volume_types"] = record.volume_types;
  j["node_type"] = opt_str(record.node_type);
  j["runtime_class"] = opt_str(record.runtime_class);
  j["gpu_count"] = record.gpu_count;
  j["parallelism"] = opt_int(record.parallelism);
  j["completions"] = opt_int(record.completions);
  return j;
}

std::string SpecHash(const InferenceRequest& record) {
  const nlohmann::ordered_json& object =
      record.raw.is_null() ? ToJson(record) : record.raw;
  // The live collector's observation fields would give the same spec a new
  // hash on every sighting; the original's records never carry them, so
  // leaving them out keeps its hashes unchanged.
  bool observed = false;
  for (const char* key : kObservationFields) observed |= object.contains(key);
  if (!observed) return Sha256Hex(PythonJsonDumps(object, true)).substr(0, 16);
  nlohmann::ordered_json spec = object;
  for (const char* key : kObservationFields) spec.erase(key);
  return Sha256Hex(PythonJsonDumps(spec, true)).substr(0, 16);
}

NdjsonReadResult ReadInferenceRequests(const std::string& path,
                                       const NdjsonReadOptions& options) {
  if (path == "-") return ReadInferenceRequests(std::cin, "<stdin>", options);
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open: " + std::strerror(errno));
  return ReadInferenceRequests(file, path, options);
}

NdjsonReadResult ReadInferenceRequests(std::istream& input,
                                       const std::string& name,
                                       const NdjsonReadOptions& options) {
  std::istream* in = &input;
  NdjsonReadResult result;
  std::string line;
  size_t line_no = 0;
  while (std::getline(*in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = name + ":" + std::to_string(line_no);
    try {
      Json object;
      try {
        object = Json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        // parse_error, and out_of_range for a number no double holds (1e400).
        throw Error(where + ": " + StripJsonPrefix(e.what()));
      }
      InferenceRequest record = ParseTyped(object, where);
      record.raw = std::move(object);
      result.records.push_back(std::move(record));
    } catch (const Error& e) {
      if (!options.skip_invalid) throw;
      ++result.skipped;
      std::cerr << "podpower: warning: " << e.what() << " (record skipped)\n";
    }
  }
  if (in->bad()) throw Error(name + ": read error");
  if (result.records.empty()) {
    throw Error(name + (result.skipped
                            ? ": no valid records (" +
                                  std::to_string(result.skipped) + " skipped)"
                            : ": no records"));
  }
  return result;
}

std::string FormatInferenceRequests(
    const std::vector<InferenceRequest>& records) {
  std::string out;
  for (const auto& r : records) {
    out += (r.raw.is_null() ? ToJson(r) : r.raw).dump(-1, ' ', false);
    out += '\n';
  }
  return out;
}

void WriteInferenceRequests(const std::vector<InferenceRequest>& records,
                            const std::string& path) {
  WriteTextFile(path, FormatInferenceRequests(records));
}

}  // namespace podpower::io
