// Dense float32 products for the BERT forward pass with a fixed summation
// order, so that an output element never depends on the shape of the product
// it is computed in.
//
// MatMul computes y = x B for a packed B[k, n]. Every output element y[r][j] is
// one accumulator, started at 0 and updated for i = 0, 1, ..., k-1 in that
// order with x[r][i] * B[i][j]: one fused multiply-add per step on the
// AVX2+FMA and AVX-512 kernels, a multiply then an add on the AVX and portable
// ones. Nothing else enters the sum: not the number of rows, the row's position
// in the product, the other rows, the number of columns, the tile or vector
// width, threads or the memory address. So a sequence's vectors come out bit
// for bit the same whether it is computed alone or packed with any other
// sequences, and kernels of the same rounding give identical results: AVX2+FMA
// and AVX-512 do the same exact fused multiply-adds in the same order, AVX and
// the portable kernel the same rounded multiplies and adds. The two pairs
// differ from each other by float32 rounding error, not bit for bit.
//
// This replaces cblas_sgemm, whose results depend on the kernel OpenBLAS picks
// for the CPU, on where a row falls in its blocking (the number of rows of the
// product) and on the number of BLAS threads.
#ifndef PODPOWER_TEXT_MATMUL_H_
#define PODPOWER_TEXT_MATMUL_H_

#include <cstddef>
#include <new>
#include <vector>

namespace podpower::text {

// Allocator for 64-byte aligned storage (one cache line, the widest vector).
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), kAlign));
  }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlign); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const {
    return true;
  }
};
using AlignedFloats = std::vector<float, AlignedAllocator<float>>;

enum class MatMulKernel {
  kPortable,  // GCC vector extensions (SSE2 on x86-64): multiply, then add
  kAvx,       // AVX without FMA (Sandy/Ivy Bridge): as kPortable, same bits
  kAvx2Fma,   // AVX2 with FMA (x86-64-v3: Haswell, Zen and later)
  kAvx512,    // AVX-512F: as kAvx2Fma, same bits
};

// The fastest kernel this CPU (and OS) supports; the one MatMul uses unless
// told otherwise. Decided once per process.
MatMulKernel BestMatMulKernel();
bool MatMulKernelSupported(MatMulKernel kernel);
const char* MatMulKernelName(MatMulKernel kernel);

// B[k, n] stored as ceil(n / 16) panels of k x 16 floats (columns j..j+15,
// row after row), zero-padded on the right.
class PackedMatrix {
 public:
  static constexpr int kPanel = 16;
  PackedMatrix() = default;
  // B[i][j] = src[i * row_stride + j * col_stride]. A PyTorch Linear weight W
  // [n, k] (y = x W^T) is row_stride 1, col_stride k.
  void Pack(const float* src, int k, int n, ptrdiff_t row_stride,
            ptrdiff_t col_stride);
  int k() const { return k_; }
  int n() const { return n_; }
  int panels() const { return (n_ + kPanel - 1) / kPanel; }
  const float* panel(int p) const {
    return data_.data() + static_cast<size_t>(p) * k_ * kPanel;
  }

 private:
  int k_ = 0, n_ = 0;
  AlignedFloats data_;
};

// y[r * ldy + j] = sum over i < b.k() of x[r * ldx + i] * B[i][j], for
// r < rows and j < b.n(), in the fixed order above. Writes exactly those
// elements. `kernel` must be supported by this CPU.
void MatMul(const float* x, int rows, ptrdiff_t ldx, const PackedMatrix& b,
            float* y, ptrdiff_t ldy, MatMulKernel kernel);
inline void MatMul(const float* x, int rows, ptrdiff_t ldx,
                   const PackedMatrix& b, float* y, ptrdiff_t ldy) {
  MatMul(x, rows, ldx, b, y, ldy, BestMatMulKernel());
}

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_MATMUL_H_
