// Every example of kubernetes-reference.md §1–2 (taken from apimachinery's
// quantity.go and quantity_test.go) is the oracle here: inputs and expected
// outputs come from the API server's own documentation and tests, not from this
// code.
#include "kube/quantity.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "io/error.h"

namespace podpower::kube {
namespace {

struct CanonicalCase {
  const char* input;
  const char* canonical;
};

TEST(Quantity, canonical_form_matches_reference_table) {
  const CanonicalCase cases[] = {
      {"0.5", "500m"},     {"1.5", "1500m"},  {"1.08", "1080m"},
      {"100m", "100m"},    {"0.1m", "100u"},  {"1000M", "1G"},
      {"1.5Gi", "1536Mi"}, {"1024Mi", "1Gi"}, {"0.5Gi", "512Mi"},
      {".001Ki", "1024m"}, {"1e3", "1e3"},    {"-1.5Gi", "-1536Mi"},
      {"0", "0"},          {"-0", "0"},       {"000", "0"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Quantity::Parse(c.input).ToString(), c.canonical) << c.input;
  }
}

TEST(Quantity, finer_than_nano_rounds_up_in_magnitude) {
  EXPECT_EQ(Quantity::Parse("0.0000000001").ToString(), "1n");
  EXPECT_EQ(Quantity::Parse("3.001n").ToString(), "4n");
  EXPECT_EQ(Quantity::Parse("0.00000012345").ToString(), "124n");
  EXPECT_EQ(Quantity::Parse("-3.001n").ToString(), "-4n");
}

TEST(Quantity, small_binary_value_switches_to_decimal_si) {
  Quantity q = Quantity::Parse("0.000000000001Ki");
  EXPECT_EQ(q.ToString(), "2n");
  EXPECT_EQ(q.format(), QuantityFormat::kDecimalSI);
}

TEST(Quantity, binary_values_above_int64_are_clamped) {
  Quantity q = Quantity::Parse("9Ei");
  EXPECT_EQ(q.Value(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(q.ToString(), std::to_string(std::numeric_limits<int64_t>::max()));
}

TEST(Quantity, lenient_number_forms_are_valid) {
  EXPECT_EQ(Quantity::Parse("1.").ToString(), "1");
  EXPECT_EQ(Quantity::Parse(".5").ToString(), "500m");
  EXPECT_EQ(Quantity::Parse("1.G").ToString(), "1G");
  EXPECT_EQ(Quantity::Parse("+1").ToString(), "1");
  EXPECT_EQ(Quantity::Parse("1E").ToString(),
            "1E");  // a lone E is exa, not an exponent
  EXPECT_EQ(Quantity::Parse("1E3").format(), QuantityFormat::kDecimalExponent);
}

TEST(Quantity, value_and_milli_value_round_up_away_from_zero) {
  EXPECT_EQ(Quantity::Parse("100m").Value(), 1);
  EXPECT_EQ(Quantity::Parse("1u").MilliValue(), 1);
  EXPECT_EQ(Quantity::Parse("0.1").MilliValue(), 100);
  EXPECT_EQ(Quantity::Parse("1.5").MilliValue(), 1500);
  EXPECT_EQ(Quantity::Parse("-100m").Value(), -1);
  EXPECT_EQ(Quantity::Parse("2").Value(), 2);
}

TEST(Quantity, invalid_inputs_from_apimachinery_tests_are_rejected) {
  const char* invalid[] = {"1.1.M", "1+1.0M", "0.1mi",  "0.1am",   "aoeu",
                           ".5i",   "1i",     "-3.01i", "-3.01e-", "1K",
                           "1e",    "",       " 1",     "1 "};
  for (const char* s : invalid) {
    std::string error;
    EXPECT_FALSE(Quantity::TryParse(s, &error).has_value()) << '"' << s << '"';
    EXPECT_FALSE(error.empty()) << s;
    EXPECT_THROW(Quantity::Parse(s), podpower::Error) << s;
  }
}

TEST(Quantity, error_message_names_the_input_and_what_was_expected) {
  try {
    Quantity::Parse("1K");
    FAIL() << "1K parsed";
  } catch (const podpower::Error& e) {
    EXPECT_EQ(
        std::string(e.what()).find("quantity \"1K\": unknown suffix \"K\""), 0u)
        << e.what();
  }
}

TEST(Quantity, memory_in_mib_uses_exact_bytes_truncated) {
  // 500M = 500,000,000 bytes = 476.8 MiB; the original read it as 500.
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("500M")), 476);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("128Ki")), 0);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("128Mi")), 128);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("1Gi")), 1024);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("1.5Mi")), 1);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("1e9")),
            953);  // 10^9 / 2^20 = 953.67
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("1048576")), 1);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("134217728")), 128);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("1G")), 953);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("1536Ki")), 1);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("1Pi")), 1073741824);
  EXPECT_EQ(MebibytesTruncated(Quantity::Parse("1E")), 953674316406);
}

TEST(Quantity, cpu_in_millicores_rounds_up) {
  EXPECT_EQ(MilliCpu(Quantity::Parse("100m")), 100);
  EXPECT_EQ(MilliCpu(Quantity::Parse("0.5")), 500);
  EXPECT_EQ(MilliCpu(Quantity::Parse("2")), 2000);
  EXPECT_EQ(MilliCpu(Quantity::Parse("250u")), 1);
  EXPECT_EQ(MilliCpu(Quantity::Parse("1e-3")), 1);
  EXPECT_EQ(MilliCpu(Quantity::Parse("1n")), 1);
  EXPECT_EQ(MilliCpu(Quantity::Parse("0.5m")), 1);
  EXPECT_EQ(MilliCpu(Quantity::Parse("2k")), 2000000);
}

TEST(Quantity, huge_decimal_values_are_rejected_not_wrapped) {
  EXPECT_THROW(Quantity::Parse("1e40"), podpower::Error);
  EXPECT_EQ(Quantity::Parse("0e100").ToString(), "0");
}

}  // namespace
}  // namespace podpower::kube
