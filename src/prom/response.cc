#include "prom/response.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "io/error.h"

namespace podpower::prom {
namespace {

struct ParseFailure {
  std::string what;
  size_t offset;
};

// Plain decimals of at most 15 digits ("1761840015.123", "-42", "0.5"), the
// form of nearly every Prometheus timestamp and sample value, without
// from_chars' general machinery: the digits are an exact integer (< 2^53) and
// the power of ten is exact, so the one IEEE division is correctly rounded,
// the same double from_chars returns. Returns the end of the number, or
// nullptr for anything else (exponents, more digits, no digits), which the
// caller then gives to from_chars.
const char* FastDecimal(const char* p, const char* end, double* out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3, 1e4,  1e5,
                                      1e6,  1e7,  1e8,  1e9, 1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15};
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  uint64_t mantissa = 0;
  int digits = 0;
  int fraction = 0;
  const char* start = p;
  while (p < end && *p >= '0' && *p <= '9') {
    mantissa = mantissa * 10 + static_cast<uint64_t>(*p++ - '0');
    ++digits;
  }
  if (p == start) return nullptr;
  if (p < end && *p == '.') {
    const char* frac = ++p;
    while (p < end && *p >= '0' && *p <= '9') {
      mantissa = mantissa * 10 + static_cast<uint64_t>(*p++ - '0');
      ++digits;
    }
    fraction = static_cast<int>(p - frac);
    if (fraction == 0) return nullptr;
  }
  if (digits > 15) return nullptr;
  if (p < end && (*p == 'e' || *p == 'E')) return nullptr;
  const double value = static_cast<double>(mantissa) / kPow10[fraction];
  *out = negative ? -value : value;
  return p;
}

// A minimal JSON reader over the whole body. Strings are decoded (escapes, \u
// with surrogates); numbers use from_chars.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  [[noreturn]] void Fail(const std::string& what) const {
    throw ParseFailure{what, pos_};
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      ++pos_;
    }
  }
  char Peek() {
    SkipSpace();
    if (pos_ >= text_.size()) Fail("unexpected end of body");
    return text_[pos_];
  }
  void Expect(char c) {
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  // After a value inside an object/array: true if another element follows.
  bool More(char close) {
    char c = Peek();
    if (c == ',') {
      ++pos_;
      return true;
    }
    if (c == close) {
      ++pos_;
      return false;
    }
    Fail(std::string("expected ',' or '") + close + "'");
  }
  // Opens an object/array; false if it is empty (and consumes the closing
  // bracket).
  bool Open(char open, char close) {
    Expect(open);
    if (Peek() == close) {
      ++pos_;
      return false;
    }
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }

  void String(std::string* out) {
    Expect('"');
    out->clear();
    size_t run = pos_;
    while (true) {
      if (pos_ >= text_.size()) Fail("unterminated string");
      char c = text_[pos_];
      if (c == '"') {
        out->append(text_.substr(run, pos_ - run));
        ++pos_;
        return;
      }
      if (c != '\\') {
        ++pos_;
        continue;
      }
      out->append(text_.substr(run, pos_ - run));
      if (pos_ + 1 >= text_.size()) Fail("unterminated escape");
      char e = text_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u':
          AppendUtf8(out);
          break;
        default:
          Fail("bad escape");
      }
      run = pos_;
    }
  }

  double Number() {
    SkipSpace();
    const char* begin = text_.data() + pos_;
    const char* end = text_.data() + text_.size();
    double value = 0;
    if (const char* ptr = FastDecimal(begin, end, &value)) {
      pos_ += ptr - begin;
      return value;
    }
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr == begin) Fail("expected a number");
    pos_ += ptr - begin;
    return value;
  }

  // A sample value: Prometheus sends a string ("1.5", "NaN", "+Inf"); plain
  // numbers are accepted.
  double ValueString() {
    if (Peek() != '"') return Number();
    ++pos_;
    size_t start = pos_;
    size_t close = text_.find('"', pos_);
    if (close == std::string_view::npos) Fail("unterminated string");
    std::string_view s = text_.substr(start, close - start);
    pos_ = close + 1;
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "+Inf" || s == "Inf")
      return std::numeric_limits<double>::infinity();
    if (s == "-Inf") return -std::numeric_limits<double>::infinity();
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double value = 0;
    if (FastDecimal(s.data(), s.data() + s.size(), &value) ==
        s.data() + s.size()) {
      return value;
    }
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
      pos_ = start;
      Fail("expected a sample value");
    }
    return value;
  }

  void SkipValue(int depth = 0) {
    if (depth > 64) Fail("nesting too deep");
    char c = Peek();
    if (c == '{') {
      if (!Open('{', '}')) return;
      std::string key;
      do {
        String(&key);
        Expect(':');
        SkipValue(depth + 1);
      } while (More('}'));
    } else if (c == '[') {
      if (!Open('[', ']')) return;
      do {
        SkipValue(depth + 1);
      } while (More(']'));
    } else if (c == '"') {
      std::string ignored;
      String(&ignored);
    } else if (c == 't' || c == 'f' || c == 'n') {
      for (std::string_view word : {"true", "false", "null"}) {
        if (text_.substr(pos_, word.size()) == word) {
          pos_ += word.size();
          return;
        }
      }
      Fail("unexpected literal");
    } else {
      Number();
    }
  }

 private:
  unsigned Hex4() {
    if (pos_ + 4 > text_.size()) Fail("short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        Fail("bad \\u escape");
      }
    }
    return v;
  }
  void AppendUtf8(std::string* out) {
    unsigned cp = Hex4();
    if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
      pos_ += 2;
      unsigned low = Hex4();
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Sample ReadSample(Reader& r) {
  Sample s;
  r.Expect('[');
  s.ts = r.Number();
  r.Expect(',');
  s.value = r.ValueString();
  r.Expect(']');
  return s;
}

void ReadLabels(Reader& r, Series* series) {
  if (!r.Open('{', '}')) return;
  std::string key, value;
  do {
    r.String(&key);
    r.Expect(':');
    r.String(&value);
    series->labels.emplace_back(key, value);
  } while (r.More('}'));
  std::sort(series->labels.begin(), series->labels.end());
}

void ReadSeries(Reader& r, Series* series) {
  if (!r.Open('{', '}')) return;
  std::string key;
  do {
    r.String(&key);
    r.Expect(':');
    if (key == "metric") {
      ReadLabels(r, series);
    } else if (key == "values") {
      if (r.Open('[', ']')) {
        do {
          series->samples.push_back(ReadSample(r));
        } while (r.More(']'));
      }
    } else if (key == "value") {
      series->samples.push_back(ReadSample(r));
    } else {
      r.SkipValue();  // "histograms" and extensions
    }
  } while (r.More('}'));
}

void ReadResult(Reader& r, QueryResult* out) {
  if (r.Peek() != '[') r.Fail("expected 'result' to be an array");
  if (!r.Open('[', ']')) return;
  char first = r.Peek();
  if (first != '{') {
    // scalar / string: [ts, "v"]
    Series s;
    Sample sample;
    sample.ts = r.Number();
    r.Expect(',');
    sample.value = r.ValueString();
    r.Expect(']');
    s.samples.push_back(sample);
    out->series.push_back(std::move(s));
    return;
  }
  do {
    Series s;
    ReadSeries(r, &s);
    out->series.push_back(std::move(s));
  } while (r.More(']'));
}

void ReadStrings(Reader& r, std::vector<std::string>* out) {
  if (r.Peek() != '[') {
    r.SkipValue();
    return;
  }
  if (!r.Open('[', ']')) return;
  std::string s;
  do {
    r.String(&s);
    out->push_back(s);
  } while (r.More(']'));
}

// The status fields every API response carries; the callers parse the rest.
struct Envelope {
  std::string status;
  ApiError error;

  // Reads the value of `key` when it is a status field; false otherwise (the
  // value is then still unread).
  bool Read(Reader& r, const std::string& key) {
    if (key == "status") {
      r.String(&status);
    } else if (key == "errorType") {
      r.String(&error.error_type);
    } else if (key == "error") {
      r.String(&error.error);
    } else {
      return false;
    }
    return true;
  }

  // Throws podpower::Error naming `where` unless the status is "success".
  void Check(std::string_view where) const {
    if (status == "error") {
      throw Error(std::string(where) + ": " + error.error_type + ": " +
                  error.error);
    }
    if (status != "success") {
      throw Error(std::string(where) + ": malformed response: status is '" +
                  status + "', expected 'success'");
    }
  }
};

[[noreturn]] void ThrowMalformed(std::string_view where,
                                 const ParseFailure& f) {
  throw Error(std::string(where) + ": malformed response: " + f.what +
              " at byte " + std::to_string(f.offset));
}

}  // namespace

const std::string& Series::Label(std::string_view name) const {
  static const std::string kEmpty;
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const std::pair<std::string, std::string>& l,
                                std::string_view n) { return l.first < n; });
  if (it != labels.end() && it->first == name) return it->second;
  return kEmpty;
}

std::optional<ApiError> ParseApiError(std::string_view body) {
  try {
    Reader r(body);
    if (!r.Open('{', '}')) return std::nullopt;
    std::string key, status;
    ApiError error;
    bool have_type = false;
    do {
      r.String(&key);
      r.Expect(':');
      if (key == "status" && r.Peek() == '"') {
        r.String(&status);
      } else if (key == "errorType" && r.Peek() == '"') {
        r.String(&error.error_type);
        have_type = true;
      } else if (key == "error" && r.Peek() == '"') {
        r.String(&error.error);
      } else {
        r.SkipValue();
      }
    } while (r.More('}'));
    if (status == "error" || have_type) return error;
  } catch (const ParseFailure&) {
  }
  return std::nullopt;
}

namespace {

// The success envelope whose "data" is an array; `read_data` reads that array
// (the reader is at its '['). Errors as ParseQueryResponse's.
template <typename ReadData>
void ParseArrayEnvelope(std::string_view body, std::string_view where,
                        ReadData read_data) {
  Envelope envelope;
  try {
    Reader r(body);
    if (!r.Open('{', '}')) r.Fail("empty object");
    std::string key;
    do {
      r.String(&key);
      r.Expect(':');
      if (key == "data" && r.Peek() == '[') {
        read_data(r);
      } else if (!envelope.Read(r, key)) {
        r.SkipValue();
      }
    } while (r.More('}'));
  } catch (const ParseFailure& f) {
    ThrowMalformed(where, f);
  }
  envelope.Check(where);
}

}  // namespace

std::vector<std::string> ParseStringData(std::string_view body,
                                         std::string_view where) {
  std::vector<std::string> out;
  ParseArrayEnvelope(body, where, [&](Reader& r) { ReadStrings(r, &out); });
  return out;
}

std::vector<Series> ParseSeriesData(std::string_view body,
                                    std::string_view where) {
  std::vector<Series> out;
  ParseArrayEnvelope(body, where, [&](Reader& r) {
    if (!r.Open('[', ']')) return;
    do {
      if (r.Peek() != '{') r.Fail("expected a label set");
      ReadLabels(r, &out.emplace_back());
    } while (r.More(']'));
  });
  return out;
}

QueryResult ParseQueryResponse(std::string_view body, std::string_view where) {
  QueryResult out;
  Envelope envelope;
  try {
    Reader r(body);
    if (!r.Open('{', '}')) r.Fail("empty object");
    std::string key;
    bool have_data = false;
    do {
      r.String(&key);
      r.Expect(':');
      if (key == "warnings" || key == "infos") {
        ReadStrings(r, &out.warnings);
      } else if (key == "data" && r.Peek() == '{') {
        have_data = true;
        if (r.Open('{', '}')) {
          do {
            r.String(&key);
            r.Expect(':');
            if (key == "resultType") {
              r.String(&out.result_type);
            } else if (key == "result") {
              ReadResult(r, &out);
            } else {
              r.SkipValue();  // "stats" and extensions
            }
          } while (r.More('}'));
        }
      } else if (!envelope.Read(r, key)) {
        r.SkipValue();
      }
    } while (r.More('}'));
    if (!r.AtEnd()) r.Fail("trailing data after the JSON object");
    if (envelope.status == "success" && !have_data)
      r.Fail("success without 'data'");
  } catch (const ParseFailure& f) {
    ThrowMalformed(where, f);
  }
  envelope.Check(where);
  return out;
}

}  // namespace podpower::prom
