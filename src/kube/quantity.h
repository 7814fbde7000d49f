// Kubernetes resource.Quantity ("500m", "1.5Gi", "1e3"), parsed exactly as the
// API server does.
//
// The original Python collector turned quantities into floats with its own
// suffix table, so it read "500M" as 500 MiB and dropped "1e9" or "1u".
// podpower follows apimachinery's pkg/api/resource instead: exact decimal
// arithmetic, values finer than 1n rounded up in magnitude, binary values
// clamped at 2^63-1, canonical strings as Quantity.String() prints them
// (docs/formats/inference-request.md lists where the numbers differ from the
// original's).
//
// Representation: a signed 128-bit count of nano-units, so magnitudes up to
// about 1.7e29 are exact; larger ones are rejected with an error (the API
// server would accept them; no real request or limit comes near). Quantity is a
// small value type: copyable, thread-compatible.
#ifndef PODPOWER_KUBE_QUANTITY_H_
#define PODPOWER_KUBE_QUANTITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podpower::kube {

// The suffix family a quantity was written in; it picks the canonical form's
// suffix.
enum class QuantityFormat { kDecimalSI, kBinarySI, kDecimalExponent };

class Quantity {
 public:
  Quantity() = default;  // zero, decimalSI

  // Parses `text` with apimachinery's grammar (no surrounding whitespace).
  // Throws podpower::Error "quantity \"<text>\": <reason>" where reason says
  // what was expected.
  static Quantity Parse(std::string_view text);
  // As Parse, but returns std::nullopt and sets *error (when not null) instead
  // of throwing.
  static std::optional<Quantity> TryParse(std::string_view text,
                                          std::string* error = nullptr);

  bool IsZero() const { return nano_ == 0; }
  int Sign() const { return nano_ < 0 ? -1 : (nano_ > 0 ? 1 : 0); }
  QuantityFormat format() const { return format_; }

  // The exact value in nano-units (value × 10^9).
  __int128 nano() const { return nano_; }

  // Value() and MilliValue() as in apimachinery: rounded up away from zero
  // ("100m" → 1, "1u" milli → 1). Saturate at the int64 limits instead of
  // wrapping.
  int64_t Value() const;
  int64_t MilliValue() const;

  // The value divided by `divisor`, truncated toward zero (saturating). Used
  // for bytes → MiB.
  int64_t DivideTruncated(int64_t divisor) const;

  // Canonical form: "500m", "1536Mi", "1e3", "0".
  std::string ToString() const;

  friend bool operator==(const Quantity&, const Quantity&) = default;

 private:
  __int128 nano_ = 0;
  QuantityFormat format_ = QuantityFormat::kDecimalSI;
};

// CPU in millicores for InferenceRequest's *_cpu_mcpu: MilliValue().
int64_t MilliCpu(const Quantity& cpu);

// Memory in MiB for InferenceRequest's *_mem_mib: bytes / 2^20 truncated toward
// zero, like the original's int() (so "128Ki" is 0 and "1.5Mi" is 1), but from
// the exact byte count ("500M" is 476, not 500).
int64_t MebibytesTruncated(const Quantity& memory);

}  // namespace podpower::kube

#endif  // PODPOWER_KUBE_QUANTITY_H_
