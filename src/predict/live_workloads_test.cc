// Object arguments as kubectl takes them: the type names kubectl accepts for
// the workload kinds, the TYPE/NAME and TYPE NAME... forms, and one-line
// refusals for everything else.
#include "predict/live_workloads.h"

#include <gtest/gtest.h>

#include "io/error.h"
#include "io/testing.h"

namespace podpower::predict {
namespace {

using podpower::testing::ErrorOf;

TEST(KindFromType, accepts_kubectl_singular_plural_short_and_group_names) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"deployment", "Deployment"},
      {"Deployments", "Deployment"},
      {"deploy", "Deployment"},
      {"deployment.apps", "Deployment"},
      {"sts", "StatefulSet"},
      {"statefulsets.apps", "StatefulSet"},
      {"ds", "DaemonSet"},
      {"rs", "ReplicaSet"},
      {"job", "Job"},
      {"jobs.batch", "Job"},
      {"cj", "CronJob"},
      {"CronJob", "CronJob"},
      {"po", "Pod"},
      {"pods", "Pod"}};
  for (const auto& [type, kind] : cases) EXPECT_EQ(KindFromType(type), kind);
}

TEST(KindFromType, refuses_non_workload_types_and_wrong_groups) {
  EXPECT_NE(ErrorOf([] {
              KindFromType("service");
            }).find("resource type \"service\": expected a workload type"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { KindFromType("deployment.batch"); }), "<no error>");
  EXPECT_NE(ErrorOf([] { KindFromType("pod.apps"); }), "<no error>");
}

TEST(ParseObjectRefs, slash_form_names_one_object_per_argument) {
  const auto refs = ParseObjectRefs({"deployment/web", "cj/nightly"});
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].kind, "Deployment");
  EXPECT_EQ(refs[0].name, "web");
  EXPECT_EQ(refs[1].kind, "CronJob");
  EXPECT_EQ(refs[1].name, "nightly");
}

TEST(ParseObjectRefs, type_then_names_form_names_several_objects) {
  const auto refs = ParseObjectRefs({"deploy", "web", "api"});
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].kind, "Deployment");
  EXPECT_EQ(refs[0].name, "web");
  EXPECT_EQ(refs[1].name, "api");
  EXPECT_TRUE(ParseObjectRefs({}).empty());
}

TEST(ParseObjectRefs, refuses_mixed_forms_missing_names_and_paths) {
  EXPECT_EQ(ErrorOf([] {
              ParseObjectRefs({"deployment/web", "api"});
            }),
            "\"api\": expected TYPE/NAME like the other arguments (all "
            "TYPE/NAME, or TYPE NAME...)");
  EXPECT_EQ(ErrorOf([] {
              ParseObjectRefs({"deployment", "x/y"});
            }),
            "\"x/y\": expected a name after type \"deployment\" (TYPE/NAME "
            "and TYPE NAME cannot be mixed)");
  EXPECT_EQ(ErrorOf([] { ParseObjectRefs({"deployment"}); }),
            "\"deployment\": a resource type needs a name (TYPE NAME or "
            "TYPE/NAME, e.g. deployment/web)");
  EXPECT_EQ(ErrorOf([] { ParseObjectRefs({"deployment/"}); }),
            "\"deployment/\": expected TYPE/NAME, e.g. deployment/web (files "
            "need one -f each)");
  // A file given without -f reads as a path, not as an object.
  EXPECT_EQ(ErrorOf([] { ParseObjectRefs({"manifests/web.yaml"}); }),
            "resource type \"manifests\": expected a workload type "
            "(deployment, statefulset, daemonset, replicaset, job, cronjob, "
            "pod, or their plurals and short names deploy, sts, ds, rs, cj, "
            "po)");
}

}  // namespace
}  // namespace podpower::predict
