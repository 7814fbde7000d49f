#include "labels/kepler_schema.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "io/error.h"

namespace podpower::labels {
namespace {

prom::Series S(std::vector<std::pair<std::string, std::string>> labels) {
  prom::Series s;
  s.labels = std::move(labels);
  std::sort(s.labels.begin(), s.labels.end());
  return s;
}

TEST(EnergySelector, old_schema_selects_mode_and_namespaces) {
  EnergySelection sel;
  sel.schema = KeplerSchema::kV07;
  sel.namespaces = {"shop", "a.b"};
  EXPECT_EQ(
      EnergySelector(sel),
      R"(kepler_container_joules_total{mode="dynamic",container_namespace=~"shop|a\\.b"})");
  sel.mode = PowerMode::kTotal;
  sel.zone = "dram";
  sel.namespaces.clear();
  EXPECT_EQ(EnergySelector(sel),
            R"(kepler_container_dram_joules_total{mode=~"dynamic|idle"})");
}

TEST(EnergySelector, rewrite_defaults_to_package_zone_and_has_no_idle) {
  EnergySelection sel;
  sel.schema = KeplerSchema::kV010;
  EXPECT_EQ(EnergySelector(sel),
            R"(kepler_pod_cpu_joules_total{zone="package"})");
  sel.mode = PowerMode::kIdle;
  EXPECT_THROW(EnergySelector(sel), Error);
  sel.mode = PowerMode::kDynamic;
  sel.zone = "package\"}or vector(1)";
  EXPECT_THROW(EnergySelector(sel), Error) << "zone is spliced into PromQL";
}

TEST(SeriesRefOf, pseudo_containers_are_not_pods) {
  EXPECT_FALSE(
      SeriesRefOf(KeplerSchema::kV07, S({{"container_name", "system_processes"},
                                         {"pod_name", "system_processes"},
                                         {"container_namespace", "system"}})));
  EXPECT_FALSE(
      SeriesRefOf(KeplerSchema::kV07, S({{"container_name", "kernel_processes"},
                                         {"pod_name", "kernel_processes"}})));
  auto ref = SeriesRefOf(KeplerSchema::kV07, S({{"container_name", "app"},
                                                {"pod_name", "web-1"},
                                                {"container_namespace", "shop"},
                                                {"namespace", "kepler"}}));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->pod.namespace_, "shop")
      << "namespace is the Kepler pod's own label";
}

TEST(SeriesRefOf, running_and_terminated_twins_share_a_counter) {
  auto a = SeriesRefOf(KeplerSchema::kV010, S({{"pod_id", "u"},
                                               {"pod_name", "p"},
                                               {"pod_namespace", "n"},
                                               {"state", "running"},
                                               {"zone", "package"}}));
  auto b = SeriesRefOf(KeplerSchema::kV010, S({{"pod_id", "u"},
                                               {"pod_name", "p"},
                                               {"pod_namespace", "n"},
                                               {"state", "terminated"},
                                               {"zone", "package"}}));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->counter_key, b->counter_key);
  EXPECT_EQ(a->pod.uid, "u");
}

TEST(ParseKeplerSchema, accepts_versions_and_rejects_others) {
  EXPECT_EQ(ParseKeplerSchema("v0.7"), KeplerSchema::kV07);
  EXPECT_EQ(ParseKeplerSchema("v0.10"), KeplerSchema::kV010);
  EXPECT_THROW(ParseKeplerSchema("v2"), Error);
  EXPECT_THROW(ParsePowerMode("peak"), Error);
}

}  // namespace
}  // namespace podpower::labels
