// Budget files (--budget-file): the format, its one-line errors, and the YAML
// limits shared with manifests and kubeconfigs (kube/yaml_limits.h).
#include "serve/budget.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "io/error.h"
#include "io/testing.h"

namespace podpower::serve {
namespace {

std::string ErrorOf(const std::string& text) {
  try {
    ParseBudgets(text, "budget.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(BudgetTest, namespaces_and_default_are_read) {
  const Budgets b = ParseBudgets(
      "default: 2000\nnamespaces:\n  team-a: 500\n  batch: 1500.5\n",
      "budget.yaml");
  EXPECT_EQ(b.For("team-a"), 500.0);
  EXPECT_EQ(b.For("batch"), 1500.5);
  EXPECT_EQ(b.For("other"), 2000.0);
}

TEST(BudgetTest, aliases_within_limits_are_followed) {
  const Budgets b = ParseBudgets(
      "default: &w 750\nnamespaces:\n  a: *w\n  b: *w\n", "budget.yaml");
  EXPECT_EQ(b.For("a"), 750.0);
  EXPECT_EQ(b.For("b"), 750.0);
}

TEST(BudgetTest, billion_laughs_is_refused_quickly_with_one_line) {
  // 342 bytes whose aliases expand to 9^9 scalars, under `namespaces:` where
  // the loader walks them.
  const std::string bomb = "namespaces:\n  x: 1\nlol:\n" +
                           podpower::testing::BillionLaughsYaml("  ");
  const auto start = std::chrono::steady_clock::now();
  const std::string error = ErrorOf(bomb);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_EQ(error.rfind("budget.yaml:", 0), 0u) << error;
  EXPECT_NE(error.find("(excessive aliasing)"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_LT(seconds, 1.0);  // generous: ~ms; unbounded it ran for minutes
  // The same bomb at the top level.
  EXPECT_NE(ErrorOf(podpower::testing::BillionLaughsYaml())
                .find("(excessive aliasing)"),
            std::string::npos);
}

TEST(BudgetTest, recursive_alias_is_refused_not_a_crash) {
  const std::string error = ErrorOf("namespaces: &a {x: *a}\n");
  EXPECT_EQ(error.rfind("budget.yaml:", 0), 0u) << error;
  EXPECT_NE(error.find("nests deeper"), std::string::npos) << error;
}

TEST(BudgetTest, bad_values_and_keys_name_the_field) {
  EXPECT_EQ(ErrorOf("namespaces:\n  team-a: lots\n"),
            "budget.yaml: field 'namespaces.team-a': expected a number of "
            "watts > 0, got 'lots'");
  EXPECT_NE(ErrorOf("default: -1\n").find("field 'default'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("limits: {}\n").find("field 'limits': unknown"),
            std::string::npos);
  EXPECT_NE(ErrorOf("? [a]\n: 1\n").find("expected a plain key"),
            std::string::npos);
  EXPECT_NE(ErrorOf("- 1\n").find("expected a mapping"), std::string::npos);
}

}  // namespace
}  // namespace podpower::serve
