// Batched GEMM through mmsn::sgemm (gemm.cc: the own GEMM, or OpenBLAS where built with it and chosen).
// Every call is single-threaded; this file splits the work across OpenMP threads, the only threading layer
// (OpenBLAS's own pthread pool is set to 1 thread in addon.cc), so nothing oversubscribes the 2 cores.
#include <algorithm>
#include "common.h"
#include "gemm.h"
#include "kernels.h"

namespace mmsn {

void batchMatmul(bool ta, bool tb, int m, int n, int k, int batch, int64_t sa, int64_t sb, const float* a, const float* b, float* c) {
  const int lda = ta ? m : k, ldb = tb ? k : n;
  const int64_t flops = int64_t(m) * n * k * batch;
  const int nt = flops >= (1 << 20) ? omp_get_max_threads() : 1;
  if (k == 0) {
    std::fill(c, c + int64_t(m) * n * batch, 0.0f);
    return;
  }
  if (batch >= nt || nt == 1) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int i = 0; i < batch; i++)
      sgemm(ta, tb, m, n, k, 1.0f, a + i * sa, lda, b + i * sb, ldb, 0.0f, c + int64_t(i) * m * n, n);
    return;
  }
  // Few large products: split rows of C (or its columns when it is wide) across the threads.
  for (int i = 0; i < batch; i++) {
    const float* A = a + i * sa;
    const float* B = b + i * sb;
    float* C = c + int64_t(i) * m * n;
    const bool byRows = m >= n;
    const int total = byRows ? m : n;
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num(), T = omp_get_num_threads();
      const int lo = int(int64_t(total) * t / T), hi = int(int64_t(total) * (t + 1) / T);
      if (hi > lo) {
        if (byRows) {  // rows lo..hi of op(A): A + lo*lda untransposed, A + lo (a column offset) transposed
          sgemm(ta, tb, hi - lo, n, k, 1.0f, ta ? A + lo : A + int64_t(lo) * lda, lda, B, ldb, 0.0f, C + int64_t(lo) * n, n);
        } else {  // columns lo..hi of op(B)
          sgemm(ta, tb, m, hi - lo, k, 1.0f, A, lda, tb ? B + int64_t(lo) * ldb : B + lo, ldb, 0.0f, C + lo, n);
        }
      }
    }
  }
}

}  // namespace mmsn
