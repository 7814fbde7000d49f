// Error scores of a set of predictions against true labels, as reported by
// `podpower evaluate`.
//
// MAE, RMSE and R² follow scikit-learn 1.2.1 (mean_absolute_error,
// mean_squared_error(squared=False), r2_score). MAPE is sklearn's
// mean_absolute_percentage_error restricted to labels above `mape_floor`
// (labels near zero make percentages meaningless), and says how many labels it
// used. Pure functions, thread-safe.
#ifndef PODPOWER_EVALUATE_ERROR_METRICS_H_
#define PODPOWER_EVALUATE_ERROR_METRICS_H_

#include <cstddef>
#include <vector>

namespace podpower::evaluate {

struct ErrorMetrics {
  size_t n = 0;
  double mae = 0;
  double rmse = 0;
  double mape = 0;    // fraction (0.25 = 25%); NaN when mape_n == 0
  size_t mape_n = 0;  // labels > mape_floor that MAPE averages over
  double r2 = 0;      // NaN for n < 2
};

// Over the rows where `mask` is nonzero (all rows when mask is empty). Sizes
// must match; no rows gives n = 0 and NaN scores.
ErrorMetrics ComputeErrors(const std::vector<double>& truth,
                           const std::vector<double>& predicted,
                           double mape_floor,
                           const std::vector<char>& mask = {});

}  // namespace podpower::evaluate

#endif  // PODPOWER_EVALUATE_ERROR_METRICS_H_
