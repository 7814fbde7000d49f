#include "serve/budget.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/error.h"
#include "kube/yaml_limits.h"

namespace podpower::serve {
namespace {

double Watts(const YAML::Node& node, const std::string& source,
             const std::string& field) {
  std::string text = node.IsScalar() ? node.Scalar() : "<not a scalar>";
  try {
    size_t used = 0;
    double watts = std::stod(text, &used);
    if (used == text.size() && std::isfinite(watts) && watts > 0) return watts;
  } catch (const std::exception&) {
  }
  throw Error(source + ": field '" + field +
              "': expected a number of watts > 0, got '" + text + "'");
}

}  // namespace

BudgetMode ParseBudgetMode(const std::string& text) {
  if (text == "deny") return BudgetMode::kDeny;
  if (text == "warn") return BudgetMode::kWarn;
  throw Error("--budget-mode: expected deny or warn, got '" + text + "'");
}

std::optional<double> Budgets::For(const std::string& namespace_) const {
  auto it = namespaces.find(namespace_);
  if (it != namespaces.end()) return it->second;
  return default_watts;
}

Budgets ParseBudgets(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(source + ":" + std::to_string(e.mark.line + 1) + ": " +
                kube::YamlParseReason(e));
  }
  // The fields below are looked up in the node graph with aliases followed;
  // refuse a file whose aliases expand without bound (the "billion laughs")
  // before that, like manifests and kubeconfigs (kube/yaml_limits.h).
  kube::YamlBudget bounds(text.size(), source);
  kube::CheckYamlBounds(root, bounds);
  if (!root.IsMap()) {
    throw Error(source +
                ": expected a mapping with 'namespaces' and/or 'default'");
  }
  Budgets budgets;
  auto key_of = [&source](const YAML::Node& key) {
    if (!key.IsScalar()) {
      throw Error(source + ":" + std::to_string(key.Mark().line + 1) +
                  ": expected a plain key, got a " +
                  (key.IsMap() ? "mapping" : "sequence"));
    }
    return key.Scalar();
  };
  for (const auto& entry : root) {
    const std::string key = key_of(entry.first);
    if (key == "default") {
      budgets.default_watts = Watts(entry.second, source, "default");
    } else if (key == "namespaces") {
      if (!entry.second.IsMap()) {
        throw Error(source +
                    ": field 'namespaces': expected a mapping of namespace "
                    "to watts");
      }
      for (const auto& ns : entry.second) {
        const std::string name = key_of(ns.first);
        budgets.namespaces[name] =
            Watts(ns.second, source, "namespaces." + name);
      }
    } else {
      throw Error(source + ": field '" + key +
                  "': unknown; expected 'namespaces' or 'default'");
    }
  }
  return budgets;
}

Budgets LoadBudgets(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open budget file");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseBudgets(text.str(), path);
}

}  // namespace podpower::serve
