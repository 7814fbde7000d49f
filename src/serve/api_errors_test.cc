// Error answers of the prediction API are valid JSON whatever the client sent:
// a parser's message may quote the offending bytes, and bytes that are not
// UTF-8 must not turn a 400 into a 500 (found by bench/serve_hostile.sh).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

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

}  // namespace
}  // namespace podpower::serve
