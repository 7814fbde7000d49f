// text::MatMul: right to float32 rounding, and exact by construction: every
// output element is the documented sequential sum, so it never depends on the
// rows it is computed with, the tile it falls in or the kernel's vector width.
#include "text/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace podpower::text {
namespace {

std::vector<MatMulKernel> Kernels() {
  std::vector<MatMulKernel> out;
  for (auto k :
       {MatMulKernel::kPortable, MatMulKernel::kAvx2Fma, MatMulKernel::kAvx512})
    if (MatMulKernelSupported(k)) out.push_back(k);
  return out;
}

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> u(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& f : v) f = u(rng);
  return v;
}

bool Fused(MatMulKernel k) {
  return k == MatMulKernel::kAvx2Fma || k == MatMulKernel::kAvx512;
}

// The documented order: one accumulator from 0, i = 0..k-1; fused on the AVX
// kernels, multiply-then-add on the AVX and portable ones.
float Reference(const float* x, const float* w, int k, bool fused) {
  float acc = 0.0f;
  for (int i = 0; i < k; ++i) {
    if (fused) {
      acc = std::fma(x[i], w[i], acc);
    } else {
      volatile float product = x[i] * w[i];  // keeps the compiler from fusing
      acc += product;
    }
  }
  return acc;
}

TEST(MatMul, best_kernel_is_supported_and_named) {
  EXPECT_TRUE(MatMulKernelSupported(BestMatMulKernel()));
  EXPECT_TRUE(MatMulKernelSupported(MatMulKernel::kPortable));
  EXPECT_STRNE(MatMulKernelName(BestMatMulKernel()), "?");
}

// Every element equals the sequential reference bit for bit, for shapes that
// cover full and partial tiles and panels, and row strides wider than k.
TEST(MatMul, each_element_is_the_sequential_sum_on_every_kernel) {
  for (MatMulKernel kernel : Kernels()) {
    const bool fused = Fused(kernel);
    for (int k : {1, 7, 32, 100}) {
      for (int n : {1, 15, 16, 17, 33, 48}) {
        for (int rows : {1, 5, 6, 13, 25}) {
          const int ldx = k + 3, ldy = n + 5;
          auto x = Random(static_cast<size_t>(rows) * ldx, 1);
          auto w = Random(static_cast<size_t>(n) * k, 2);  // W [n, k]
          PackedMatrix b;
          b.Pack(w.data(), k, n, 1, k);
          std::vector<float> y(static_cast<size_t>(rows) * ldy, -7.0f);
          MatMul(x.data(), rows, ldx, b, y.data(), ldy, kernel);
          for (int r = 0; r < rows; ++r) {
            for (int j = 0; j < ldy; ++j) {
              const float got = y[static_cast<size_t>(r) * ldy + j];
              if (j >= n) {
                ASSERT_EQ(got, -7.0f) << "wrote past column n";
                continue;
              }
              const float want =
                  Reference(x.data() + static_cast<size_t>(r) * ldx,
                            w.data() + static_cast<size_t>(j) * k, k, fused);
              ASSERT_EQ(got, want)
                  << MatMulKernelName(kernel) << " k=" << k << " n=" << n
                  << " rows=" << rows << " at " << r << "," << j;
            }
          }
        }
      }
    }
  }
}

// A row's result is the same whether it is multiplied alone, first, last or in
// the middle of a product of any size: the property that makes a text's
// embedding independent of its batch.
TEST(MatMul, a_row_does_not_depend_on_the_other_rows) {
  const int k = 384, n = 72;
  auto w = Random(static_cast<size_t>(n) * k, 3);
  PackedMatrix b;
  b.Pack(w.data(), k, n, 1, k);
  const auto row = Random(k, 4);
  for (MatMulKernel kernel : Kernels()) {
    std::vector<float> alone(n);
    MatMul(row.data(), 1, k, b, alone.data(), n, kernel);
    for (int rows : {2, 7, 12, 13, 40, 97}) {
      for (int at : {0, rows / 2, rows - 1}) {
        auto x = Random(static_cast<size_t>(rows) * k, 5 + rows);
        std::copy(row.begin(), row.end(), x.begin() + at * k);
        std::vector<float> y(static_cast<size_t>(rows) * n);
        MatMul(x.data(), rows, k, b, y.data(), n, kernel);
        EXPECT_EQ(
            0, std::memcmp(alone.data(), y.data() + at * n, sizeof(float) * n))
            << MatMulKernelName(kernel) << " rows=" << rows << " at=" << at;
      }
    }
  }
}

// Kernels of the same rounding give identical bits (AVX2+FMA and AVX-512:
// fused; portable and AVX: multiply then add); all are right to float32
// rounding error.
TEST(MatMul, kernels_agree_and_match_double_precision) {
  const int rows = 29, k = 1536, n = 40;
  auto x = Random(static_cast<size_t>(rows) * k, 6);
  auto w = Random(static_cast<size_t>(n) * k, 7);
  PackedMatrix b;
  b.Pack(w.data(), k, n, 1, k);
  std::vector<float> fused, unfused;
  for (MatMulKernel kernel : Kernels()) {
    std::vector<float> y(static_cast<size_t>(rows) * n);
    MatMul(x.data(), rows, k, b, y.data(), n, kernel);
    for (int r = 0; r < rows; ++r) {
      for (int j = 0; j < n; ++j) {
        double exact = 0, magnitude = 0;
        for (int i = 0; i < k; ++i) {
          const double p = static_cast<double>(x[r * k + i]) * w[j * k + i];
          exact += p;
          magnitude += std::abs(p);
        }
        // |error| <= k * eps * sum |products| for any float32 summation.
        EXPECT_NEAR(y[r * n + j], exact, k * 6e-8 * magnitude);
      }
    }
    auto& same = Fused(kernel) ? fused : unfused;
    if (same.empty()) {
      same = y;
    } else {
      EXPECT_EQ(y, same) << MatMulKernelName(kernel);
    }
  }
}

TEST(MatMul, pack_reads_any_strides) {
  // B[i][j] = src[i * row_stride + j * col_stride], here B = src^T and B = src.
  const std::vector<float> src = {1, 2, 3, 4, 5, 6};  // 2 x 3
  const std::vector<float> x = {1, 10};               // one row, k = 2
  PackedMatrix transposed, direct;
  transposed.Pack(src.data(), 3, 2, 1, 3);  // k = 3: B = [[1,4],[2,5],[3,6]]
  direct.Pack(src.data(), 2, 3, 3, 1);      // k = 2: B = [[1,2,3],[4,5,6]]
  EXPECT_EQ(transposed.k(), 3);
  EXPECT_EQ(transposed.n(), 2);
  std::vector<float> y(3);
  MatMul(x.data(), 1, 2, direct, y.data(), 3);
  EXPECT_EQ(y, (std::vector<float>{41, 52, 63}));
  const std::vector<float> x3 = {1, 10, 100};
  std::vector<float> y2(2);
  MatMul(x3.data(), 1, 3, transposed, y2.data(), 2);
  EXPECT_EQ(y2, (std::vector<float>{321, 654}));
}

}  // namespace
}  // namespace podpower::text
