// Micro-batching of single-workload predictions from concurrent requests.
//
// A KNN query costs one pass over the whole training matrix, and most of that
// pass (BLAS packing the matrix) is the same for 1 query or 100. So requests
// arriving while a prediction runs wait for it to finish and are then predicted
// together in one Predictor::Predict call: under load the matrix is read once
// per batch instead of once per request, and an idle server still answers a
// lone request at once (no timer, no added delay).
//
// Thread-safe: Predict is called from every request thread. At most
// `max_running` batches run at once (one per core by default).
#ifndef PODPOWER_SERVE_BATCHER_H_
#define PODPOWER_SERVE_BATCHER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

#include "predict/predictor.h"
#include "serve/metrics.h"

namespace podpower::serve {

class PredictionBatcher {
 public:
  // max_running 0 = std::thread::hardware_concurrency().
  // `metrics` (may be null, not owned) counts batches and their sizes.
  explicit PredictionBatcher(size_t max_batch = 128, size_t max_running = 0,
                             Metrics* metrics = nullptr);

  // Same result as predictor.Predict({record})[0]; throws what it throws.
  // `predictor` must outlive the call (callers hold an Artifacts snapshot).
  predict::WorkloadPrediction Predict(const predict::Predictor& predictor,
                                      const io::InferenceRequest& record);

 private:
  struct Job;
  void Run(const std::vector<Job*>& batch);

  const size_t max_batch_;
  const size_t max_running_;
  Metrics* const metrics_;
  std::mutex mutex_;
  std::deque<Job*> queue_;  // guarded by mutex_
  size_t running_ = 0;      // guarded by mutex_
};

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_BATCHER_H_
