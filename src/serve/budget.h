// Per-namespace watt budgets for the admission webhook (--budget-file).
//
// File format (YAML, docs/formats/serve.md):
//   default: 2000          # optional: watts for namespaces not listed
//   namespaces:
//     team-a: 500          # watts, a number > 0
//     batch: 1500.5
// A workload whose predicted total (per-pod watts x replicas or parallelism)
// is above its namespace's budget is denied (mode deny) or admitted with a
// warning (mode warn). Budgets are immutable after Load; thread-safe.
#ifndef PODPOWER_SERVE_BUDGET_H_
#define PODPOWER_SERVE_BUDGET_H_

#include <map>
#include <optional>
#include <string>

namespace podpower::serve {

enum class BudgetMode { kDeny, kWarn };

// "deny" | "warn"; throws podpower::Error naming --budget-mode otherwise.
BudgetMode ParseBudgetMode(const std::string& text);

struct Budgets {
  std::map<std::string, double> namespaces;  // watts
  std::optional<double> default_watts;

  // The budget for `namespace_`, or nullopt when it has none.
  std::optional<double> For(const std::string& namespace_) const;
};

// Parses the YAML text; `source` names it in errors ("budget.yaml: field
// 'namespaces.team-a': expected a number of watts > 0, got 'lots'").
Budgets ParseBudgets(const std::string& text, const std::string& source);

// Reads and parses `path`.
Budgets LoadBudgets(const std::string& path);

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_BUDGET_H_
