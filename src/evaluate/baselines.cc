#include "evaluate/baselines.h"

#include <algorithm>
#include <map>

namespace podpower::evaluate {

std::string BaselineName(Baseline baseline) {
  switch (baseline) {
    case Baseline::kTrainingMean:
      return "training mean";
    case Baseline::kTrainingMedian:
      return "training median";
    case Baseline::kFamilyMedian:
      return "per-family median";
    case Baseline::kCpuLine:
    default:
      return "linear on CPU request";
  }
}

std::vector<double> PredictBaseline(Baseline baseline, const BaselineInputs& in,
                                    const std::vector<size_t>& train,
                                    const std::vector<size_t>& test) {
  std::vector<double> y;
  y.reserve(train.size());
  for (size_t i : train) y.push_back(in.labels[i]);
  double mean = 0;
  for (double v : y) mean += v;
  mean /= static_cast<double>(y.size());
  switch (baseline) {
    case Baseline::kTrainingMean:
      return std::vector<double>(test.size(), mean);
    case Baseline::kTrainingMedian:
      return std::vector<double>(test.size(), Median(y));
    case Baseline::kFamilyMedian: {
      std::map<std::string, std::vector<double>> by_family;
      for (size_t i : train) {
        if (!in.families[i].empty())
          by_family[in.families[i]].push_back(in.labels[i]);
      }
      std::map<std::string, double> median;
      for (auto& [family, labels] : by_family)
        median[family] = Median(std::move(labels));
      const double fallback = Median(y);
      std::vector<double> out;
      for (size_t i : test) {
        auto it = median.find(in.families[i]);
        out.push_back(it == median.end() ? fallback : it->second);
      }
      return out;
    }
    case Baseline::kCpuLine:
    default: {
      double x_mean = 0;
      for (size_t i : train) x_mean += in.cpu[i];
      x_mean /= static_cast<double>(train.size());
      double sxx = 0, sxy = 0;
      for (size_t i : train) {
        sxx += (in.cpu[i] - x_mean) * (in.cpu[i] - x_mean);
        sxy += (in.cpu[i] - x_mean) * (in.labels[i] - mean);
      }
      const double slope = sxx > 0 ? sxy / sxx : 0;
      std::vector<double> out;
      for (size_t i : test) out.push_back(mean + slope * (in.cpu[i] - x_mean));
      return out;
    }
  }
}

}  // namespace podpower::evaluate
