#include "serve/watts.h"

#include <fmt/format.h>

namespace podpower::serve {

std::optional<double> WattsPerPod(double value, const std::string& target,
                                  double step_seconds) {
  if (target == "avg_power_w") return value;
  if (target == "energy_step_j" && step_seconds > 0)
    return value / step_seconds;
  return std::nullopt;
}

std::string FormatWatts(double watts) {
  std::string text = fmt::format("{:.3f}", watts);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

}  // namespace podpower::serve
