#include "evaluate/error_metrics.h"

#include <cmath>
#include <limits>

#include "model/metrics.h"

namespace podpower::evaluate {

ErrorMetrics ComputeErrors(const std::vector<double>& truth,
                           const std::vector<double>& predicted,
                           double mape_floor, const std::vector<char>& mask) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> t, p;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (!mask.empty() && !mask[i]) continue;
    t.push_back(truth[i]);
    p.push_back(predicted[i]);
  }
  ErrorMetrics m;
  m.n = t.size();
  if (m.n == 0) {
    m.mae = m.rmse = m.mape = m.r2 = nan;
    return m;
  }
  double abs_sum = 0, sq_sum = 0, pct_sum = 0;
  for (size_t i = 0; i < m.n; ++i) {
    const double e = t[i] - p[i];
    abs_sum += std::fabs(e);
    sq_sum += e * e;
    if (t[i] > mape_floor) {
      pct_sum += std::fabs(e) / std::fabs(t[i]);
      ++m.mape_n;
    }
  }
  const double n = static_cast<double>(m.n);
  m.mae = abs_sum / n;
  m.rmse = std::sqrt(sq_sum / n);
  m.mape = m.mape_n ? pct_sum / static_cast<double>(m.mape_n) : nan;
  m.r2 = model::R2Score(t, p);
  return m;
}

}  // namespace podpower::evaluate
