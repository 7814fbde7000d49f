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
  // Signalled when the job is done, or when it is first in the queue and a
  // batch slot has freed up: each wake-up has one addressee, so a finished
  // batch does not stir every waiting request thread.
  std::condition_variable wake;
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
  Job job{&predictor, &record, std::nullopt, nullptr, false, {}};
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
      // Jobs left behind (another predictor, or over max_batch) may use a
      // slot that is still free.
      if (!queue_.empty() && running_ < max_running_)
        queue_.front()->wake.notify_one();
      lock.unlock();
      Run(batch);
      lock.lock();
      --running_;
      for (Job* j : batch) {
        j->done = true;
        if (j != &job) j->wake.notify_one();
      }
      // The freed slot goes to the oldest waiting job, which leads the next
      // batch.
      if (!queue_.empty() && queue_.front() != &job)
        queue_.front()->wake.notify_one();
      continue;
    }
    job.wake.wait(lock);
  }
  lock.unlock();
  if (job.error) std::rethrow_exception(job.error);
  return std::move(*job.result);
}

}  // namespace podpower::serve
