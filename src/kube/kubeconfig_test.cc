// kubeconfig resolution: merging rules of a KUBECONFIG list, relative paths,
// *-data fields, in-cluster config, and the one-line errors for bad input. The
// expected values come from kubectl's documented merge rules (kubernetes.io
// "Organizing Cluster Access Using kubeconfig Files"), not from this code.
#include "kube/kubeconfig.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/error.h"
#include "io/testing.h"
#include "kube/credentials.h"

// ExecConfig is built with designated initializers; omitted fields keep their
// defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace podpower::kube {
namespace {

namespace fs = std::filesystem;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("podpower-kubeconfig-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

const char* kFirst = R"(apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c1
  cluster:
    server: https://one.example:6443/
    certificate-authority: ca.crt
    tls-server-name: api.internal
- name: shared
  cluster: {server: https://first-wins.example}
users:
- name: u1
  user:
    tokenFile: token.txt
    client-certificate: certs/client.crt
    client-key: /abs/client.key
contexts:
- name: one
  context: {cluster: c1, user: u1, namespace: team-a}
- name: both
  context: {cluster: shared, user: u1}
)";

const char* kSecond = R"(apiVersion: v1
kind: Config
current-context: two
clusters:
- name: shared
  cluster:
    server: https://second-loses.example
- name: c2
  cluster:
    server: https://two.example
    certificate-authority-data: aGVsbG8gQ0E=
    insecure-skip-tls-verify: true
users:
- name: u2
  user:
    token: secret-token
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
contexts:
- name: two
  context: {cluster: c2, user: u2}
)";

TEST_F(KubeconfigTest, first_file_wins_for_names_and_current_context) {
  std::string a = Write("sub/a.yaml", kFirst);
  std::string b = Write("b.yaml", kSecond);
  RestConfig c = LoadKubeconfig({a, b}, "");
  EXPECT_EQ(c.context, "one");
  EXPECT_EQ(c.server, "https://one.example:6443");  // trailing slash dropped
  EXPECT_EQ(c.namespace_, "team-a");
  EXPECT_EQ(c.tls.server_name, "api.internal");
  // Relative paths are relative to the file that names them.
  EXPECT_EQ(c.tls.ca_file, (dir_ / "sub/ca.crt").string());
  EXPECT_EQ(c.tls.client_cert_file, (dir_ / "sub/certs/client.crt").string());
  EXPECT_EQ(c.tls.client_key_file, "/abs/client.key");
  EXPECT_EQ(c.token_file, (dir_ / "sub/token.txt").string());

  RestConfig shared = LoadKubeconfig({a, b}, "both");
  EXPECT_EQ(shared.server, "https://first-wins.example");
  EXPECT_EQ(shared.namespace_, "default");

  // Order reversed: the second file's current-context now wins.
  RestConfig two = LoadKubeconfig({b, a}, "");
  EXPECT_EQ(two.context, "two");
  EXPECT_EQ(two.tls.ca_pem, "hello CA");
  EXPECT_TRUE(two.tls.insecure_skip_verify);
  EXPECT_EQ(two.token, "secret-token");
  EXPECT_EQ(two.tls.client_cert_pem, "cert");
  EXPECT_EQ(two.tls.client_key_pem, "key");
}

TEST_F(KubeconfigTest, kubeconfig_env_list_skips_missing_files) {
  std::string b = Write("b.yaml", kSecond);
  std::string list = (dir_ / "missing.yaml").string() + ":" + b;
  setenv("KUBECONFIG", list.c_str(), 1);
  RestConfig c = LoadRestConfig({});
  unsetenv("KUBECONFIG");
  EXPECT_EQ(c.context, "two");
}

TEST_F(KubeconfigTest, original_ca_file_and_verify_ssl_flags_override) {
  std::string b = Write("b.yaml", kSecond);
  KubeconfigOptions o;
  o.kubeconfig = b;
  o.ca_file = "/etc/my-ca.pem";
  o.verify_ssl = false;
  RestConfig c = LoadRestConfig(o);
  EXPECT_EQ(c.tls.ca_file, "/etc/my-ca.pem");
  EXPECT_EQ(c.tls.ca_pem, "");
  EXPECT_TRUE(c.tls.insecure_skip_verify);
}

TEST_F(KubeconfigTest, missing_context_names_the_file_and_the_choices) {
  std::string a = Write("a.yaml", kFirst);
  try {
    LoadKubeconfig({a}, "prod");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "kubeconfig " + a + ": context \"prod\" not found (have: both, one)");
  }
}

TEST_F(KubeconfigTest, unreadable_or_missing_file_is_one_line_error) {
  KubeconfigOptions o;
  o.kubeconfig = (dir_ / "nope.yaml").string();
  try {
    LoadRestConfig(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "kubeconfig " + o.kubeconfig + ": no such file");
  }
  std::string bad = Write("bad.yaml", "clusters: [unclosed\n");
  try {
    LoadKubeconfig({bad}, "");
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("kubeconfig " + bad + ":", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  if (getuid() != 0) {  // root reads everything
    std::string locked = Write("locked.yaml", kFirst);
    fs::permissions(locked, fs::perms::none);
    EXPECT_THROW(LoadKubeconfig({locked}, ""), Error);
  }
}

// A working kubeconfig (kSecond) with the "billion laughs" in a field nothing
// reads: nine lines whose aliases expand to 9^9 strings.
std::string WithBillionLaughs() {
  return std::string(kSecond) + "preferences:\n" +
         podpower::testing::BillionLaughsYaml("  ");
}

TEST_F(KubeconfigTest, billion_laughs_is_refused_as_excessive_aliasing) {
  std::string bomb = Write("bomb.yaml", WithBillionLaughs());
  try {
    LoadKubeconfig({bomb}, "");
    FAIL() << "the bomb was accepted";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("kubeconfig " + bomb + ":", 0), 0u) << m;
    EXPECT_NE(m.find("YAML aliases expand to more than 10000 nodes"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("(excessive aliasing)"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  // A recursive alias is refused too, by the depth limit.
  std::string loop =
      Write("loop.yaml", std::string(kSecond) + "preferences: &p {x: *p}\n");
  try {
    LoadKubeconfig({loop}, "");
    FAIL() << "the recursive alias was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nests deeper than 1000 levels"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(KubeconfigTest, anchors_and_aliases_of_a_real_kubeconfig_still_work) {
  std::string a = Write("anchors.yaml", R"(apiVersion: v1
kind: Config
current-context: two
clusters:
- name: c2
  cluster: &c {server: https://two.example, insecure-skip-tls-verify: true}
- name: c3
  cluster: *c
users:
- name: u2
  user: {token: secret-token}
contexts:
- name: one
  context: &ctx {cluster: c2, user: u2, namespace: team-a}
- name: two
  context: *ctx
)");
  RestConfig c = LoadKubeconfig({a}, "");
  EXPECT_EQ(c.server, "https://two.example");
  EXPECT_EQ(c.namespace_, "team-a");
  EXPECT_EQ(c.token, "secret-token");
  EXPECT_TRUE(c.tls.insecure_skip_verify);
}

TEST_F(KubeconfigTest, bad_base64_and_exec_api_version_are_rejected) {
  std::string text = kSecond;
  text.replace(text.find("aGVsbG8gQ0E="), 12, "abc$defghijk");
  std::string p = Write("b64.yaml", text);
  try {
    LoadKubeconfig({p}, "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("certificate-authority-data"),
              std::string::npos);
  }
  std::string exec =
      Write("exec.yaml", R"(clusters: [{name: c, cluster: {server: https://x}}]
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: ./plugin}
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)");
  try {
    LoadKubeconfig({exec}, "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("v1alpha1"), std::string::npos)
        << e.what();
  }
}

TEST_F(KubeconfigTest, in_cluster_reads_service_account_folder) {
  fs::create_directories(dir_ / "sa");
  Write("sa/token", "tok-1\n");
  Write("sa/ca.crt", "CA");
  Write("sa/namespace", "monitoring");
  setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  RestConfig c = InClusterConfig((dir_ / "sa").string());
  EXPECT_EQ(c.server, "https://10.0.0.1:443");
  EXPECT_EQ(c.namespace_, "monitoring");
  EXPECT_EQ(c.tls.ca_file, (dir_ / "sa/ca.crt").string());
  // The token file is re-read after rotation.
  CredentialSource creds(c);
  EXPECT_EQ(creds.Get().token, "tok-1");
  Write("sa/token", "tok-2-rotated\n");
  fs::last_write_time(
      dir_ / "sa/token",
      fs::last_write_time(dir_ / "sa/token") + std::chrono::seconds(5));
  EXPECT_EQ(creds.Get().token, "tok-2-rotated");
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_THROW(InClusterConfig((dir_ / "sa").string()), Error);
  unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_F(KubeconfigTest,
       exec_plugin_is_rerun_after_expiry_and_errors_hide_output) {
  std::string counter = (dir_ / "count").string();
  std::string script =
      Write("plugin.sh",
            "#!/bin/sh\necho x >> '" + counter + "'\nn=$(wc -l < '" + counter +
                "')\necho \"{\\\"apiVersion\\\":\\\"client."
                "authentication.k8s.io/v1beta1\\\",\\\"kind\\\":"
                "\\\"ExecCredential\\\",\\\"status\\\":{\\\"token\\\":"
                "\\\"t$n\\\",\\\"expirationTimestamp\\\":\\\"$1\\\"}}\"\n");
  fs::permissions(script, fs::perms::owner_all);
  RestConfig c;
  c.context = "ctx";
  c.exec = ExecConfig{
      .api_version = "client.authentication.k8s.io/v1beta1",
      .command = script,
      .args = {"2000-01-01T00:00:00Z"}};  // already expired: rerun every time
  CredentialSource expired(c);
  EXPECT_EQ(expired.Get().token, "t1");
  EXPECT_EQ(expired.Get().token, "t2");
  c.exec->args = {"2999-01-01T00:00:00+02:00"};
  CredentialSource fresh(c);
  EXPECT_EQ(fresh.Get().token, "t3");
  EXPECT_EQ(fresh.Get().token, "t3");  // cached until expiry
  fresh.Invalidate();                  // a 401
  EXPECT_EQ(fresh.Get().token, "t4");

  std::string leaky =
      Write("leaky.sh", "#!/bin/sh\necho 'secret-in-stdout'\nexit 3\n");
  fs::permissions(leaky, fs::perms::owner_all);
  c.exec = ExecConfig{.api_version = "client.authentication.k8s.io/v1",
                      .command = leaky,
                      .install_hint = "install it"};
  CredentialSource failing(c);
  try {
    failing.Get();
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("context \"ctx\": exec plugin"), std::string::npos) << m;
    EXPECT_NE(m.find("status 3 (install it)"), std::string::npos) << m;
    EXPECT_EQ(m.find("secret-in-stdout"), std::string::npos) << m;
  }
}

TEST(Rfc3339, parses_zulu_fractions_and_offsets) {
  using namespace std::chrono;
  auto z = ParseRfc3339("2026-01-02T03:04:05Z");
  ASSERT_TRUE(z);
  EXPECT_EQ(duration_cast<seconds>(z->time_since_epoch()).count(),
            1767323045);  // date -d
  auto off = ParseRfc3339("2026-01-02T05:04:05.123+02:00");
  ASSERT_TRUE(off);
  EXPECT_EQ(duration_cast<seconds>(off->time_since_epoch()).count(),
            1767323045);
  EXPECT_FALSE(ParseRfc3339("2026-01-02 03:04"));
  EXPECT_FALSE(ParseRfc3339("2026-01-02T03:04:05"));
}

TEST(Base64, decodes_standard_alphabet_and_rejects_garbage) {
  EXPECT_EQ(DecodeBase64("aGVsbG8=", "f"), "hello");
  EXPECT_EQ(DecodeBase64("aGVs\nbG8h", "f"), "hello!");
  EXPECT_THROW(DecodeBase64("a$b=", "f"), Error);
}

}  // namespace
}  // namespace podpower::kube
