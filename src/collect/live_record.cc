#include "collect/live_record.h"

#include <openssl/sha.h>

#include <cstdio>
#include <ctime>

#include "collect/manifest.h"
#include "io/error.h"

namespace podpower::collect {
namespace {

const nlohmann::json kNull = nullptr;

const nlohmann::json& At(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const nlohmann::json& PodTemplateOf(const nlohmann::json& object) {
  const std::string kind =
      At(object, "kind").is_string() ? object["kind"].get<std::string>() : "";
  if (kind == "Pod") return kNull;
  if (kind == "CronJob")
    return At(At(At(At(object, "spec"), "jobTemplate"), "spec"), "template");
  return At(At(object, "spec"), "template");
}

// Requests of one container: requests, with limits filling missing requests.
std::map<std::string, kube::Quantity> ContainerRequests(
    const nlohmann::json& c, const std::string& where) {
  std::map<std::string, kube::Quantity> out;
  const auto& resources = At(c, "resources");
  for (const char* section :
       {"limits", "requests"}) {  // requests win: read them last
    const auto& m = At(resources, section);
    if (!m.is_object()) continue;
    for (auto it = m.begin(); it != m.end(); ++it) {
      std::string field =
          where + ": field 'resources." + section + "." + it.key() + "'";
      std::string text;
      if (it->is_string()) {
        text = it->get<std::string>();
      } else if (it->is_number()) {
        text = it->dump();
      } else {
        throw Error(field + ": expected a quantity");
      }
      std::string error;
      auto q = kube::Quantity::TryParse(text, &error);
      if (!q) throw Error(field + ": " + error);
      out[it.key()] = *q;
    }
  }
  return out;
}

// a + b, keeping the suffix family of the first non-zero operand as
// apimachinery's Add does, so 32Mi + 32Mi prints as 64Mi and 100m + 150m as
// 250m.
kube::Quantity Add(const kube::Quantity& a, const kube::Quantity& b) {
  // Quantity has no arithmetic; go through the exact nano count and parse it
  // back.
  __int128 n = a.nano() + b.nano();
  kube::QuantityFormat format = a.IsZero() ? b.format() : a.format();
  bool negative = n < 0;
  if (negative) n = -n;
  const __int128 kNanoKi = static_cast<__int128>(1024) * 1000000000;
  std::string suffix = "n";
  if (format == kube::QuantityFormat::kBinarySI && n != 0 && n % kNanoKi == 0) {
    n /= kNanoKi;
    suffix = "Ki";
  }
  std::string digits;
  do {
    digits.insert(digits.begin(),
                  static_cast<char>('0' + static_cast<int>(n % 10)));
    n /= 10;
  } while (n > 0);
  return kube::Quantity::Parse((negative ? "-" : "") + digits + suffix);
}

void AddInto(std::map<std::string, kube::Quantity>& into,
             const std::map<std::string, kube::Quantity>& from) {
  for (const auto& [name, q] : from) into[name] = Add(into[name], q);
}

void MaxInto(std::map<std::string, kube::Quantity>& into,
             const std::map<std::string, kube::Quantity>& from) {
  for (const auto& [name, q] : from) {
    auto it = into.find(name);
    if (it == into.end() || q.nano() > it->second.nano()) into[name] = q;
  }
}

}  // namespace

const nlohmann::json& PodSpecOf(const nlohmann::json& object) {
  if (At(object, "kind") == "Pod") return At(object, "spec");
  return At(PodTemplateOf(object), "spec");
}

std::string PodTemplateDigest(const nlohmann::json& object) {
  std::string text = At(object, "kind") == "Pod" ? At(object, "spec").dump()
                                                 : PodTemplateOf(object).dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest);
  char hex[33];
  for (int i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 32);
}

std::map<std::string, kube::Quantity> EffectivePodRequests(
    const nlohmann::json& pod_spec, const std::string& where) {
  std::map<std::string, kube::Quantity> sum;
  const auto& containers = At(pod_spec, "containers");
  if (containers.is_array()) {
    for (size_t i = 0; i < containers.size(); ++i) {
      AddInto(sum,
              ContainerRequests(containers[i], where + ": containers[" +
                                                   std::to_string(i) + "]"));
    }
  }
  std::map<std::string, kube::Quantity> sidecars, init_max;
  const auto& inits = At(pod_spec, "initContainers");
  if (inits.is_array()) {
    for (size_t i = 0; i < inits.size(); ++i) {
      auto req = ContainerRequests(
          inits[i], where + ": initContainers[" + std::to_string(i) + "]");
      if (At(inits[i], "restartPolicy") == "Always") {
        AddInto(sum, req);
        AddInto(sidecars, req);
      } else {
        auto need = req;
        AddInto(need, sidecars);
        MaxInto(init_max, need);
      }
    }
  }
  MaxInto(sum, init_max);
  const auto& overhead = At(pod_spec, "overhead");
  if (overhead.is_object()) {
    nlohmann::json as_container = {{"resources", {{"requests", overhead}}}};
    AddInto(sum, ContainerRequests(as_container, where + ": overhead"));
  }
  return sum;
}

std::string FormatTimestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

io::InferenceRequest LiveRecord(const nlohmann::json& object,
                                const std::string& where,
                                const LiveRecordOptions& options) {
  io::InferenceRequest r = RecordFromObject(object, where);
  if (options.original_fields_only) return r;
  const auto& metadata = At(object, "metadata");
  const auto& spec = At(object, "spec");
  auto& raw = r.raw;
  raw["event"] = options.event;
  raw["uid"] = At(metadata, "uid").is_string() ? At(metadata, "uid")
                                               : nlohmann::json(nullptr);
  raw["resource_version"] = At(metadata, "resourceVersion").is_string()
                                ? At(metadata, "resourceVersion")
                                : nlohmann::json(nullptr);
  raw["observed_at"] = FormatTimestamp(options.observed_at);
  const auto& replicas = At(spec, "replicas");
  raw["replicas"] =
      replicas.is_number_integer() ? replicas : nlohmann::json(nullptr);
  if (!raw.contains("parallelism")) raw["parallelism"] = nullptr;
  if (!raw.contains("completions")) raw["completions"] = nullptr;
  const auto& schedule = At(spec, "schedule");
  raw["schedule"] = schedule.is_string() ? schedule : nlohmann::json(nullptr);
  nlohmann::ordered_json effective = nlohmann::ordered_json::object();
  int64_t gpus = 0;
  for (const auto& [name, q] : EffectivePodRequests(PodSpecOf(object), where)) {
    effective[name] = q.ToString();
    if (name.ends_with("/gpu")) gpus += q.Value();
  }
  raw["effective_requests"] = effective;
  raw["effective_gpu_count"] = gpus;
  return r;
}

}  // namespace podpower::collect
