#include "prom/response.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "io/error.h"

namespace podpower::prom {
namespace {

// Bodies below are copied from Prometheus 2.42 answers (docs/querying/api.md
// shapes).
TEST(ParseQueryResponse, matrix_with_string_values_and_fractional_timestamps) {
  auto r = ParseQueryResponse(
      R"({"status":"success","data":{"resultType":"matrix","result":[)"
      R"({"metric":{"pod_name":"web-abc","__name__":"x"},"values":[[1795820910,"269812.5"],[1795820963.682,"NaN"],[1795820970,"+Inf"]]}]}})",
      "test");
  EXPECT_EQ(r.result_type, "matrix");
  ASSERT_EQ(r.series.size(), 1u);
  const Series& s = r.series[0];
  EXPECT_EQ(s.Label("pod_name"), "web-abc");
  EXPECT_EQ(s.Label("__name__"), "x");
  EXPECT_EQ(s.Label("absent"), "");
  EXPECT_EQ(s.labels.front().first, "__name__") << "labels are sorted";
  ASSERT_EQ(s.samples.size(), 3u);
  EXPECT_DOUBLE_EQ(s.samples[0].value, 269812.5);
  EXPECT_DOUBLE_EQ(s.samples[1].ts, 1795820963.682);
  EXPECT_TRUE(std::isnan(s.samples[1].value));
  EXPECT_TRUE(std::isinf(s.samples[2].value));
}

TEST(ParseQueryResponse, numbers_parse_exactly_like_from_chars) {
  // Timestamps and values in every shape Prometheus writes (and some it does
  // not): each must give the very double from_chars gives.
  std::vector<std::string> texts = {"0",
                                    "-0",
                                    "1",
                                    "0.1",
                                    "0.3",
                                    "1761840015.123",
                                    "1761840015.5",
                                    "269812.5",
                                    "123456789012345",
                                    "1234567890123456",
                                    "0.000000000000001",
                                    "99999999999999.9",
                                    "12345678.9012345678",
                                    "1e3",
                                    "-2.5E-3",
                                    "4.35",
                                    "0.30000000000000004",
                                    "5e-324",
                                    "1.7976931348623157e308"};
  uint64_t x = 88172645463325252ull;  // xorshift: reproducible
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const int frac = static_cast<int>(x % 16);
    const std::string digits = std::to_string(x % 10000000000000000ull);
    std::string text = (x >> 60) % 2 ? "-" : "";
    const size_t point = frac > 0 && frac < static_cast<int>(digits.size())
                             ? digits.size() - static_cast<size_t>(frac)
                             : digits.size();
    text.append(digits, 0, point);
    if (point < digits.size()) text.append(".").append(digits, point);
    texts.push_back(text);
  }
  std::string body =
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[)";
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i) body += ',';
    body += "[" + texts[i] + ",\"" + texts[i] + "\"]";
  }
  body += "]}]}}";
  auto r = ParseQueryResponse(body, "t");
  ASSERT_EQ(r.series.size(), 1u);
  ASSERT_EQ(r.series[0].samples.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    double expected = 0;
    std::from_chars(texts[i].data(), texts[i].data() + texts[i].size(),
                    expected);
    const Sample& s = r.series[0].samples[i];
    EXPECT_EQ(std::memcmp(&s.ts, &expected, sizeof expected), 0) << texts[i];
    EXPECT_EQ(std::memcmp(&s.value, &expected, sizeof expected), 0) << texts[i];
  }
}

TEST(ParseQueryResponse, vector_scalar_and_empty_results) {
  auto v = ParseQueryResponse(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"\u00e9\n"},"value":[10,"-Inf"]}]},"warnings":["w1"]})",
      "t");
  ASSERT_EQ(v.series.size(), 1u);
  EXPECT_EQ(v.series[0].Label("a"), "\xc3\xa9\n");
  EXPECT_LT(v.series[0].samples[0].value, 0);
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_EQ(v.warnings[0], "w1");
  auto s = ParseQueryResponse(
      R"({"status":"success","data":{"resultType":"scalar","result":[10.5,"3"]}})",
      "t");
  ASSERT_EQ(s.series.size(), 1u);
  EXPECT_DOUBLE_EQ(s.series[0].samples[0].value, 3);
  auto e = ParseQueryResponse(
      R"({"status":"success","data":{"resultType":"matrix","result":[],"stats":{"x":[1,{"y":null}]}},"extra":true})",
      "t");
  EXPECT_TRUE(e.series.empty());
}

TEST(ParseQueryResponse, error_envelope_is_surfaced_verbatim) {
  const std::string body =
      R"({"status":"error","errorType":"bad_data","error":"1:39: parse error: unclosed left parenthesis"})";
  try {
    ParseQueryResponse(body, "q");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "q: bad_data: 1:39: parse error: unclosed left parenthesis");
  }
  auto api = ParseApiError(body);
  ASSERT_TRUE(api);
  EXPECT_EQ(api->error_type, "bad_data");
  EXPECT_FALSE(ParseApiError("<html>502 Bad Gateway</html>"));
  EXPECT_FALSE(ParseApiError(R"({"status":"success","data":[]})"));
}

TEST(ParseQueryResponse, truncated_or_html_bodies_are_one_line_errors) {
  for (
      const char* body :
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2"])",
       "<html><body>bad gateway</body></html>", "", R"({"status":"success"})",
       R"({"status":"success","data":{"result":[{"metric":{},"value":[1,"abc"]}]}})"}) {
    try {
      ParseQueryResponse(body, "where");
      ADD_FAILURE() << "accepted: " << body;
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_EQ(m.rfind("where: malformed response", 0), 0u) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos);
    }
  }
}

TEST(ParseStringData, label_values) {
  auto v = ParseStringData(
      R"({"status":"success","data":["kepler_a","kepler_b"]})", "t");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1], "kepler_b");
}

// Both parsers share the envelope handling; each is pinned on its own so the
// shared code cannot drift for one of them.
std::string ErrorOfParse(bool string_data, const std::string& body) {
  try {
    if (string_data) {
      ParseStringData(body, "w");
    } else {
      ParseQueryResponse(body, "w");
    }
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ParseStringData, error_envelope_is_surfaced_verbatim) {
  EXPECT_EQ(ErrorOfParse(true, R"({"status":"error","errorType":"bad_data",)"
                               R"("error":"invalid label name"})"),
            "w: bad_data: invalid label name");
}

TEST(ParseStringData, status_other_than_success_is_malformed) {
  EXPECT_EQ(ErrorOfParse(true, R"({"status":"pending","data":[]})"),
            "w: malformed response: status is 'pending', expected 'success'");
  EXPECT_EQ(ErrorOfParse(true, R"({"data":["a"]})"),
            "w: malformed response: status is '', expected 'success'");
}

TEST(ParseStringData, truncated_body_names_the_byte) {
  EXPECT_EQ(ErrorOfParse(true, R"({"status":"success","data":["a")"),
            "w: malformed response: unexpected end of body at byte 31");
  EXPECT_EQ(ErrorOfParse(true, "{}"),
            "w: malformed response: empty object at byte 2");
}

TEST(ParseQueryResponse, status_other_than_success_is_malformed) {
  EXPECT_EQ(ErrorOfParse(false,
                         R"({"status":"pending","data":{"resultType":"vector",)"
                         R"("result":[]}})"),
            "w: malformed response: status is 'pending', expected 'success'");
}

TEST(ParseSeriesData, label_sets_sorted_without_samples_errors_verbatim) {
  auto series = ParseSeriesData(
      R"({"status":"success","data":[{"pod":"a","__name__":"m","ns":"x"},)"
      R"({"__name__":"m","pod":"b"}],"warnings":["w"]})",
      "t");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].labels.front().first, "__name__");
  EXPECT_EQ(series[0].Label("pod"), "a");
  EXPECT_EQ(series[0].Label("ns"), "x");
  EXPECT_EQ(series[1].Label("pod"), "b");
  EXPECT_TRUE(series[0].samples.empty());
  EXPECT_TRUE(
      ParseSeriesData(R"({"status":"success","data":[]})", "t").empty());
  EXPECT_THROW(ParseSeriesData(R"({"status":"success","data":[1]})", "t"),
               Error);
  try {
    ParseSeriesData(
        R"({"status":"error","errorType":"bad_data","error":"no match[]"})",
        "where");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "where: bad_data: no match[]");
  }
}

}  // namespace
}  // namespace podpower::prom
