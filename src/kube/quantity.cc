#include "kube/quantity.h"

#include <array>
#include <cstdint>
#include <limits>
#include <utility>

#include "io/error.h"

namespace podpower::kube {
namespace {

using i128 = __int128;

constexpr i128 kNanoPerUnit = 1000000000;

struct ParseFailure {
  std::string reason;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string ToDecimal(i128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  // Work on the negative side so the minimum value has no overflow.
  if (!negative) v = -v;
  std::string digits;
  while (v != 0) {
    digits += static_cast<char>('0' - static_cast<int>(v % 10));
    v /= 10;
  }
  if (negative) digits += '-';
  return {digits.rbegin(), digits.rend()};
}

i128 Pow10(int n) {
  i128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

// Digits → integer; false when it does not fit.
bool DigitsToInt(std::string_view digits, i128* out) {
  i128 v = 0;
  for (char c : digits) {
    if (__builtin_mul_overflow(v, static_cast<i128>(10), &v) ||
        __builtin_add_overflow(v, static_cast<i128>(c - '0'), &v)) {
      return false;
    }
  }
  *out = v;
  return true;
}

// apimachinery's parseQuantityString: splits sign, integer digits, fraction
// digits and suffix.
struct Parts {
  bool positive = true;
  std::string_view num;  // leading zeros stripped; may be empty (= 0)
  std::string_view denom;
  std::string_view suffix;
};

Parts Split(std::string_view s) {
  Parts p;
  size_t pos = 0;
  const size_t end = s.size();
  if (pos < end && (s[0] == '-' || s[0] == '+')) {
    p.positive = s[0] == '+';
    ++pos;
  }
  while (pos < end && s[pos] == '0') ++pos;
  if (pos >= end)
    return p;  // only zeros (or only a sign): zero, as the API server reads it
  size_t start = pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  p.num = s.substr(start, pos - start);
  if (pos >= end) return p;
  if (s[pos] == '.') {
    ++pos;
    start = pos;
    while (pos < end && IsDigit(s[pos])) ++pos;
    p.denom = s.substr(start, pos - start);
    if (pos >= end) return p;
  }
  const size_t suffix_start = pos;
  static constexpr std::string_view kSuffixChars = "eEinumkKMGTP";
  while (pos < end && kSuffixChars.find(s[pos]) != std::string_view::npos)
    ++pos;
  if (pos < end && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos < end) {
    throw ParseFailure{
        "unexpected character '" + std::string(1, s[pos]) +
        "', expected <number><suffix> with a suffix of n u m k M G T P E, "
        "Ki Mi Gi Ti Pi Ei or e<exponent>"};
  }
  p.suffix = s.substr(suffix_start);
  return p;
}

struct Suffix {
  int base;  // 10 or 2
  int exponent;
  QuantityFormat format;
};

Suffix InterpretSuffix(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, int>, 10> kDecimal = {
      {{"n", -9},
       {"u", -6},
       {"m", -3},
       {"", 0},
       {"k", 3},
       {"M", 6},
       {"G", 9},
       {"T", 12},
       {"P", 15},
       {"E", 18}}};
  static constexpr std::array<std::pair<std::string_view, int>, 6> kBinary = {
      {{"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}}};
  for (const auto& [name, exp] : kDecimal) {
    if (s == name) return {10, exp, QuantityFormat::kDecimalSI};
  }
  for (const auto& [name, exp] : kBinary) {
    if (s == name) return {2, exp, QuantityFormat::kBinarySI};
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    std::string_view digits = s.substr(1);
    bool negative = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    i128 v = 0;
    if (!digits.empty() && DigitsToInt(digits, &v) &&
        v <= std::numeric_limits<int32_t>::max()) {
      int exp = static_cast<int>(v);
      return {10, negative ? -exp : exp, QuantityFormat::kDecimalExponent};
    }
  }
  throw ParseFailure{"unknown suffix \"" + std::string(s) +
                     "\", expected one of n u m k M G T P E, Ki Mi Gi Ti Pi Ei "
                     "or e<exponent>"};
}

const ParseFailure kTooLarge{
    "out of range: podpower handles magnitudes up to about 1.7e29"};

// |value| in nano-units, rounded up in magnitude; `digits` has no leading
// zeros.
i128 NanoMagnitude(std::string_view digits, size_t frac_len,
                   const Suffix& suffix) {
  if (digits.empty()) return 0;
  if (suffix.base == 10) {
    long long p = static_cast<long long>(suffix.exponent) + 9 -
                  static_cast<long long>(frac_len);
    if (p >= 0) {
      i128 d;
      if (p > 38 || !DigitsToInt(digits, &d)) throw kTooLarge;
      i128 out;
      if (__builtin_mul_overflow(d, Pow10(static_cast<int>(p)), &out))
        throw kTooLarge;
      return out;
    }
    size_t k = static_cast<size_t>(-p);
    if (k >= digits.size())
      return 1;  // non-zero and finer than 1n: rounds up to 1n
    std::string_view kept = digits.substr(0, digits.size() - k);
    std::string_view rest = digits.substr(digits.size() - k);
    i128 out;
    if (!DigitsToInt(kept, &out)) throw kTooLarge;
    if (rest.find_first_not_of('0') != std::string_view::npos) ++out;
    return out;
  }
  // Binary: digits × 2^exponent × 10^(9 - frac_len).
  i128 d;
  if (!DigitsToInt(digits, &d)) throw kTooLarge;
  const i128 two = static_cast<i128>(1) << suffix.exponent;
  long long p = 9 - static_cast<long long>(frac_len);
  if (p >= 0) {
    i128 out;
    if (__builtin_mul_overflow(d, two, &out) ||
        __builtin_mul_overflow(out, Pow10(static_cast<int>(p)), &out)) {
      throw kTooLarge;
    }
    return out;
  }
  size_t k = static_cast<size_t>(-p);
  if (k > 19)
    throw ParseFailure{
        "too many fractional digits for a binary suffix (at most 28)"};
  const i128 scale = Pow10(static_cast<int>(k));
  i128 q = d / scale, r = d % scale, out;
  if (__builtin_mul_overflow(q, two, &out)) throw kTooLarge;
  i128 frac = r * two;  // r < 10^19, two <= 2^60: fits
  out += frac / scale + (frac % scale != 0 ? 1 : 0);
  return out;
}

i128 Abs(i128 v) { return v < 0 ? -v : v; }

int64_t Saturate(i128 v) {
  if (v > std::numeric_limits<int64_t>::max())
    return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min())
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

// Divides rounding up in magnitude (away from zero).
i128 DivideAwayFromZero(i128 v, i128 divisor) {
  i128 m = Abs(v);
  i128 q = m / divisor + (m % divisor != 0 ? 1 : 0);
  return v < 0 ? -q : q;
}

}  // namespace

std::optional<Quantity> Quantity::TryParse(std::string_view text,
                                           std::string* error) {
  try {
    if (text.empty())
      throw ParseFailure{"empty, expected a quantity such as 500m or 1Gi"};
    Quantity q;
    if (text == "0") return q;
    Parts parts = Split(text);
    Suffix suffix = InterpretSuffix(parts.suffix);
    std::string digits = std::string(parts.num) + std::string(parts.denom);
    size_t first = digits.find_first_not_of('0');
    digits = first == std::string::npos ? "" : digits.substr(first);
    i128 magnitude = NanoMagnitude(digits, parts.denom.size(), suffix);
    q.format_ = suffix.format;
    if (q.format_ == QuantityFormat::kBinarySI) {
      const i128 max =
          static_cast<i128>(std::numeric_limits<int64_t>::max()) * kNanoPerUnit;
      if (magnitude > max) magnitude = max;
      if (magnitude > 0 && magnitude < kNanoPerUnit)
        q.format_ = QuantityFormat::kDecimalSI;
    }
    q.nano_ = parts.positive ? magnitude : -magnitude;
    return q;
  } catch (const ParseFailure& f) {
    if (error != nullptr) *error = f.reason;
    return std::nullopt;
  }
}

Quantity Quantity::Parse(std::string_view text) {
  std::string error;
  auto q = TryParse(text, &error);
  if (!q) throw Error("quantity \"" + std::string(text) + "\": " + error);
  return *q;
}

int64_t Quantity::Value() const {
  return Saturate(DivideAwayFromZero(nano_, kNanoPerUnit));
}

int64_t Quantity::MilliValue() const {
  return Saturate(DivideAwayFromZero(nano_, 1000000));
}

int64_t Quantity::DivideTruncated(int64_t divisor) const {
  return Saturate(nano_ / (static_cast<i128>(divisor) * kNanoPerUnit));
}

std::string Quantity::ToString() const {
  if (nano_ == 0) return "0";
  const std::string sign = nano_ < 0 ? "-" : "";
  const i128 m = Abs(nano_);
  QuantityFormat format = format_;
  if (format == QuantityFormat::kBinarySI &&
      (m < 1024 * kNanoPerUnit || m % kNanoPerUnit != 0)) {
    format = QuantityFormat::kDecimalSI;  // small or fractional: binary would
                                          // need rounding
  }
  if (format == QuantityFormat::kBinarySI) {
    static constexpr std::array<std::string_view, 7> kNames = {
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    i128 v = m / kNanoPerUnit;
    size_t exp = 0;
    while (exp + 1 < kNames.size() && v % 1024 == 0) {
      v /= 1024;
      ++exp;
    }
    return sign + ToDecimal(v) + std::string(kNames[exp]);
  }
  i128 mantissa = m;
  int exponent = -9;
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++exponent;
  }
  // Lower the exponent to a multiple of 3 (C++ % truncates like Go's).
  while (exponent % 3 != 0) {
    mantissa *= 10;
    --exponent;
  }
  if (format == QuantityFormat::kDecimalSI && exponent > 18) {
    // No SI suffix above E: keep E and widen the mantissa.
    mantissa *= Pow10(exponent - 18);
    exponent = 18;
  }
  std::string out = sign;
  out += ToDecimal(mantissa);
  if (format == QuantityFormat::kDecimalExponent) {
    if (exponent != 0) {
      out += 'e';
      out += std::to_string(exponent);
    }
    return out;
  }
  static constexpr std::array<std::string_view, 10> kSi = {
      "n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  out += kSi[(exponent + 9) / 3];
  return out;
}

int64_t MilliCpu(const Quantity& cpu) { return cpu.MilliValue(); }

int64_t MebibytesTruncated(const Quantity& memory) {
  return memory.DivideTruncated(int64_t{1} << 20);
}

}  // namespace podpower::kube
