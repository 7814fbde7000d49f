// Error answers of the prediction API are valid JSON whatever the client sent:
// a parser's message may quote the offending bytes, and bytes that are not
// UTF-8 must not turn a 400 into a 500 (found by bench/serve_hostile.sh).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "serve/api.h"
#include "serve/artifacts.h"

namespace podpower::serve {
namespace {

TEST(ApiErrors, invalid_utf8_in_the_reason_still_gives_a_json_error_body) {
  const ApiResponse r = ErrorResponse(400, "bad byte \xff\xfe here");
  EXPECT_EQ(r.status, 400);
  const auto body = nlohmann::json::parse(r.body);  // throws if not JSON
  const std::string detail = body.at("detail").get<std::string>();
  EXPECT_NE(detail.find("bad byte"), std::string::npos) << detail;
  EXPECT_NE(detail.find("here"), std::string::npos) << detail;
}

TEST(ApiErrors, predict_body_with_invalid_utf8_is_a_400_not_a_500) {
  const Artifacts none;  // the body is refused before any prediction
  const ApiResponse r =
      HandlePredict("{\"schema_version\":\"v1\",\"namespace\":\"\xff\xfe\"}",
                    none, ApiOptions{});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NO_THROW(nlohmann::json::parse(r.body)) << r.body;
}

// Found by fuzz/serve_yaml_fuzzer.cc: a kind that is not a string escaped as a
// JSON type_error (500). It is "not a workload": a 400 naming the document.
TEST(ApiErrors, manifest_kind_that_is_not_a_string_is_a_400) {
  for (const char* kind : {"null", "7", "[Deployment]", "{a: b}"}) {
    const ApiResponse r =
        HandleInferFromYaml(std::string("kind: ") + kind + "\nitems: []\n");
    EXPECT_EQ(r.status, 400) << kind << ": " << r.body;
    EXPECT_NE(r.body.find("document 1"), std::string::npos) << r.body;
  }
}

// 1e400 is valid JSON syntax but no double: a 400, not a 500.
TEST(ApiErrors, number_out_of_double_range_is_a_400) {
  const Artifacts none;
  const ApiResponse r = HandlePredict(
      "{\"schema_version\":\"v1\",\"gpu_count\":1e400}", none, ApiOptions{});
  EXPECT_EQ(r.status, 400) << r.body;
}

// The manifest endpoints keep the API's statuses for objects inside Lists
// too: 400 for what is not a manifest of workloads, 422 for a workload whose
// fields are wrong.
TEST(ApiErrors, manifest_statuses_are_the_same_inside_lists) {
  const std::string deployment =
      R"({"kind":"Deployment","metadata":{"name":"web"},"spec":{"template":)"
      R"({"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})";
  const std::string bad_fields =
      R"({"kind":"Deployment","metadata":{"name":"web"},"spec":{"template":)"
      R"({"spec":{"containers":"nginx"}}}})";
  const std::string config_map = R"({"kind":"ConfigMap","metadata":{}})";
  struct Case {
    std::string body;
    int status;
    std::string reason_part;
  };
  const std::vector<Case> cases = {
      {R"({"kind":"List","items":[)" + deployment + "]}", 200, ""},
      {R"({"kind":"DeploymentList","items":[)" + deployment + "," + deployment +
           "]}",
       200, ""},
      {R"({"kind":"List","items":[)" + deployment + "," + bad_fields + "]}",
       422, "containers"},
      {R"({"kind":"List","items":[)" + deployment + "," + config_map + "]}",
       400, "ConfigMap"},
      {R"({"kind":"List","items":[7]})", 400, "document 1"},
      {R"({"kind":"List","items":{"a":1}})", 400, "document 1"},
      {R"({"kind":"List","items":[]})", 400, "no Kubernetes object"},
      {bad_fields, 422, "containers"},
      {"", 400, "no Kubernetes object"},
  };
  for (const auto& c : cases) {
    const ApiResponse r = HandleInferFromYaml(c.body);
    EXPECT_EQ(r.status, c.status) << c.body << ": " << r.body;
    if (c.status == 200) continue;
    const std::string detail =
        nlohmann::json::parse(r.body).at("detail").get<std::string>();
    EXPECT_NE(detail.find(c.reason_part), std::string::npos)
        << c.body << ": " << detail;
  }
}

}  // namespace
}  // namespace podpower::serve
