#include "labels/kepler_schema.h"

#include <algorithm>
#include <initializer_list>

#include "io/error.h"

namespace podpower::labels {
namespace {

const char* kOldTotal = "kepler_container_joules_total";
const char* kNewPod = "kepler_pod_cpu_joules_total";
const char* kNewContainer = "kepler_container_cpu_joules_total";

bool ValidZone(const std::string& zone) {
  return !zone.empty() && std::all_of(zone.begin(), zone.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string EscapeRegexValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (std::string_view(".*+?()[]{}|^$\\").find(c) != std::string_view::npos)
      out += "\\\\";
    if (c == '"') out += '\\';
    out += c;
  }
  return out;
}

bool IsPseudoContainer(const std::string& name) {
  return name == "system_processes" || name == "kernel_processes";
}

}  // namespace

KeplerSchema ParseKeplerSchema(std::string_view text) {
  if (text == "auto" || text.empty()) return KeplerSchema::kAuto;
  for (std::string_view v : {"v0.7", "0.7", "v0.6", "v0.8", "v0.9"}) {
    if (text == v) return KeplerSchema::kV07;
  }
  for (std::string_view v : {"v0.10", "0.10", "v0.11"}) {
    if (text == v) return KeplerSchema::kV010;
  }
  throw Error("--kepler-schema: expected v0.7, v0.10 or auto, got '" +
              std::string(text) + "'");
}

PowerMode ParsePowerMode(std::string_view text) {
  if (text == "dynamic") return PowerMode::kDynamic;
  if (text == "idle") return PowerMode::kIdle;
  if (text == "total") return PowerMode::kTotal;
  throw Error("--power-mode: expected dynamic, idle or total, got '" +
              std::string(text) + "'");
}

const char* SchemaName(KeplerSchema schema) {
  switch (schema) {
    case KeplerSchema::kV07:
      return "v0.7";
    case KeplerSchema::kV010:
      return "v0.10";
    default:
      return "auto";
  }
}

std::string NamespaceMatcher(const std::string& label,
                             const std::vector<std::string>& namespaces) {
  if (namespaces.empty()) return "";
  std::string alt;
  for (const auto& ns : namespaces) {
    if (!alt.empty()) alt += '|';
    alt += EscapeRegexValue(ns);
  }
  return label + "=~\"" + alt + "\"";
}

std::string EnergySelector(const EnergySelection& sel) {
  if (!sel.zone.empty() && !ValidZone(sel.zone)) {
    throw Error(
        "--zone: expected a RAPL zone such as package, core, uncore, dram, got "
        "'" +
        sel.zone + "'");
  }
  if (sel.schema == KeplerSchema::kV07) {
    std::string metric = sel.zone.empty()
                             ? kOldTotal
                             : "kepler_container_" + sel.zone + "_joules_total";
    std::string matchers;
    switch (sel.mode) {
      case PowerMode::kDynamic:
        matchers = "mode=\"dynamic\"";
        break;
      case PowerMode::kIdle:
        matchers = "mode=\"idle\"";
        break;
      case PowerMode::kTotal:
        matchers = "mode=~\"dynamic|idle\"";
        break;
    }
    std::string ns = NamespaceMatcher("container_namespace", sel.namespaces);
    if (!ns.empty()) matchers += "," + ns;
    return metric + "{" + matchers + "}";
  }
  if (sel.schema == KeplerSchema::kV010) {
    if (sel.mode != PowerMode::kDynamic) {
      throw Error(
          "--power-mode: Kepler 0.10+ attributes no idle energy to pods; only "
          "'dynamic' is "
          "available with --kepler-schema v0.10");
    }
    std::string matchers =
        "zone=\"" + (sel.zone.empty() ? std::string("package") : sel.zone) +
        "\"";
    std::string ns = NamespaceMatcher("pod_namespace", sel.namespaces);
    if (!ns.empty()) matchers += "," + ns;
    return std::string(kNewPod) + "{" + matchers + "}";
  }
  throw Error("kepler schema: not resolved (internal)");
}

std::optional<SeriesRef> SeriesRefOf(KeplerSchema schema,
                                     const prom::Series& series) {
  auto key = [&](std::initializer_list<const char*> names) {
    std::string k = series.Label("__name__");
    for (const char* n : names) {
      k += '\x1f';
      k += series.Label(n);
    }
    return k;
  };
  if (schema == KeplerSchema::kV07) {
    const std::string& container = series.Label("container_name");
    const std::string& pod = series.Label("pod_name");
    if (IsPseudoContainer(container) || IsPseudoContainer(pod))
      return std::nullopt;
    if (pod.empty()) return std::nullopt;
    return SeriesRef{PodId{series.Label("container_namespace"), pod, ""},
                     key({"container_namespace", "pod_name", "container_name",
                          "container_id", "mode"})};
  }
  const std::string& uid = series.Label("pod_id");
  const std::string& name = series.Label("pod_name");
  if (uid.empty() && name.empty()) return std::nullopt;
  // Very short pods can be exported before Kepler learnt their name; keep them
  // under their UID. A finished pod is exported once more as state="terminated"
  // with the same counter: the key leaves out state (and node_name, path) so
  // both merge into one counter.
  return SeriesRef{
      PodId{series.Label("pod_namespace"), name.empty() ? uid : name, uid},
      key({"pod_namespace", "pod_id", "zone"})};
}

KeplerSchema DetectSchema(const prom::Client& client, double start,
                          double end) {
  std::vector<std::string> names =
      client.LabelValues("__name__",
                         "{__name__=~\"" + std::string(kNewPod) + "|" +
                             kNewContainer + "|" + kOldTotal + "\"}",
                         start, end);
  auto has = [&](const char* n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  // Label values are answered per TSDB block (2 h), so a name may come from
  // just outside the window; when both generations are listed, ask about the
  // window.
  if (has(kNewPod) && has(kOldTotal)) {
    std::string range = "[";
    range += prom::FormatDuration(std::max(1.0, end - start));
    range += ']';
    auto r = client.Instant(
        "count(last_over_time(" + std::string(kNewPod) + range + "))", end);
    return r.series.empty() ? KeplerSchema::kV07 : KeplerSchema::kV010;
  }
  if (has(kNewPod)) return KeplerSchema::kV010;
  if (has(kOldTotal)) return KeplerSchema::kV07;
  if (has(kNewContainer)) {
    throw Error(client.options().url +
                ": Kepler 0.10+ container metrics found but no "
                "kepler_pod_cpu_joules_total; "
                "enable the pod level (kepler --metrics=...,pod)");
  }
  throw Error(client.options().url +
              ": no Kepler energy metrics between the start and end: "
              "expected kepler_container_joules_total (Kepler 0.7) or "
              "kepler_pod_cpu_joules_total "
              "(Kepler 0.10+)");
}

}  // namespace podpower::labels
