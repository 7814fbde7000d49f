#include "model/knn.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

#include "io/error.h"

// OpenBLAS's Fortran interface (column-major). Declared here so no cblas header
// flavour matters.
extern "C" void sgemm_(const char* transa, const char* transb, const int* m,
                       const int* n, const int* k, const float* alpha,
                       const float* a, const int* lda, const float* b,
                       const int* ldb, const float* beta, float* c,
                       const int* ldc);

namespace podpower::model {

TrainingRows TrainingRows::Subset(const std::vector<size_t>& index) const {
  TrainingRows out;
  out.dim = dim;
  out.features.reserve(index.size() * dim);
  out.labels.reserve(index.size());
  out.workloads.reserve(index.size());
  for (size_t i : index) {
    out.features.insert(out.features.end(), features.begin() + i * dim,
                        features.begin() + (i + 1) * dim);
    out.labels.push_back(labels[i]);
    out.workloads.push_back(workloads[i]);
    if (has_traits()) out.traits.push_back(traits[i]);
  }
  return out;
}
namespace {

constexpr double kFloatEps = 0x1p-24;   // unit roundoff of float32
constexpr double kDoubleEps = 0x1p-53;  // unit roundoff of float64
// Largest feature-row norm whose square still fits comfortably in float32
// scores.
constexpr double kMaxNorm = 1e15;
// Score block per thread: small enough to stay in cache between sgemm and
// selection.
constexpr size_t kBlockBytes = size_t{4} << 20;

}  // namespace

std::string MetricName(Metric metric) {
  return metric == Metric::kCosine ? "cosine" : "euclidean";
}

std::string WeightsName(Weights weights) {
  return weights == Weights::kUniform ? "uniform" : "distance";
}

Metric ParseMetric(const std::string& text, const std::string& flag) {
  if (text == "cosine") return Metric::kCosine;
  if (text == "euclidean") return Metric::kEuclidean;
  throw Error(flag + ": expected cosine or euclidean, got '" + text + "'");
}

Weights ParseWeights(const std::string& text, const std::string& flag) {
  if (text == "uniform") return Weights::kUniform;
  if (text == "distance") return Weights::kDistance;
  throw Error(flag + ": expected uniform or distance, got '" + text + "'");
}

KnnModel KnnModel::Fit(TrainingRows rows, const KnnOptions& options,
                       const KnnMetadata& metadata) {
  if (options.k < 1)
    throw Error("KNN: n_neighbors must be >= 1, got " +
                std::to_string(options.k));
  if (rows.rows() == 0) throw Error("KNN: no training rows");
  if (rows.dim == 0) throw Error("KNN: feature vectors are empty");
  if (rows.features.size() != rows.rows() * rows.dim ||
      rows.workloads.size() != rows.rows()) {
    throw Error("KNN: features, labels and workloads disagree in length");
  }
  if (rows.rows() >= (size_t{1} << 32))
    throw Error("KNN: more than 2^32 training rows");
  KnnModel model;
  model.options_ = options;
  model.metadata_ = metadata;
  model.dim_ = rows.dim;
  model.features_ = std::move(rows.features);
  model.labels_ = std::move(rows.labels);
  if (rows.has_traits() && rows.traits.size() != model.labels_.size())
    throw Error("KNN: traits and labels disagree in length");
  model.traits_ = std::move(rows.traits);
  std::map<std::string, uint32_t> names;
  for (const auto& w : rows.workloads) names.emplace(w, 0);
  uint32_t next = 0;
  for (auto& [name, index] : names) {
    index = next++;
    model.workload_names_.push_back(name);
  }
  model.workload_index_.reserve(rows.workloads.size());
  for (const auto& w : rows.workloads)
    model.workload_index_.push_back(names[w]);
  model.Prepare();
  return model;
}

void KnnModel::Prepare() {
  const size_t n = rows();
  for (size_t i = 0; i < features_.size(); ++i) {
    if (!std::isfinite(features_[i])) {
      throw Error("KNN: training row " + std::to_string(i / dim_) +
                  " feature " + std::to_string(i % dim_) + " is not finite");
    }
  }
  for (size_t j = 0; j < n; ++j) {
    if (!std::isfinite(labels_[j])) {
      throw Error("KNN: training row " + std::to_string(j) +
                  " has a non-finite label");
    }
  }
  norms_.assign(n, 0.0);
  max_norm_ = 0;
  for (size_t j = 0; j < n; ++j) {
    const float* y = &features_[j * dim_];
    double s = 0;
    for (size_t i = 0; i < dim_; ++i) s += static_cast<double>(y[i]) * y[i];
    const double norm = std::sqrt(s);
    if (norm > kMaxNorm) {
      throw Error("KNN: training row " + std::to_string(j) +
                  " has a feature norm above 1e15; standardize the features");
    }
    max_norm_ = std::max(max_norm_, norm);
    norms_[j] = options_.metric == Metric::kCosine ? norm : s;
  }
  // Feature-major: column i holds feature i of every row, so one query's
  // scores are a sum of whole columns, one per non-zero query feature.
  search_columns_.assign(features_.size(), 0.0f);
  const bool cosine = options_.metric == Metric::kCosine;
  for (size_t j = 0; j < n; ++j) {
    // A zero row stays zero under cosine: distance 1 to everything.
    if (cosine && norms_[j] == 0) continue;
    for (size_t i = 0; i < dim_; ++i) {
      const float x = features_[j * dim_ + i];
      search_columns_[i * n + j] =
          cosine ? static_cast<float>(x / norms_[j]) : x;
    }
  }
  if (cosine) {
    search_norms2_.clear();
  } else {
    search_norms2_.resize(n);
    for (size_t j = 0; j < n; ++j)
      search_norms2_[j] = static_cast<float>(norms_[j]);
  }
}

void KnnModel::Validate(std::span<const float> query) const {
  if (query.size() != dim_) {
    throw Error("KNN query: expected " + std::to_string(dim_) +
                " features, got " + std::to_string(query.size()));
  }
  double norm2 = 0;
  for (size_t i = 0; i < query.size(); ++i) {
    if (!std::isfinite(query[i])) {
      throw Error("KNN query: feature " + std::to_string(i) + " is not finite");
    }
    norm2 += static_cast<double>(query[i]) * query[i];
  }
  // The float32 candidate scores must not overflow, or the error bound fails.
  if (norm2 > kMaxNorm * kMaxNorm) {
    throw Error("KNN query: feature norm above 1e15; standardize the features");
  }
  if (static_cast<size_t>(options_.k) > rows()) {
    throw Error("KNN: expected n_neighbors <= n_samples, but n_samples = " +
                std::to_string(rows()) +
                ", n_neighbors = " + std::to_string(options_.k));
  }
}

double KnnModel::ExactDistance(std::span<const float> query, double query_norm,
                               size_t row) const {
  const float* y = &features_[row * dim_];
  if (options_.metric == Metric::kEuclidean) {
    double s = 0;
    for (size_t i = 0; i < dim_; ++i) {
      const double diff = static_cast<double>(query[i]) - y[i];
      s += diff * diff;
    }
    return std::sqrt(s);
  }
  // sklearn: zero vectors stay zero after normalisation, so their distance is
  // exactly 1.
  if (query_norm == 0 || norms_[row] == 0) return 1.0;
  double dot = 0;
  for (size_t i = 0; i < dim_; ++i) dot += static_cast<double>(query[i]) * y[i];
  const double d = 1.0 - dot / (query_norm * norms_[row]);
  return std::clamp(d, 0.0, 2.0);
}

Prediction KnnModel::Predict(std::span<const float> query,
                             bool with_neighbours) const {
  return PredictBatch(query, 1, with_neighbours)[0];
}

namespace {

// OpenBLAS's thread switch (weak: absent with another BLAS). PredictBatch runs
// one sgemm per query block on each OpenMP thread, so BLAS's own threads would
// only oversubscribe the cores and spin against ours.
extern "C" int openblas_get_num_threads() __attribute__((weak));
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

// Process-wide: the first of overlapping PredictBatch calls saves the thread
// count, the last one restores it.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() {
    if (openblas_get_num_threads == nullptr ||
        openblas_set_num_threads == nullptr)
      return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (users_++ == 0) {
      saved_ = openblas_get_num_threads();
      openblas_set_num_threads(1);
    }
  }
  ~SingleThreadedBlas() {
    if (openblas_get_num_threads == nullptr ||
        openblas_set_num_threads == nullptr)
      return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (--users_ == 0 && saved_ > 0) openblas_set_num_threads(saved_);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  static inline std::mutex mutex_;
  static inline int users_ = 0;
  static inline int saved_ = 0;
};

// out[j] = sum over c of coef[c] * columns[c][j], for j < n. A tile of sums
// stays in L1 while each column's slice streams past once, instead of reading
// and writing all n sums once per column. Cloned for AVX-512 and AVX2 (picked
// at load time), since the portable build targets plain x86-64.
__attribute__((target_clones("avx512f", "avx2", "default"))) void SumColumns(
    const float* const* columns, const float* coef, size_t count, size_t n,
    float* out) {
  constexpr size_t kTile = 512;
  float sums[kTile];
  for (size_t begin = 0; begin < n; begin += kTile) {
    const size_t len = std::min(kTile, n - begin);
    std::fill(sums, sums + len, 0.0f);
    size_t c = 0;
    // Four columns per pass, written out: left to itself GCC jams the column
    // loop into the row loop and then cannot vectorize it.
    for (; c + 4 <= count; c += 4) {
      const float a0 = coef[c], a1 = coef[c + 1], a2 = coef[c + 2],
                  a3 = coef[c + 3];
      const float* __restrict x0 = columns[c] + begin;
      const float* __restrict x1 = columns[c + 1] + begin;
      const float* __restrict x2 = columns[c + 2] + begin;
      const float* __restrict x3 = columns[c + 3] + begin;
      float* __restrict s = sums;
      for (size_t j = 0; j < len; ++j)
        s[j] += (a0 * x0[j] + a1 * x1[j]) + (a2 * x2[j] + a3 * x3[j]);
    }
    for (; c < count; ++c) {
      const float a = coef[c];
      const float* __restrict x = columns[c] + begin;
      float* __restrict s = sums;
      for (size_t j = 0; j < len; ++j) s[j] += a * x[j];
    }
    std::copy(sums, sums + len, out + begin);
  }
}

}  // namespace

void KnnModel::PredictBlock(std::span<const float> queries, size_t start,
                            size_t count, bool with_neighbours,
                            Prediction* out) const {
  const size_t n = rows();
  const double d = static_cast<double>(dim_);
  // gamma bounds the relative error of any float32 summation order over dim_
  // products.
  const double gamma = (d + 2) * kFloatEps / (1 - (d + 2) * kFloatEps);
  thread_local std::vector<float> block_queries, scores;
  thread_local std::vector<double> query_norms, margins;
  thread_local std::vector<Candidate> scratch;
  block_queries.resize(count * dim_);
  scores.resize(count * n);
  query_norms.resize(count);
  margins.resize(count);
  for (size_t q = 0; q < count; ++q) {
    const float* x = &queries[(start + q) * dim_];
    double s = 0;
    for (size_t i = 0; i < dim_; ++i) s += static_cast<double>(x[i]) * x[i];
    const double norm = std::sqrt(s);
    float* dst = &block_queries[q * dim_];
    query_norms[q] = norm;
    if (options_.metric == Metric::kCosine) {
      for (size_t i = 0; i < dim_; ++i) {
        dst[i] = norm == 0 ? 0.0f : static_cast<float>(x[i] / norm);
      }
      // Unit rows rounded to float32 (2u), the float32 dot product (gamma), the
      // float32 score (u), and the float64 exact distance; 1.5x for safety.
      margins[q] = 1.5 * (gamma + 4 * kFloatEps) + (d + 8) * kDoubleEps * 8;
    } else {
      std::copy(x, x + dim_, dst);
      // score = |y|^2 - 2 x.y in float32: rounding of |y|^2, the dot product
      // and the subtraction, bounded with the largest training norm R; plus the
      // float64 exact sum.
      const double r = max_norm_;
      margins[q] =
          1.5 * (2 * kFloatEps * r * r + 2 * (gamma + kFloatEps) * norm * r +
                 kFloatEps * (r * r + 2 * norm * r)) +
          (d + 4) * kDoubleEps * 2 * (norm + r) * (norm + r) + 1e-300;
    }
  }
  const int m = static_cast<int>(n), nq = static_cast<int>(count),
            k = static_cast<int>(dim_);
  size_t nonzero = 0;
  for (float v : std::span(block_queries).first(count * dim_))
    nonzero += v != 0.0f;
  if (nonzero * 4 <= count * dim_ || count <= 2) {
    // Few non-zero features (one-hot and hashed text blocks) or a lone query:
    // add up only the columns the queries use. A dense single query reads the
    // matrix once either way, and sgemm would first copy all of it.
    thread_local std::vector<const float*> columns;
    thread_local std::vector<float> coef;
    for (size_t q = 0; q < count; ++q) {
      columns.clear();
      coef.clear();
      for (size_t i = 0; i < dim_; ++i) {
        const float a = block_queries[q * dim_ + i];
        if (a == 0.0f) continue;
        columns.push_back(&search_columns_[i * n]);
        coef.push_back(a);
      }
      SumColumns(columns.data(), coef.data(), columns.size(), n,
                 &scores[q * n]);
    }
  } else {
    const float alpha = 1.0f, beta = 0.0f;
    // scores (n x count, column-major) = columns (n x dim) * queries (dim x
    // count).
    sgemm_("N", "N", &m, &nq, &k, &alpha, search_columns_.data(), &m,
           block_queries.data(), &k, &beta, scores.data(), &m);
  }
  for (size_t q = 0; q < count; ++q) {
    Finish(queries.subspan((start + q) * dim_, dim_), query_norms[q],
           &scores[q * n], margins[q], with_neighbours, &out[start + q],
           &scratch);
  }
}

std::vector<Prediction> KnnModel::PredictBatch(std::span<const float> queries,
                                               size_t count,
                                               bool with_neighbours) const {
  if (queries.size() != count * dim_) {
    throw Error("KNN query: expected " + std::to_string(count) + " x " +
                std::to_string(dim_) + " features, got " +
                std::to_string(queries.size()) + " values");
  }
  for (size_t q = 0; q < count; ++q) Validate(queries.subspan(q * dim_, dim_));
  std::vector<Prediction> out(count);
  if (count == 0) return out;
  // Small blocks keep the scores in cache; with long feature vectors sgemm's
  // cost of packing the training matrix once per call dominates, so blocks grow
  // with the dimension.
  const size_t by_cache = kBlockBytes / (rows() * sizeof(float));
  // ... but never more than 64 MB of scores per thread.
  const size_t by_memory = (size_t{64} << 20) / (rows() * sizeof(float));
  const size_t block = std::clamp<size_t>(
      std::min(std::max(by_cache, std::min<size_t>(dim_ / 2, 256)), by_memory),
      1, 256);
  const size_t blocks = (count + block - 1) / block;
  // One small batch (a service request): let BLAS use its own threads.
  if (blocks == 1) {
    PredictBlock(queries, 0, count, with_neighbours, out.data());
    return out;
  }
  SingleThreadedBlas blas;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t i = 0; i < blocks; ++i) {
    const size_t start = i * block;
    PredictBlock(queries, start, std::min(block, count - start),
                 with_neighbours, out.data());
  }
  return out;
}

namespace {

// One pass over a query's approximate scores: keeps a max-heap of the k
// smallest and, since the heap's top only decreases, every row within `band` of
// the top at the time it was seen; that is a superset of the rows within `band`
// of the final k-th score. `score(j)` turns the sgemm dot product into the
// score.
template <typename Score>
void CollectCandidates(size_t n, size_t k, double band, Score score,
                       std::vector<std::pair<float, uint32_t>>* out) {
  std::vector<float> heap(k);
  out->clear();
  for (size_t j = 0; j < k; ++j) {
    heap[j] = score(j);
    out->emplace_back(heap[j], static_cast<uint32_t>(j));
  }
  std::make_heap(heap.begin(), heap.end());
  double limit = static_cast<double>(heap.front()) + band;
  // Most rows are far from the k nearest: test a chunk at a time with a loop
  // the compiler vectorizes, and look at single rows only in chunks that hold a
  // possible candidate.
  constexpr size_t kChunk = 64;
  float chunk[kChunk];
  for (size_t begin = k; begin < n; begin += kChunk) {
    const size_t len = std::min(kChunk, n - begin);
    // Rounded up, so every float score <= limit passes.
    const float cut = std::nextafter(static_cast<float>(limit), HUGE_VALF);
    int any = 0;
    for (size_t i = 0; i < len; ++i) {
      chunk[i] = score(begin + i);
      any |= chunk[i] <= cut;
    }
    if (!any) continue;
    for (size_t i = 0; i < len; ++i) {
      const float s = chunk[i];
      if (s < heap.front()) {
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = s;
        std::push_heap(heap.begin(), heap.end());
        limit = static_cast<double>(heap.front()) + band;
      }
      if (static_cast<double>(s) <= limit) {
        out->emplace_back(s, static_cast<uint32_t>(begin + i));
      }
    }
  }
  // Keep only those within the band of the final k-th score.
  std::erase_if(*out, [&](const auto& c) {
    return static_cast<double>(c.first) > limit;
  });
}

}  // namespace

void KnnModel::Finish(std::span<const float> query, double query_norm,
                      const float* dots, double margin, bool with_neighbours,
                      Prediction* out, std::vector<Candidate>* scratch) const {
  const size_t n = rows();
  const size_t k = static_cast<size_t>(options_.k);
  // Every row whose exact distance could be <= the exact k-th lies within 2
  // margins of the approximate k-th.
  thread_local std::vector<std::pair<float, uint32_t>> approx;
  if (options_.metric == Metric::kCosine) {
    CollectCandidates(
        n, k, 2 * margin, [dots](size_t j) { return 1.0f - dots[j]; }, &approx);
  } else {
    const float* norms2 = search_norms2_.data();
    CollectCandidates(
        n, k, 2 * margin,
        [dots, norms2](size_t j) { return norms2[j] - 2.0f * dots[j]; },
        &approx);
  }
  scratch->clear();
  for (const auto& [score, j] : approx) {
    scratch->push_back({ExactDistance(query, query_norm, j), labels_[j], j});
  }
  *out = Combine(*scratch, with_neighbours);
}

Prediction KnnModel::Combine(std::vector<Candidate>& c,
                             bool with_neighbours) const {
  const size_t k = static_cast<size_t>(options_.k);
  // Sorting by (distance, label) makes the summation order independent of row
  // positions: rows equal in both contribute identical terms.
  std::sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    if (a.label != b.label) return a.label < b.label;
    return a.row < b.row;
  });
  const double kth = c[k - 1].distance;
  size_t nearer = 0;  // m: strictly nearer than the k-th distance
  while (nearer < c.size() && c[nearer].distance < kth) ++nearer;
  size_t end = nearer;
  while (end < c.size() && c[end].distance == kth) ++end;
  const size_t tied = end - nearer;  // t >= k - m
  const double share =
      static_cast<double>(k - nearer) / static_cast<double>(tied);
  const bool exact_match = c[0].distance == 0;
  std::vector<double> w(end);
  for (size_t i = 0; i < end; ++i) {
    const double slot = i < nearer ? 1.0 : share;
    if (options_.weights == Weights::kUniform) {
      w[i] = slot;
    } else if (exact_match) {
      w[i] = c[i].distance == 0
                 ? 1.0
                 : 0.0;  // sklearn: exact matches only, equal weight
    } else {
      w[i] = slot / c[i].distance;
    }
  }
  double weighted = 0, total = 0;
  for (size_t i = 0; i < end; ++i) {
    weighted += w[i] * c[i].label;
    total += w[i];
  }
  Prediction p;
  p.value = options_.weights == Weights::kUniform
                ? weighted / static_cast<double>(k)
                : weighted / total;
  p.decided_by_tie = tied > k - nearer;
  p.neighbour_count = end;
  double var = 0;
  p.label_min = std::numeric_limits<double>::infinity();
  p.label_max = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < end; ++i) {
    const double wn = w[i] / total;
    var += wn * (c[i].label - p.value) * (c[i].label - p.value);
    if (w[i] > 0) {
      p.label_min = std::min(p.label_min, c[i].label);
      p.label_max = std::max(p.label_max, c[i].label);
    }
    if (with_neighbours) {
      p.neighbours.push_back(
          {c[i].row, workload(c[i].row), c[i].distance, c[i].label, wn});
    }
  }
  p.label_std = std::sqrt(var);
  if (metadata_.interval.enabled()) {
    const Interval interval =
        ApplyInterval(metadata_.interval, p.value, p.label_std);
    p.has_interval = true;
    p.interval_level = metadata_.interval.level;
    p.interval_low = interval.low;
    p.interval_high = interval.high;
  }
  return p;
}

}  // namespace podpower::model
