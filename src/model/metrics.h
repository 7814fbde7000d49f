// Regression scores as scikit-learn 1.2.1 computes them (mean_absolute_error,
// r2_score with force_finite=True). Pure functions, thread-safe; sizes must
// match (checked by the caller).
#ifndef PODPOWER_MODEL_METRICS_H_
#define PODPOWER_MODEL_METRICS_H_

#include <vector>

namespace podpower::model {

double MeanAbsoluteError(const std::vector<double>& truth,
                         const std::vector<double>& predicted);

// 1 - SS_res / SS_tot. Fewer than 2 samples -> NaN (sklearn warns "not
// well-defined"); constant truth -> 1.0 if predicted perfectly, else 0.0.
double R2Score(const std::vector<double>& truth,
               const std::vector<double>& predicted);

double Mean(const std::vector<double>& values);
// numpy's np.std (ddof=0).
double PopulationStd(const std::vector<double>& values);
// numpy's np.median (the mean of the middle two of an even count); 0 when
// empty.
double Median(std::vector<double> values);
// numpy's np.quantile with linear interpolation, q in [0, 1]; 0 when empty.
double Quantile(std::vector<double> values, double q);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_METRICS_H_
