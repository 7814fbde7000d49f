// Bodies that are valid JSON syntax (or nearly) but break a JSON library's
// assumptions, sent to a real server over loopback: numbers no double holds
// (1e400, -1e400), values of the wrong type where a field is read, arrays
// where objects are expected. nlohmann reports these with exceptions other
// than parse_error (out_of_range 406, type_error 302/305/306), and an
// endpoint that catches only parse_error answered them with 500. Each must get
// a 4xx with a one-line JSON reason, or from /admission the documented
// fail-open AdmissionReview answer (allowed, no patch, one warning).
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/client.h"
#include "serve/server.h"
#include "serve/test_fixture.h"

namespace podpower::serve {
namespace {

using nlohmann::json;

constexpr const char* kUid = "705ab4f5-6393-11e8-b7cc-42010a800002";

// An AdmissionReview for CREATE of `object` (JSON text, pasted as given so
// that it may hold what nlohmann would not write, such as 1e400).
std::string Review(const std::string& object,
                   const std::string& operation = "\"CREATE\"") {
  return std::string(R"({"apiVersion":"admission.k8s.io/v1",)") +
         R"("kind":"AdmissionReview","request":{"uid":")" + kUid +
         R"(","kind":{"group":"apps","version":"v1","kind":"Deployment"},)" +
         R"("namespace":"shop","operation":)" + operation + R"(,"object":)" +
         object + "}}";
}

// A Deployment with `spec` pasted in.
std::string Deployment(const std::string& spec,
                       const std::string& metadata = R"({"name":"web"})") {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":)" +
         metadata + R"(,"spec":)" + spec + "}";
}

const std::string kTemplate =
    R"("template":{"spec":{"containers":[{"name":"c","image":"nginx",)"
    R"("resources":{"requests":{"cpu":"250m"}}}]}})";

class HostileJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = testing::ServerOptionsOn(dir_);
    options.threads = 2;
    server_.Start(options);
    base_ = "http://127.0.0.1:" + std::to_string(server_.port());
  }
  void TearDown() override { server_.Stop(); }

  http::Response Post(const std::string& path, const std::string& body) {
    return testing::Post(client_, base_ + path, body);
  }

  // A refusal: 4xx with {"detail": "<one line>"}; returns the detail.
  std::string ExpectRefusal(const std::string& path, const std::string& body) {
    const http::Response r = Post(path, body);
    EXPECT_GE(r.status, 400) << path << " " << body << ": " << r.body;
    EXPECT_LT(r.status, 500) << path << " " << body << ": " << r.body;
    json answer;
    EXPECT_NO_THROW(answer = json::parse(r.body)) << r.body;
    if (!answer.is_object() || !answer.contains("detail")) {
      ADD_FAILURE() << path << ": no detail in " << r.body;
      return "";
    }
    const std::string detail = answer["detail"].get<std::string>();
    EXPECT_FALSE(detail.empty());
    EXPECT_EQ(detail.find('\n'), std::string::npos) << detail;
    return detail;
  }

  testing::TempDir dir_;
  Server server_;
  http::Client client_{http::ClientOptions{}};
  std::string base_;
};

TEST_F(HostileJsonTest, admission_body_with_a_number_out_of_range_is_a_400) {
  for (const char* number : {"1e400", "-1e400", "1E+999"}) {
    const std::string body = Review(Deployment(std::string(R"({"replicas":)") +
                                               number + "," + kTemplate + "}"));
    const std::string detail = ExpectRefusal("/admission", body);
    EXPECT_NE(detail.find("invalid JSON"), std::string::npos) << detail;
    EXPECT_NE(detail.find(number), std::string::npos) << detail;
  }
  // A number where request.uid is read: no uid to answer to, 400.
  const std::string detail = ExpectRefusal(
      "/admission",
      R"({"apiVersion":"admission.k8s.io/v1","request":{"uid":7}})");
  EXPECT_NE(detail.find("request.uid"), std::string::npos) << detail;
  ExpectRefusal("/admission", R"({"request":[1e308,2]})");
  ExpectRefusal("/admission", "[1e400]");
}

// Wrong types inside an AdmissionReview that has a uid: the webhook must not
// block the cluster, so each is allowed unchanged with one warning.
TEST_F(HostileJsonTest, admission_fields_of_the_wrong_type_admit_unchanged) {
  const std::vector<std::string> bodies = {
      Review(Deployment("{" + kTemplate + "}", R"("just a string")")),
      Review(Deployment("{" + kTemplate + "}", R"({"name":7,"namespace":[]})")),
      Review(Deployment(R"({"replicas":"three",)" + kTemplate + "}")),
      Review(Deployment(R"({"replicas":1.5,)" + kTemplate + "}")),
      Review(Deployment(R"({"replicas":-1,)" + kTemplate + "}")),
      Review(Deployment(R"({"replicas":1e308,)" + kTemplate + "}")),
      Review(
          Deployment(R"({"replicas":18446744073709551616,)" + kTemplate + "}")),
      Review(Deployment(R"({"template":{"spec":{"containers":[{"name":"c",)"
                        R"("image":"nginx","resources":{"requests":)"
                        R"({"cpu":1e308,"memory":-1}}}]}}})")),
      Review(Deployment(R"({"template":{"spec":{"containers":"nginx"}}})")),
      Review(Deployment("[]")),
      Review(Deployment("{" + kTemplate + "}"), "7"),
      Review(Deployment("{" + kTemplate + "}"), "[\"CREATE\"]"),
  };
  for (const auto& body : bodies) {
    const http::Response r = Post("/admission", body);
    ASSERT_EQ(r.status, 200) << body << ": " << r.body;
    const json answer = json::parse(r.body);
    EXPECT_EQ(answer["response"]["uid"], kUid) << r.body;
    EXPECT_EQ(answer["response"]["allowed"], true) << r.body;
    EXPECT_FALSE(answer["response"].contains("patch")) << body << r.body;
  }
  // A good review still gets its patch afterwards.
  const http::Response good =
      Post("/admission", Review(Deployment("{" + kTemplate + "}")));
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(json::parse(good.body)["response"]["patchType"], "JSONPatch")
      << good.body;
}

TEST_F(HostileJsonTest, prediction_bodies_with_hostile_numbers_are_4xx) {
  const std::string record =
      testing::ClusterBRecords()[0].raw.dump();  // a good record to vary
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/predict", R"({"schema_version":"v1","gpu_count":1e400})"},
      {"/predict", R"({"schema_version":"v1","gpu_count":-1e400})"},
      {"/predict", R"({"schema_version":"v1","gpu_count":1e308})"},
      {"/predict", R"({"schema_version":"v1","gpu_count":-1})"},
      {"/predict",
       R"({"schema_version":"v1","gpu_count":18446744073709551616})"},
      {"/predict", R"({"schema_version":"v1","containers":[{"image":7}]})"},
      {"/predict", R"({"schema_version":"v1","containers":[7]})"},
      {"/predict", R"({"schema_version":"v1","labels":[1e308]})"},
      {"/predict", R"({"schema_version":7})"},
      {"/predict", "NaN"},
      {"/predict", "1e400"},
      {"/predict/batch", record + "\n" + R"({"gpu_count":1e400})" + "\n"},
      {"/predict/batch", record + "\n[1e308]\n"},
      {"/predict/from-yaml",
       Deployment(R"({"replicas":1e400,)" + kTemplate + "}")},
      {"/predict/from-yaml",
       Deployment(R"({"template":{"spec":{"containers":[{"name":"c",)"
                  R"("image":"nginx","resources":{"requests":)"
                  R"({"cpu":1e308}}}]}}})")},
      {"/predict/from-yaml",
       "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
       "        - {name: c, image: nginx, resources: {requests: {cpu: "
       "1e400}}}\n"},
      {"/infer/from-yaml", R"({"kind":"List","items":[1e400]})"},
      {"/infer/from-yaml", R"({"kind":"List","items":{"a":1}})"},
  };
  for (const auto& [path, body] : cases) ExpectRefusal(path, body);
  // The server is still answering predictions afterwards.
  EXPECT_EQ(Post("/predict", record).status, 200);
}

}  // namespace
}  // namespace podpower::serve
