// The two backends of `predict`: a server's PredictOut read back gives the
// same prediction (and the same printed table) as the local one it was made
// from, the choice between server and artifacts follows flags first, then the
// environment, and a server that cannot answer is named in one line. The real
// `podpower serve` round trip is tests/cli/kubectl_plugin_test.sh.
#include "predict/prediction_backend.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "io/error.h"
#include "io/testing.h"
#include "predict/prediction_output.h"

namespace podpower::predict {
namespace {

using podpower::testing::ErrorOf;

WorkloadPrediction Sample(bool with_interval, bool blended) {
  WorkloadPrediction p;
  p.namespace_ = "shop";
  p.workload_kind = "Deployment";
  p.workload_name = "web";
  p.spec_hash = "0123456789abcdef";
  p.prediction.value = 0.1 + 0.2;  // not a short decimal: checks round trip
  p.prediction.label_std = 1.0 / 3;
  p.prediction.label_min = 2;
  p.prediction.label_max = 7.25;
  p.prediction.decided_by_tie = true;
  p.prediction.neighbours = {{0, "db", 0.125, 2, 0.5},
                             {3, "db", 0.5, 7.25, 0.5}};
  p.prediction.neighbour_count = 2;
  if (with_interval) {
    p.prediction.has_interval = true;
    p.prediction.interval_level = 0.8;
    p.prediction.interval_low = 0.01;
    p.prediction.interval_high = 9.5;
  }
  if (blended) {
    p.prediction.blended = true;
    for (size_t c = 0; c < model::kCandidateCount; ++c) {
      p.prediction.candidates[c] = 1.5 * static_cast<double>(c);
    }
    p.prediction.blend.w[0] = 0.25;
    p.prediction.blend.w[5] = 0.75;
    p.prediction.intensity = 11.2;
    p.prediction.new_family = true;
    p.prediction.explanation = "0.25 × knn 0 + 0.75 × global median 7.5";
  }
  return p;
}

// What serve answers for `p` (serve/api.cc PredictOut): PredictionJson's
// fields under PredictOut's names, plus the fields only serve adds.
nlohmann::json ServeAnswer(const WorkloadPrediction& p, bool with_model) {
  auto full = PredictionJson(p, "avg_power_w");
  nlohmann::ordered_json out;
  out["pred_avg_power_w"] = full["pred_avg_power_w"];
  out["workload_kind"] = p.workload_kind;
  out["workload_name"] = p.workload_name;
  out["namespace"] = p.namespace_;
  out["spec_hash"] = p.spec_hash;
  out["predicted_watts"] = p.prediction.value;
  out["model_fingerprint"] = "eb09b55728bf14a8";
  out["spread"] = full["spread"];
  if (full.contains("interval")) out["interval"] = full["interval"];
  out["decided_by_tie"] = full["decided_by_tie"];
  if (with_model && full.contains("model")) out["model"] = full["model"];
  out["neighbours"] = full["neighbours"];
  // Through text, as it travels.
  return nlohmann::json::parse(out.dump());
}

TEST(PredictionFromServeJson, gives_back_the_prediction_serve_was_given) {
  for (bool interval : {false, true}) {
    for (bool blended : {false, true}) {
      const auto p = Sample(interval, blended);
      std::string target;
      const auto back =
          PredictionFromServeJson(ServeAnswer(p, true), "answer", &target);
      EXPECT_EQ(target, "avg_power_w");
      // Every printed field, every digit: JSON numbers round-trip doubles.
      for (auto format : {Format::kTable, Format::kNdjson}) {
        EXPECT_EQ(FormatPredictions({back}, target, format),
                  FormatPredictions({p}, target, format))
            << interval << blended;
      }
    }
  }
}

TEST(PredictionFromServeJson, without_the_blend_the_table_lacks_only_its_note) {
  const auto p = Sample(true, true);
  std::string target;
  const auto back =
      PredictionFromServeJson(ServeAnswer(p, false), "answer", &target);
  EXPECT_FALSE(back.prediction.blended);
  const auto local = FormatPredictions({p}, target, Format::kTable);
  const auto remote = FormatPredictions({back}, target, Format::kTable);
  // Header and row (the first two lines) are the same; the notes differ.
  const auto rows = [](const std::string& table) {
    return table.substr(0, table.find('\n', table.find('\n') + 1));
  };
  EXPECT_EQ(rows(remote), rows(local));
  EXPECT_NE(local.find("how each prediction was made"), std::string::npos);
  EXPECT_EQ(remote.find("how each prediction was made"), std::string::npos);
}

TEST(PredictionFromServeJson, names_the_line_and_field_at_fault) {
  auto answer = ServeAnswer(Sample(false, false), false);
  answer["spread"].erase("min");
  std::string target;
  EXPECT_EQ(
      ErrorOf([&] { PredictionFromServeJson(answer, "line 3", &target); }),
      "line 3: spread: field 'min': expected a number, missing");
  answer = ServeAnswer(Sample(false, false), false);
  answer["neighbours"][1]["label"] = "x";
  EXPECT_EQ(
      ErrorOf([&] { PredictionFromServeJson(answer, "line 3", &target); }),
      "line 3: neighbours[1]: field 'label': expected a number, got "
      "\"x\"");
  answer.erase("pred_avg_power_w");
  EXPECT_EQ(
      ErrorOf([&] { PredictionFromServeJson(answer, "line 3", &target); }),
      "line 3: no pred_<target> field");
}

// Sets (or, with nullptr, unsets) variables for one test, restoring them.
class ScopedEnv {
 public:
  using Vars = std::vector<std::pair<std::string, const char*>>;
  explicit ScopedEnv(const Vars& vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name.c_str());
      saved_.emplace_back(name,
                          old ? std::optional<std::string>(old) : std::nullopt);
      if (value) {
        setenv(name.c_str(), value, 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(BackendWithEnvironment, flags_win_and_never_mix_with_the_environment) {
  ScopedEnv env(ScopedEnv::Vars{{"PODPOWER_SERVER", nullptr},
                                {"ENCODER_PATH", "/env/enc"},
                                {"MODEL_PATH", "/env/model"}});
  Backend flags;
  flags.server = "http://s:8000";
  auto b = BackendWithEnvironment(flags);
  EXPECT_EQ(b.server, "http://s:8000");
  EXPECT_EQ(b.encoder, "");  // ENCODER_PATH for serve does not leak in
  b = BackendWithEnvironment({});
  EXPECT_EQ(b.server, "");
  EXPECT_EQ(b.encoder, "/env/enc");
  EXPECT_EQ(b.model, "/env/model");
  ScopedEnv server(ScopedEnv::Vars{{"PODPOWER_SERVER", "http://env:1"}});
  b = BackendWithEnvironment({});
  EXPECT_EQ(b.server, "http://env:1");
  EXPECT_EQ(b.encoder, "");
}

TEST(PredictWorkloads, refuses_no_backend_and_two_backends) {
  Backend none;
  EXPECT_EQ(ErrorOf([&] { PredictWorkloads({}, none); }),
            "no model: give --server URL (a running podpower serve) or both "
            "--encoder and --model (or set PODPOWER_SERVER, or ENCODER_PATH "
            "and MODEL_PATH)");
  Backend both;
  both.server = "http://127.0.0.1:1";
  both.model = "m.ppknn";
  EXPECT_EQ(ErrorOf([&] { PredictWorkloads({}, both); }),
            "--server and --encoder/--model: give one (a running podpower "
            "serve, or local artifacts)");
}

TEST(PredictRemote, an_unreachable_server_is_named_in_one_line) {
  // A port that was free a moment ago and has no listener.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  const std::string message = ErrorOf([&] {
    PredictRemote("127.0.0.1:" + std::to_string(port) + "/", {},
                  std::chrono::milliseconds(5000));
  });
  EXPECT_EQ(message.rfind("POST http://127.0.0.1:" + std::to_string(port) +
                              "/predict/batch: ",
                          0),
            0u)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace podpower::predict
