#include "io/python_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "io/error.h"

namespace podpower::io {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU16(std::string& out, uint32_t unit) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4)
    out += kHex[(unit >> shift) & 0xf];
}

// Decodes one UTF-8 sequence starting at s[i]; advances i. Rejects overlong and
// truncated forms.
uint32_t DecodeUtf8(std::string_view s, size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  int extra = 0;
  uint32_t cp = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  } else if ((b0 & 0xe0) == 0xc0) {
    extra = 1;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    extra = 2;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    extra = 3;
    cp = b0 & 0x07;
  } else {
    throw Error("invalid UTF-8 in JSON string");
  }
  if (i + extra >= s.size()) {
    throw Error("truncated UTF-8 in JSON string");
  }
  for (int k = 1; k <= extra; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) throw Error("invalid UTF-8 in JSON string");
    cp = (cp << 6) | (b & 0x3f);
  }
  i += extra + 1;
  return cp;
}

void AppendString(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = DecodeUtf8(s, i);
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (cp >= 0x20 && cp < 0x7f) {
          out += static_cast<char>(cp);
        } else if (cp < 0x10000) {
          AppendU16(out, cp);
        } else {
          uint32_t v = cp - 0x10000;
          AppendU16(out, 0xd800 | (v >> 10));
          AppendU16(out, 0xdc00 | (v & 0x3ff));
        }
    }
  }
  out += '"';
}

void Dump(std::string& out, const nlohmann::ordered_json& v, bool sort_keys) {
  using T = nlohmann::ordered_json::value_t;
  switch (v.type()) {
    case T::null:
    case T::discarded:
      out += "null";
      return;
    case T::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case T::number_integer:
      out += std::to_string(v.get<int64_t>());
      return;
    case T::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      return;
    case T::number_float:
      out += PythonFloatRepr(v.get<double>());
      return;
    case T::string:
      AppendString(out, v.get_ref<const std::string&>());
      return;
    case T::binary:
      throw Error("binary values have no JSON form");
    case T::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ", ";
        first = false;
        Dump(out, e, sort_keys);
      }
      out += ']';
      return;
    }
    case T::object: {
      std::vector<std::pair<const std::string*, const nlohmann::ordered_json*>>
          items;
      items.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it)
        items.emplace_back(&it.key(), &it.value());
      if (sort_keys) {
        // std::string compares as unsigned bytes, and UTF-8 byte order is code
        // point order.
        std::stable_sort(
            items.begin(), items.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
      }
      out += '{';
      bool first = true;
      for (const auto& [key, value] : items) {
        if (!first) out += ", ";
        first = false;
        AppendString(out, *key);
        out += ": ";
        Dump(out, *value, sort_keys);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string PythonFloatRepr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  // Shortest round-trip digits, as Python's repr() picks them.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value,
                           std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  if (exp < -4 || exp >= 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    int a = std::abs(exp);
    if (a < 10) out += '0';
    out += std::to_string(a);
    return out;
  }
  int point = exp + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out += digits;
    out.append(point - digits.size(), '0');
    out += ".0";
  } else {
    out += digits.substr(0, point);
    out += '.';
    out += digits.substr(point);
  }
  return out;
}

std::string PythonJsonDumps(const nlohmann::ordered_json& value,
                            bool sort_keys) {
  std::string out;
  Dump(out, value, sort_keys);
  return out;
}

}  // namespace podpower::io
