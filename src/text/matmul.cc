#include "text/matmul.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "io/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define PODPOWER_X86 1
#endif

// The portable kernel must not fuse its multiply and add on targets that have
// FMA (it would then round like the other kernels on some builds and not on
// others): src/text/CMakeLists.txt compiles this file with -ffp-contract=off.
// The AVX kernels use explicit FMA intrinsics, which that flag does not touch.

namespace podpower::text {
namespace {

constexpr int kPanel = PackedMatrix::kPanel;

// Rows of x per pass over B: the x rows of a pass (rows x k floats) stay in
// L1/L2 while B's panels stream past. Does not change any result.
int RowBlock(int k, int tile_rows) {
  const int fit = 24576 / std::max(k, 1);
  return std::max(tile_rows, fit / tile_rows * tile_rows);
}

// Calls K::Tile<R, NP> for rows [0, rows) in tiles of K::kRows and one
// remainder tile of fewer rows.
template <typename K, int NP, int R = K::kRows - 1>
void RemainderTile(int left, const float* x, ptrdiff_t ldx, const float* panel,
                   int k, float* y, ptrdiff_t ldy, int cols) {
  if constexpr (R > 0) {
    if (left == R) {
      K::template Tile<R, NP>(x, ldx, panel, k, y, ldy, cols);
    } else {
      RemainderTile<K, NP, R - 1>(left, x, ldx, panel, k, y, ldy, cols);
    }
  }
}

template <typename K, int NP>
void Rows(const float* x, int rows, ptrdiff_t ldx, const float* panel, int k,
          float* y, ptrdiff_t ldy, int cols) {
  int r = 0;
  for (; r + K::kRows <= rows; r += K::kRows)
    K::template Tile<K::kRows, NP>(x + r * ldx, ldx, panel, k, y + r * ldy, ldy,
                                   cols);
  if (r < rows)
    RemainderTile<K, NP>(rows - r, x + r * ldx, ldx, panel, k, y + r * ldy, ldy,
                         cols);
}

template <typename K>
void Run(const float* x, int rows, ptrdiff_t ldx, const PackedMatrix& b,
         float* y, ptrdiff_t ldy) {
  const int k = b.k(), n = b.n(), panels = b.panels();
  const int block = RowBlock(k, K::kRows);
  for (int r0 = 0; r0 < rows; r0 += block) {
    const int nr = std::min(block, rows - r0);
    const float* xb = x + r0 * ldx;
    float* yb = y + r0 * ldy;
    int p = 0;
    for (; p + K::kPanels <= panels; p += K::kPanels) {
      const int cols = std::min(K::kPanels * kPanel, n - p * kPanel);
      Rows<K, K::kPanels>(xb, nr, ldx, b.panel(p), k, yb + p * kPanel, ldy,
                          cols);
    }
    for (; p < panels; ++p) {
      const int cols = std::min(kPanel, n - p * kPanel);
      Rows<K, 1>(xb, nr, ldx, b.panel(p), k, yb + p * kPanel, ldy, cols);
    }
  }
}

// acc += a * b for each element, unfused. GCC vector extensions: four lanes
// per vector on any target (SSE2 registers on plain x86-64).
struct Portable {
  static constexpr int kRows = 3, kPanels = 1;
  typedef float V4 __attribute__((vector_size(16)));
  template <int R, int NP>
  static void Tile(const float* x, ptrdiff_t ldx, const float* panel, int k,
                   float* y, ptrdiff_t ldy, int cols) {
    static_assert(NP == 1);
    V4 acc[R][4];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < 4; ++c) acc[r][c] = V4{0, 0, 0, 0};
    for (int i = 0; i < k; ++i) {
      V4 b[4];
      std::memcpy(b, panel + static_cast<size_t>(i) * kPanel, sizeof b);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const float a = x[r * ldx + i];
        const V4 av = {a, a, a, a};
#pragma GCC unroll 4
        for (int c = 0; c < 4; ++c) acc[r][c] += av * b[c];
      }
    }
    for (int r = 0; r < R; ++r)
      std::memcpy(y + r * ldy, acc[r], sizeof(float) * cols);
  }
};

#if PODPOWER_X86
// 6 rows x 16 columns: 12 ymm accumulators.
struct Avx2Fma {
  static constexpr int kRows = 6, kPanels = 1;
  template <int R, int NP>
  __attribute__((target("avx2,fma"))) static void Tile(
      const float* x, ptrdiff_t ldx, const float* panel, int k, float* y,
      ptrdiff_t ldy, int cols) {
    static_assert(NP == 1);
    __m256 lo[R], hi[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
    for (int i = 0; i < k; ++i) {
      const __m256 b0 = _mm256_load_ps(panel + static_cast<size_t>(i) * kPanel);
      const __m256 b1 =
          _mm256_load_ps(panel + static_cast<size_t>(i) * kPanel + 8);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(x + r * ldx + i);
        lo[r] = _mm256_fmadd_ps(a, b0, lo[r]);
        hi[r] = _mm256_fmadd_ps(a, b1, hi[r]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      if (cols == kPanel) {
        _mm256_storeu_ps(y + r * ldy, lo[r]);
        _mm256_storeu_ps(y + r * ldy + 8, hi[r]);
      } else {
        alignas(32) float t[kPanel];
        _mm256_store_ps(t, lo[r]);
        _mm256_store_ps(t + 8, hi[r]);
        std::memcpy(y + r * ldy, t, sizeof(float) * cols);
      }
    }
  }
};

// AVX without FMA (Sandy Bridge, Ivy Bridge): the portable kernel's multiply
// then add, eight lanes at a time, so the same bits as kPortable. 4 rows x 16
// columns: 8 ymm accumulators.
struct Avx {
  static constexpr int kRows = 4, kPanels = 1;
  template <int R, int NP>
  __attribute__((target("avx"))) static void Tile(const float* x, ptrdiff_t ldx,
                                                  const float* panel, int k,
                                                  float* y, ptrdiff_t ldy,
                                                  int cols) {
    static_assert(NP == 1);
    __m256 lo[R], hi[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
    for (int i = 0; i < k; ++i) {
      const __m256 b0 = _mm256_load_ps(panel + static_cast<size_t>(i) * kPanel);
      const __m256 b1 =
          _mm256_load_ps(panel + static_cast<size_t>(i) * kPanel + 8);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(x + r * ldx + i);
        lo[r] = _mm256_add_ps(lo[r], _mm256_mul_ps(a, b0));
        hi[r] = _mm256_add_ps(hi[r], _mm256_mul_ps(a, b1));
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      alignas(32) float t[kPanel];
      _mm256_store_ps(t, lo[r]);
      _mm256_store_ps(t + 8, hi[r]);
      std::memcpy(y + r * ldy, t, sizeof(float) * cols);
    }
  }
};

// 12 rows x 32 columns (two panels): 24 zmm accumulators.
struct Avx512 {
  static constexpr int kRows = 12, kPanels = 2;
  template <int R, int NP>
  __attribute__((target("avx512f"))) static void Tile(const float* x,
                                                      ptrdiff_t ldx,
                                                      const float* panel, int k,
                                                      float* y, ptrdiff_t ldy,
                                                      int cols) {
    const float* panel1 = panel + static_cast<size_t>(k) * kPanel;
    __m512 c0[R], c1[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
    for (int i = 0; i < k; ++i) {
      const __m512 b0 = _mm512_load_ps(panel + static_cast<size_t>(i) * kPanel);
      __m512 b1 = b0;
      if constexpr (NP == 2)
        b1 = _mm512_load_ps(panel1 + static_cast<size_t>(i) * kPanel);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 a = _mm512_set1_ps(x[r * ldx + i]);
        c0[r] = _mm512_fmadd_ps(a, b0, c0[r]);
        if constexpr (NP == 2) c1[r] = _mm512_fmadd_ps(a, b1, c1[r]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      if (cols == NP * kPanel) {
        _mm512_storeu_ps(y + r * ldy, c0[r]);
        if constexpr (NP == 2) _mm512_storeu_ps(y + r * ldy + kPanel, c1[r]);
      } else {
        alignas(64) float t[2 * kPanel];
        _mm512_store_ps(t, c0[r]);
        if constexpr (NP == 2) _mm512_store_ps(t + kPanel, c1[r]);
        std::memcpy(y + r * ldy, t, sizeof(float) * cols);
      }
    }
  }
};
#endif

struct CpuKernels {
  bool avx = false, avx2_fma = false, avx512 = false;
  CpuKernels() {
#if PODPOWER_X86
    __builtin_cpu_init();
    avx = __builtin_cpu_supports("avx");
    avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    avx512 = __builtin_cpu_supports("avx512f");
#endif
  }
};

const CpuKernels& Cpu() {
  static const CpuKernels cpu;
  return cpu;
}

}  // namespace

MatMulKernel BestMatMulKernel() {
  if (Cpu().avx512) return MatMulKernel::kAvx512;
  if (Cpu().avx2_fma) return MatMulKernel::kAvx2Fma;
  if (Cpu().avx) return MatMulKernel::kAvx;
  return MatMulKernel::kPortable;
}

bool MatMulKernelSupported(MatMulKernel kernel) {
  switch (kernel) {
    case MatMulKernel::kPortable:
      return true;
    case MatMulKernel::kAvx:
      return Cpu().avx;
    case MatMulKernel::kAvx2Fma:
      return Cpu().avx2_fma;
    case MatMulKernel::kAvx512:
      return Cpu().avx512;
  }
  return false;
}

const char* MatMulKernelName(MatMulKernel kernel) {
  switch (kernel) {
    case MatMulKernel::kPortable:
      return "portable";
    case MatMulKernel::kAvx:
      return "avx";
    case MatMulKernel::kAvx2Fma:
      return "avx2+fma";
    case MatMulKernel::kAvx512:
      return "avx512";
  }
  return "?";
}

void PackedMatrix::Pack(const float* src, int k, int n, ptrdiff_t row_stride,
                        ptrdiff_t col_stride) {
  k_ = k;
  n_ = n;
  data_.assign(static_cast<size_t>(panels()) * k * kPanel, 0.0f);
  for (int p = 0; p < panels(); ++p) {
    float* dst = data_.data() + static_cast<size_t>(p) * k * kPanel;
    const int cols = std::min(kPanel, n - p * kPanel);
    for (int i = 0; i < k; ++i)
      for (int c = 0; c < cols; ++c)
        dst[static_cast<size_t>(i) * kPanel + c] =
            src[i * row_stride + (p * kPanel + c) * col_stride];
  }
}

void MatMul(const float* x, int rows, ptrdiff_t ldx, const PackedMatrix& b,
            float* y, ptrdiff_t ldy, MatMulKernel kernel) {
  if (rows <= 0 || b.n() == 0) return;
  switch (kernel) {
    case MatMulKernel::kPortable:
      return Run<Portable>(x, rows, ldx, b, y, ldy);
#if PODPOWER_X86
    case MatMulKernel::kAvx:
      if (MatMulKernelSupported(kernel))
        return Run<Avx>(x, rows, ldx, b, y, ldy);
      break;
    case MatMulKernel::kAvx2Fma:
      if (MatMulKernelSupported(kernel))
        return Run<Avx2Fma>(x, rows, ldx, b, y, ldy);
      break;
    case MatMulKernel::kAvx512:
      if (MatMulKernelSupported(kernel))
        return Run<Avx512>(x, rows, ldx, b, y, ldy);
      break;
#else
    default:
      break;
#endif
  }
  throw Error(std::string("matrix kernel ") + MatMulKernelName(kernel) +
              " is not supported by this CPU");
}

}  // namespace podpower::text
