#include "collect/manifest.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "io/atomic_file.h"
#include "io/error.h"
#include "kube/quantity.h"
#include "kube/yaml_limits.h"

namespace podpower::collect {
namespace {

using Json = nlohmann::json;

constexpr std::array<std::string_view, 7> kWorkloadKinds = {
    "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
    "Job",        "CronJob",     "Pod"};

// The original's volume source order: a volume's type is the first of these it
// has.
constexpr std::array<const char*, 9> kVolumeTypes = {
    "emptyDir",  "hostPath", "persistentVolumeClaim",
    "configMap", "secret",   "downwardAPI",
    "projected", "nfs",      "ephemeral"};

std::string TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "list";
    case Json::value_t::object:
      return "mapping";
    default:
      return "unknown";
  }
}

// A JSON value with the path that led to it, for error messages that name the
// field.
class Field {
 public:
  Field(const Json* value, std::string path, const std::string& where)
      : value_(value), path_(std::move(path)), where_(&where) {}

  bool present() const { return value_ != nullptr && !value_->is_null(); }
  const Json& json() const { return *value_; }
  const std::string& path() const { return path_; }

  Field operator[](const char* key) const {
    std::string path = path_.empty() ? key : path_ + "." + key;
    if (!present()) return {nullptr, path, *where_};
    if (!value_->is_object()) Fail("mapping");
    auto it = value_->find(key);
    return {it == value_->end() ? nullptr : &*it, path, *where_};
  }
  Field operator[](size_t i) const {
    return {&(*value_)[i], path_ + "[" + std::to_string(i) + "]", *where_};
  }

  [[noreturn]] void Fail(const std::string& expected) const {
    throw Error(*where_ + ": field '" + path_ + "': expected " + expected +
                ", got " + (value_ ? TypeName(*value_) : "nothing"));
  }
  [[noreturn]] void FailWith(const std::string& message) const {
    throw Error(*where_ + ": field '" + path_ + "': " + message);
  }

  // Absent → "".
  std::string String() const {
    if (!present()) return "";
    if (!value_->is_string()) Fail("string (quote it in YAML)");
    return value_->get<std::string>();
  }
  std::optional<std::string> OptString() const {
    if (!present()) return std::nullopt;
    return String();
  }
  std::optional<int64_t> OptInt() const {
    if (!present()) return std::nullopt;
    if (!value_->is_number_integer()) Fail("integer");
    return value_->get<int64_t>();
  }
  // Absent → empty list.
  size_t ListSize() const {
    if (!present()) return 0;
    if (!value_->is_array()) Fail("list");
    return value_->size();
  }
  void RequireMapping() const {
    if (!present() || !value_->is_object()) Fail("mapping");
  }
  std::map<std::string, std::string> StringMap() const {
    std::map<std::string, std::string> out;
    if (!present()) return out;
    if (!value_->is_object()) Fail("mapping of strings");
    for (auto it = value_->begin(); it != value_->end(); ++it) {
      Field value(&it.value(), path_ + "." + it.key(), *where_);
      out[it.key()] = value.String();
    }
    return out;
  }
  std::optional<std::vector<std::string>> OptStringList() const {
    if (!present()) return std::nullopt;
    if (!value_->is_array()) Fail("list of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < value_->size(); ++i)
      out.push_back((*this)[i].String());
    return out;
  }
  // A resource quantity: a string, or a bare number as the API server's JSON
  // decoder allows.
  std::optional<kube::Quantity> OptQuantity() const {
    if (!present()) return std::nullopt;
    std::string text;
    if (value_->is_string()) {
      text = value_->get<std::string>();
      // The API server's JSON decoder trims spaces around a quoted quantity.
      size_t b = text.find_first_not_of(' '), e = text.find_last_not_of(' ');
      text = b == std::string::npos ? "" : text.substr(b, e - b + 1);
    } else if (value_->is_number_integer()) {
      text = value_->dump();
    } else if (value_->is_number_float() &&
               std::isfinite(value_->get<double>())) {
      text = value_->dump();
    } else {
      Fail("quantity (string or number)");
    }
    std::string error;
    auto q = kube::Quantity::TryParse(text, &error);
    if (!q) FailWith("quantity \"" + text + "\": " + error);
    return q;
  }

 private:
  const Json* value_;
  std::string path_;
  const std::string* where_;
};

std::optional<int64_t> OptCpu(const Field& f) {
  auto q = f.OptQuantity();
  if (!q) return std::nullopt;
  return kube::MilliCpu(*q);
}

std::optional<int64_t> OptMemory(const Field& f) {
  auto q = f.OptQuantity();
  if (!q) return std::nullopt;
  return kube::MebibytesTruncated(*q);
}

// --- YAML → JSON, typing plain scalars as Kubernetes' YAML 1.1 reader does.
// ---

bool IsYamlFloat(std::string_view s) {
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

Json PlainScalar(const std::string& s) {
  static const std::array<std::string_view, 5> kNull = {"", "~", "null", "Null",
                                                        "NULL"};
  static const std::array<std::string_view, 11> kTrue = {
      "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::array<std::string_view, 11> kFalse = {
      "n",     "N",     "no",  "No",  "NO", "false",
      "False", "FALSE", "off", "Off", "OFF"};
  for (auto v : kNull) {
    if (s == v) return nullptr;
  }
  for (auto v : kTrue) {
    if (s == v) return true;
  }
  for (auto v : kFalse) {
    if (s == v) return false;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::nan("");
  for (std::string_view inf :
       {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
    if (s == inf) return HUGE_VAL;
  }
  for (std::string_view inf : {"-.inf", "-.Inf", "-.INF"}) {
    if (s == inf) return -HUGE_VAL;
  }
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  int64_t i = 0;
  auto [p, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), i);
  if (ec == std::errc() && p == digits.data() + digits.size() &&
      !digits.empty())
    return i;
  if (IsYamlFloat(s)) return std::strtod(s.c_str(), nullptr);
  return s;
}

// Whether `s` is UTF-8 as RFC 3629 defines it (no overlong forms, surrogates
// or code points above U+10FFFF): what nlohmann's dump() accepts.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;  // the second byte's range
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

// yaml-cpp passes any bytes through, but JSON strings (the records' NDJSON,
// the server's answers) must be UTF-8: refuse a scalar that is not, here,
// with its position, instead of failing later in dump() with no file or line
// (the API server refuses such manifests too).
const std::string& Utf8Scalar(const YAML::Node& node,
                              const std::string& source) {
  const std::string& s = node.Scalar();
  if (!IsUtf8(s)) {
    throw Error(source + ":" + std::to_string(node.Mark().line + 1) + ":" +
                std::to_string(node.Mark().column + 1) +
                ": invalid UTF-8 in a string");
  }
  return s;
}

Json YamlToJson(const YAML::Node& node, const std::string& source) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar: {
      Utf8Scalar(node, source);
      const std::string& tag = node.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str")
        return node.Scalar();  // quoted / !!str
      return PlainScalar(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item, source));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          throw Error(source + ":" + std::to_string(kv.first.Mark().line + 1) +
                      ": mapping key must be a scalar");
        }
        out[Utf8Scalar(kv.first, source)] = YamlToJson(kv.second, source);
      }
      return out;
    }
  }
  return nullptr;
}

std::string ReadAll(const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open: " + std::strerror(errno));
  ss << f.rdbuf();
  if (f.bad()) throw Error(path + ": read error");
  return ss.str();
}

std::string Describe(const Json& object) {
  std::string kind = "?", name = "?";
  if (object.is_object()) {
    if (auto k = object.find("kind"); k != object.end() && k->is_string())
      kind = *k;
    if (auto m = object.find("metadata"); m != object.end() && m->is_object()) {
      if (auto n = m->find("name"); n != m->end() && n->is_string()) name = *n;
    }
  }
  return kind + " " + name;
}

// Lists inside Lists are flattened, as kubectl does, down to this depth.
// Deeper nesting is refused: nothing writes it, and each level costs a stack
// frame and a longer message prefix (a 500 KB JSON text of 20,000 nested
// Lists took 20 s and 1.6 GB before overflowing the stack).
constexpr int kMaxListNesting = 32;

void Expand(const Json& object, const std::string& where,
            const ManifestObjectVisitor& visit, int lists = 0) {
  if (!object.is_object()) {
    throw Error(where +
                ": expected a Kubernetes object (a mapping with kind), got " +
                TypeName(object));
  }
  auto kind_it = object.find("kind");
  if (kind_it == object.end() || !kind_it->is_string()) {
    throw Error(where + ": field 'kind': expected string, got " +
                (kind_it == object.end() ? "nothing" : TypeName(*kind_it)));
  }
  const std::string kind = *kind_it;
  auto items = object.find("items");
  if ((kind == "List" || (kind.size() > 4 && kind.ends_with("List"))) &&
      items != object.end()) {
    if (!items->is_array())
      throw Error(where + ": field 'items': expected list");
    if (lists == kMaxListNesting) {
      throw Error(where + ": Lists nested deeper than " +
                  std::to_string(kMaxListNesting) + " levels; refused");
    }
    for (size_t i = 0; i < items->size(); ++i) {
      Expand((*items)[i],
             where + " item " + std::to_string(i) + " (" +
                 Describe((*items)[i]) + ")",
             visit, lists + 1);
    }
    return;
  }
  visit(object, where);
}

}  // namespace

bool IsWorkloadKind(std::string_view kind) {
  for (auto k : kWorkloadKinds) {
    if (k == kind) return true;
  }
  return false;
}

io::InferenceRequest RecordFromObject(const nlohmann::json& object,
                                      const std::string& where) {
  Field root(&object, "", where);
  if (!object.is_object()) root.Fail("Kubernetes object (mapping)");
  const std::string kind = root["kind"].String();
  if (!IsWorkloadKind(kind)) {
    throw Error(where + ": kind '" + kind +
                "' is not a workload kind (expected Deployment, StatefulSet, "
                "DaemonSet, "
                "ReplicaSet, Job, CronJob or Pod)");
  }
  io::InferenceRequest r;
  Field metadata = root["metadata"];
  metadata.RequireMapping();
  r.workload_kind = kind;
  r.workload_name = metadata["name"].String();
  if (r.workload_name.empty())
    r.workload_name = metadata["generateName"].String();
  if (r.workload_name.empty()) metadata["name"].Fail("non-empty string");
  r.namespace_ = metadata["namespace"].String();
  if (r.namespace_.empty())
    r.namespace_ = "default";  // as kubectl apply without -n

  Field pod_meta = root["spec"]["template"]["metadata"];
  Field pod_spec = root["spec"]["template"]["spec"];
  if (kind == "Pod") {
    pod_meta = metadata;
    pod_spec = root["spec"];
  } else if (kind == "CronJob") {
    Field job = root["spec"]["jobTemplate"]["spec"];
    pod_meta = job["template"]["metadata"];
    pod_spec = job["template"]["spec"];
    r.parallelism = job["parallelism"].OptInt();
    r.completions = job["completions"].OptInt();
  } else if (kind == "Job") {
    r.parallelism = root["spec"]["parallelism"].OptInt();
    r.completions = root["spec"]["completions"].OptInt();
  }
  pod_spec.RequireMapping();
  r.labels = pod_meta["labels"].StringMap();
  r.annotations = pod_meta["annotations"].StringMap();

  Field containers = pod_spec["containers"];
  for (size_t i = 0; i < containers.ListSize(); ++i) {
    Field c = containers[i];
    c.RequireMapping();
    io::Container out;
    out.name = c["name"].String();
    out.image = c["image"].String();
    out.command = c["command"].OptStringList();
    out.args = c["args"].OptStringList();
    Field requests = c["resources"]["requests"];
    Field limits = c["resources"]["limits"];
    out.req_cpu_mcpu = OptCpu(requests["cpu"]);
    out.req_mem_mib = OptMemory(requests["memory"]);
    out.lim_cpu_mcpu = OptCpu(limits["cpu"]);
    out.lim_mem_mib = OptMemory(limits["memory"]);
    if (limits.present()) {
      if (!limits.json().is_object()) limits.Fail("mapping");
      for (auto it = limits.json().begin(); it != limits.json().end(); ++it) {
        if (it.key().find("gpu") == std::string::npos) continue;
        auto q = limits[it.key().c_str()].OptQuantity();
        if (q) r.gpu_count += q->Value();
      }
    }
    r.containers.push_back(std::move(out));
  }
  r.init_container_count =
      static_cast<int64_t>(pod_spec["initContainers"].ListSize());
  r.sidecar_count = 0;  // the original never counts sidecars

  Field volumes = pod_spec["volumes"];
  for (size_t i = 0; i < volumes.ListSize(); ++i) {
    Field v = volumes[i];
    v.RequireMapping();
    std::string type = "other";
    for (const char* candidate : kVolumeTypes) {
      if (v[candidate].present()) {
        type = candidate;
        break;
      }
    }
    r.volume_types.push_back(type);
  }

  Field selector = pod_spec["nodeSelector"];
  r.node_type = selector["node.kubernetes.io/instance-type"].OptString();
  if (!r.node_type)
    r.node_type = selector["beta.kubernetes.io/instance-type"].OptString();
  r.runtime_class = pod_spec["runtimeClassName"].OptString();
  r.raw = io::ToJson(r);
  return r;
}

std::vector<nlohmann::json> ParseManifestDocuments(const std::string& text,
                                                   const std::string& source) {
  std::vector<Json> docs;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos &&
      (text[first] == '{' || text[first] == '[')) {
    // JSON: parse it as JSON so numbers and escapes are exact.
    try {
      Json doc = Json::parse(text);
      if (doc.is_array()) {
        for (auto& d : doc) docs.push_back(std::move(d));
      } else {
        docs.push_back(std::move(doc));
      }
      return docs;
    } catch (const nlohmann::json::parse_error&) {
      // Flow-style YAML also starts with { or [: let the YAML parser decide.
    } catch (const nlohmann::json::out_of_range& e) {
      // Valid JSON with a number no double holds (1e400): refused, not read
      // as infinity. nlohmann's message names the number.
      std::string reason = e.what();
      if (auto bracket = reason.find("] "); bracket != std::string::npos)
        reason.erase(0, bracket + 2);
      throw Error(source + ": " + reason);
    }
  }
  std::vector<YAML::Node> nodes;
  try {
    nodes = kube::LoadAllYaml(text);
  } catch (const YAML::Exception& e) {
    throw Error(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                std::to_string(e.mark.column + 1) +
                ": YAML syntax error: " + kube::YamlParseReason(e));
  }
  // Walk every document with its aliases followed, under one budget for the
  // whole text (many small bombs add up), before building anything: a refused
  // text costs the walk's bounded time and no memory, and YamlToJson below
  // then meets at most the limits' nodes, bytes and depth.
  kube::YamlBudget budget(text.size(), source);
  size_t document = 0;
  for (const auto& node : nodes) {
    if (!node.IsDefined() || node.IsNull()) continue;
    budget.SetDocument(++document);
    kube::CheckYamlBounds(node, budget);
  }
  for (const auto& node : nodes) {
    Json doc = YamlToJson(node, source);
    if (!doc.is_null()) docs.push_back(std::move(doc));
  }
  return docs;
}

void ForEachManifestObject(const std::string& text, const std::string& source,
                           const ManifestObjectVisitor& visit) {
  const auto docs = ParseManifestDocuments(text, source);
  for (size_t i = 0; i < docs.size(); ++i) {
    Expand(docs[i],
           source + ": document " + std::to_string(i + 1) + " (" +
               Describe(docs[i]) + ")",
           visit);
  }
}

std::vector<io::InferenceRequest> RecordsFromManifest(
    const std::string& text, const std::string& source,
    const ManifestOptions& options) {
  std::vector<io::InferenceRequest> out;
  ForEachManifestObject(
      text, source, [&](const Json& object, const std::string& where) {
        const auto& kind = object["kind"].get_ref<const std::string&>();
        if (!IsWorkloadKind(kind) && options.skip_unknown) {
          std::cerr << "podpower: warning: " << where << ": kind '" << kind
                    << "' is not a workload kind (skipped)\n";
          return;
        }
        out.push_back(RecordFromObject(object, where));
      });
  return out;
}

std::vector<io::InferenceRequest> RecordsFromManifestFiles(
    const std::vector<std::string>& paths, const ManifestOptions& options) {
  if (paths.empty()) throw Error("no manifest files given");
  std::vector<io::InferenceRequest> out;
  for (const auto& path : paths) {
    auto records = RecordsFromManifest(ReadAll(path),
                                       path == "-" ? "<stdin>" : path, options);
    for (auto& r : records) out.push_back(std::move(r));
  }
  if (out.empty()) {
    std::string list;
    for (const auto& p : paths) list += (list.empty() ? "" : ", ") + p;
    throw Error(
        list +
        ": no workloads found (expected Deployment, StatefulSet, DaemonSet, "
        "ReplicaSet, Job, CronJob or Pod objects)");
  }
  return out;
}

size_t CollectFromFiles(const std::vector<std::string>& paths,
                        const std::string& out,
                        const ManifestOptions& options) {
  auto records = RecordsFromManifestFiles(paths, options);
  io::WriteInferenceRequests(records, out);
  return records.size();
}

}  // namespace podpower::collect
