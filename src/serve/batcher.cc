#include "serve/batcher.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <thread>

namespace podpower::serve {

struct PredictionBatcher::Job {
  const predict::Predictor* predictor;
  const io::InferenceRequest* record;
  std::optional<predict::WorkloadPrediction> result;
  std::exception_ptr error;
  bool done = false;
};

PredictionBatcher::PredictionBatcher(size_t max_batch, size_t max_running,
                                     Metrics* metrics)
    : max_batch_(std::max<size_t>(max_batch, 1)),
      max_running_(
          max_running > 0
              ? max_running
              : std::max<unsigned>(std::thread::hardware_concurrency(), 1)),
      metrics_(metrics) {}

void PredictionBatcher::Run(const std::vector<Job*>& batch) {
  if (metrics_ != nullptr) metrics_->ObserveBatch(batch.size());
  std::vector<io::InferenceRequest> records;
  records.reserve(batch.size());
  for (const Job* job : batch) records.push_back(*job->record);
  try {
    auto predictions = batch.front()->predictor->Predict(records);
    for (size_t i = 0; i < batch.size(); ++i)
      batch[i]->result = std::move(predictions[i]);
    return;
  } catch (const std::exception&) {
    if (batch.size() == 1) {
      batch.front()->error = std::current_exception();
      return;
    }
  }
  // One bad record must not fail its neighbours: predict one by one so each
  // request gets its own answer or error.
  for (Job* job : batch) {
    try {
      job->result = job->predictor->Predict({*job->record}).at(0);
    } catch (const std::exception&) {
      job->error = std::current_exception();
    }
  }
}

predict::WorkloadPrediction PredictionBatcher::Predict(
    const predict::Predictor& predictor, const io::InferenceRequest& record) {
  Job job{&predictor, &record, std::nullopt, nullptr, false};
  std::unique_lock lock(mutex_);
  queue_.push_back(&job);
  while (!job.done) {
    if (running_ < max_running_ && !queue_.empty()) {
      // Lead a batch: the oldest job's predictor and every queued job that
      // uses the same one (a reload may leave two predictors in the queue).
      const predict::Predictor* p = queue_.front()->predictor;
      std::vector<Job*> batch;
      for (auto it = queue_.begin();
           it != queue_.end() && batch.size() < max_batch_;) {
        if ((*it)->predictor == p) {
          batch.push_back(*it);
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      ++running_;
      lock.unlock();
      Run(batch);
      lock.lock();
      --running_;
      for (Job* j : batch) j->done = true;
      done_.notify_all();
      continue;
    }
    done_.wait(lock);
  }
  lock.unlock();
  if (job.error) std::rethrow_exception(job.error);
  return std::move(*job.result);
}

}  // namespace podpower::serve
