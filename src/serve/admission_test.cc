// The admission webhook's answers: what the patch does to the object (applied
// with nlohmann's RFC 6902 implementation), the numbers in it (the predictor's
// own answer / step), budgets, and that nothing ever blocks the cluster except
// an explicit budget denial.
#include "serve/admission.h"

#include <gtest/gtest.h>

#include "collect/manifest.h"
#include "io/error.h"
#include "serve/test_fixture.h"
#include "serve/watts.h"

namespace podpower::serve {
namespace {

using nlohmann::json;

const char* kDeployment = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop"},
  "spec": {"replicas": 3, "template": {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
      "resources": {"requests": {"cpu": "250m", "memory": "128Mi"}}}]}}}})";

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteArtifacts(dir_.path(), "energy_step_j", 1.0);
    artifacts_ = LoadArtifacts(
        {dir_.File("encoder.ppenc"), dir_.File("model.ppknn"), ""});
  }

  static json Review(const json& object,
                     const std::string& operation = "CREATE") {
    return {{"apiVersion", "admission.k8s.io/v1"},
            {"kind", "AdmissionReview"},
            {"request",
             {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
              {"kind",
               {{"group", "apps"},
                {"version", "v1"},
                {"kind", object.value("kind", "")}}},
              {"operation", operation},
              {"namespace", "shop"},
              {"object", object}}}};
  }

  // Decodes the answer's base64 patch with OpenSSL-free code independent of
  // Base64(): the standard alphabet's inverse.
  static json Patch(const json& answer) {
    const std::string text = answer["response"]["patch"].get<std::string>();
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
      if (c == '=') break;
      const std::string alphabet =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      buffer = (buffer << 6) | static_cast<uint32_t>(alphabet.find(c));
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += static_cast<char>((buffer >> bits) & 0xff);
      }
    }
    return json::parse(out);
  }

  // The predictor's per-pod watts for `object`, computed without the webhook.
  double ExpectedWatts(json object) {
    if (object["metadata"].value("namespace", "").empty())
      object["metadata"]["namespace"] = "shop";
    auto record = collect::RecordFromObject(object, "test");
    auto p = artifacts_->predictor->Predict({record});
    return p[0].prediction.value / 60.0;
  }

  testing::TempDir dir_;
  std::shared_ptr<const Artifacts> artifacts_;
};

TEST_F(AdmissionTest, deployment_gets_per_pod_total_and_fingerprint) {
  const json object = json::parse(kDeployment);
  auto result = Admit(Review(object), artifacts_.get(), {});
  const json& response = result.review["response"];
  EXPECT_EQ(result.review["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(result.review["kind"], "AdmissionReview");
  EXPECT_EQ(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_TRUE(response["allowed"].get<bool>());
  EXPECT_EQ(response["patchType"], "JSONPatch");
  EXPECT_EQ(result.decision, "patched");
  const json patched = object.patch(Patch(result.review));
  const json& annotations = patched["metadata"]["annotations"];
  const double watts = ExpectedWatts(object);
  EXPECT_EQ(annotations[kWattsAnnotation], FormatWatts(watts));
  EXPECT_EQ(annotations[kTotalAnnotation], FormatWatts(3 * watts));
  EXPECT_EQ(annotations[kFingerprintAnnotation], artifacts_->fingerprint);
  EXPECT_EQ(artifacts_->fingerprint.size(), 16u);
  // Nothing but annotations changes.
  json without = patched;
  without["metadata"].erase("annotations");
  EXPECT_EQ(without, object);
}

TEST_F(AdmissionTest, existing_annotations_are_kept_and_ours_replaced) {
  json object = json::parse(kDeployment);
  object["metadata"]["annotations"] = {{"team", "checkout"},
                                       {kWattsAnnotation, "999"}};
  auto result = Admit(Review(object, "UPDATE"), artifacts_.get(), {});
  const json patched = object.patch(Patch(result.review));
  EXPECT_EQ(patched["metadata"]["annotations"]["team"], "checkout");
  EXPECT_EQ(patched["metadata"]["annotations"][kWattsAnnotation],
            FormatWatts(ExpectedWatts(object)));
}

TEST_F(AdmissionTest, job_and_cronjob_total_uses_parallelism) {
  json job = json::parse(R"({"apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "etl"},
    "spec": {"parallelism": 4, "template": {"spec": {"containers": [
      {"name": "etl", "image": "python:3.12"}]}}}})");
  auto result = Admit(Review(job), artifacts_.get(), {});
  json patched = job.patch(Patch(result.review));
  const double watts = ExpectedWatts(job);
  EXPECT_EQ(patched["metadata"]["annotations"][kTotalAnnotation],
            FormatWatts(4 * watts));

  json cron = {
      {"apiVersion", "batch/v1beta1"},
      {"kind", "CronJob"},
      {"metadata", {{"name", "nightly"}}},
      {"spec",
       {{"schedule", "0 3 * * *"}, {"jobTemplate", {{"spec", job["spec"]}}}}}};
  cron["spec"]["jobTemplate"]["spec"]["parallelism"] = 2;
  result = Admit(Review(cron), artifacts_.get(), {});
  patched = cron.patch(Patch(result.review));
  const double cron_watts = ExpectedWatts(cron);
  EXPECT_EQ(patched["metadata"]["annotations"][kTotalAnnotation],
            FormatWatts(2 * cron_watts));
}

TEST_F(AdmissionTest, daemonset_has_no_total_because_pod_count_is_per_node) {
  json ds = json::parse(kDeployment);
  ds["kind"] = "DaemonSet";
  ds["spec"].erase("replicas");
  auto result = Admit(Review(ds), artifacts_.get(), {});
  json patched = ds.patch(Patch(result.review));
  EXPECT_TRUE(patched["metadata"]["annotations"].contains(kWattsAnnotation));
  EXPECT_FALSE(patched["metadata"]["annotations"].contains(kTotalAnnotation));
}

TEST_F(AdmissionTest, avg_power_model_is_used_as_watts_directly) {
  testing::TempDir other;
  testing::WriteArtifacts(other.path(), "avg_power_w", 5.0);
  auto watts_model = LoadArtifacts(
      {other.File("encoder.ppenc"), other.File("model.ppknn"), ""});
  const json object = json::parse(kDeployment);
  auto result = Admit(Review(object), watts_model.get(), {});
  json patched = object.patch(Patch(result.review));
  json named = object;
  auto record = collect::RecordFromObject(named, "test");
  const double value =
      watts_model->predictor->Predict({record})[0].prediction.value;
  EXPECT_EQ(patched["metadata"]["annotations"][kWattsAnnotation],
            FormatWatts(value));
}

TEST_F(AdmissionTest, over_budget_is_denied_in_deny_mode_and_warned_in_warn) {
  const json object = json::parse(kDeployment);
  const double total = 3 * ExpectedWatts(object);
  AdmissionOptions options;
  options.budgets = ParseBudgets(
      "namespaces:\n  shop: " + std::to_string(total / 2) + "\n", "b.yaml");
  auto denied = Admit(Review(object), artifacts_.get(), options);
  EXPECT_FALSE(denied.review["response"]["allowed"].get<bool>());
  EXPECT_EQ(denied.review["response"]["status"]["code"], 403);
  EXPECT_NE(
      denied.review["response"]["status"]["message"].get<std::string>().find(
          "budget of namespace shop"),
      std::string::npos);
  EXPECT_EQ(denied.decision, "denied");

  options.budget_mode = BudgetMode::kWarn;
  auto warned = Admit(Review(object), artifacts_.get(), options);
  EXPECT_TRUE(warned.review["response"]["allowed"].get<bool>());
  EXPECT_EQ(warned.review["response"]["warnings"].size(), 1u);
  EXPECT_TRUE(warned.review["response"].contains("patch"));
  EXPECT_EQ(warned.decision, "warned");

  options.budget_mode = BudgetMode::kDeny;
  options.budgets =
      ParseBudgets("default: " + std::to_string(total * 2) + "\n", "b.yaml");
  auto within = Admit(Review(object), artifacts_.get(), options);
  EXPECT_TRUE(within.review["response"]["allowed"].get<bool>());
  EXPECT_EQ(within.decision, "patched");
}

TEST_F(AdmissionTest, wrong_review_version_is_admitted_with_a_warning) {
  json review = Review(json::parse(kDeployment));
  review["apiVersion"] = "admission.k8s.io/v1beta1";
  auto result = Admit(review, artifacts_.get(), {});
  EXPECT_EQ(result.review["apiVersion"], "admission.k8s.io/v1beta1");
  EXPECT_TRUE(result.review["response"]["allowed"].get<bool>());
  EXPECT_FALSE(result.review["response"].contains("patch"));
  EXPECT_NE(result.review["response"]["warnings"][0].get<std::string>().find(
                "not supported"),
            std::string::npos);
}

TEST_F(AdmissionTest, unsupported_kind_and_delete_pass_without_patch) {
  json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata", {{"name", "web"}}}};
  auto result = Admit(Review(service), artifacts_.get(), {});
  EXPECT_TRUE(result.review["response"]["allowed"].get<bool>());
  EXPECT_FALSE(result.review["response"].contains("patch"));
  EXPECT_EQ(result.decision, "skipped");
  auto deleted =
      Admit(Review(json::parse(kDeployment), "DELETE"), artifacts_.get(), {});
  EXPECT_TRUE(deleted.review["response"]["allowed"].get<bool>());
  EXPECT_FALSE(deleted.review["response"].contains("patch"));
}

TEST_F(AdmissionTest, internal_errors_admit_with_a_warning) {
  json broken = json::parse(kDeployment);
  broken["spec"]["template"]["spec"]["containers"] = "not a list";
  auto result = Admit(Review(broken), artifacts_.get(), {});
  EXPECT_TRUE(result.review["response"]["allowed"].get<bool>());
  EXPECT_FALSE(result.review["response"].contains("patch"));
  EXPECT_EQ(result.decision, "error");
  EXPECT_EQ(result.review["response"]["warnings"].size(), 1u);

  auto no_model = Admit(Review(json::parse(kDeployment)), nullptr, {});
  EXPECT_TRUE(no_model.review["response"]["allowed"].get<bool>());
  EXPECT_EQ(no_model.decision, "error");

  testing::TempDir other;
  testing::WriteArtifacts(other.path(), "total_energy_j", 5.0);
  auto joules = LoadArtifacts(
      {other.File("encoder.ppenc"), other.File("model.ppknn"), ""});
  auto unconvertible =
      Admit(Review(json::parse(kDeployment)), joules.get(), {});
  EXPECT_TRUE(unconvertible.review["response"]["allowed"].get<bool>());
  EXPECT_NE(
      unconvertible.review["response"]["warnings"][0].get<std::string>().find(
          "cannot be converted to watts"),
      std::string::npos);
}

TEST_F(AdmissionTest, body_without_request_uid_is_an_error) {
  EXPECT_THROW(Admit(json{{"kind", "AdmissionReview"}}, artifacts_.get(), {}),
               Error);
  EXPECT_THROW(Admit(json::array(), artifacts_.get(), {}), Error);
}

TEST(Base64, matches_rfc4648_test_vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

TEST(Budgets, bad_values_name_the_field) {
  try {
    ParseBudgets("namespaces:\n  team-a: lots\n", "budget.yaml");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("namespaces.team-a"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ParseBudgets("namespaces:\n  a: -5\n", "b.yaml"), Error);
  EXPECT_THROW(ParseBudgets("budgets: 5\n", "b.yaml"), Error);
  EXPECT_THROW(ParseBudgets("[1, 2]\n", "b.yaml"), Error);
  auto b = ParseBudgets("default: 10\nnamespaces: {a: 2.5}\n", "b.yaml");
  EXPECT_EQ(b.For("a"), 2.5);
  EXPECT_EQ(b.For("zzz"), 10.0);
  EXPECT_THROW(ParseBudgetMode("maybe"), Error);
}

TEST(Watts, energy_per_step_is_divided_by_the_step) {
  EXPECT_EQ(WattsPerPod(600, "energy_step_j", 60), 10.0);
  EXPECT_EQ(WattsPerPod(7.5, "avg_power_w", 60), 7.5);
  EXPECT_FALSE(WattsPerPod(1, "total_energy_j", 60).has_value());
  EXPECT_EQ(FormatWatts(12.5), "12.5");
  EXPECT_EQ(FormatWatts(1200), "1200");
  EXPECT_EQ(FormatWatts(0.0004), "0");
  EXPECT_EQ(FormatWatts(1.23456), "1.235");
}

}  // namespace
}  // namespace podpower::serve
