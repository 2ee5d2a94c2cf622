// Fused multi-head attention, forward and backward, on q/k/v in the layout the linear layers produce:
// [B·T, D] with head h in columns h·dh … (h+1)·dh. The GEMM reads each head through its leading dimension D,
// so no head transposes are materialised; only the probabilities P [B, H, T, T] are kept for the backward.
#include <cmath>
#include <vector>
#include "common.h"
#include "gemm.h"
#include "kernels.h"

namespace mmsn {

void softmaxRowsInPlace(int64_t rows, int64_t cols, float* x);

void attentionFwd(int b, int t, int h, int dh, float scale, const float* q, const float* k, const float* v, float* o, float* p) {
  const int d = h * dh;
  const int64_t tt = int64_t(t) * t;
  const int nt = threadsFor(int64_t(b) * h * tt * dh / 8);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
  for (int bh = 0; bh < b * h; bh++) {
    const int bi = bh / h, hi = bh % h;
    const int64_t off = int64_t(bi) * t * d + int64_t(hi) * dh;
    float* P = p + bh * tt;
    sgemm(false, true, t, t, dh, scale, q + off, d, k + off, d, 0.0f, P, t);
    softmaxRowsInPlace(t, t, P);
    sgemm(false, false, t, dh, t, 1.0f, P, t, v + off, d, 0.0f, o + off, d);
  }
}

void attentionBwd(int b, int t, int h, int dh, float scale, const float* dout, const float* q, const float* k, const float* v,
                  const float* p, float* dq, float* dk, float* dv) {
  const int d = h * dh;
  const int64_t tt = int64_t(t) * t;
  const int nt = threadsFor(int64_t(b) * h * tt * dh / 8);
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> ds(tt);
#pragma omp for schedule(dynamic, 1)
    for (int bh = 0; bh < b * h; bh++) {
      const int bi = bh / h, hi = bh % h;
      const int64_t off = int64_t(bi) * t * d + int64_t(hi) * dh;
      const float* P = p + bh * tt;
      float* S = ds.data();
      // dV = Pᵀ·dO ; dP = dO·Vᵀ
      sgemm(true, false, t, dh, t, 1.0f, P, t, dout + off, d, 0.0f, dv + off, d);
      sgemm(false, true, t, t, dh, 1.0f, dout + off, d, v + off, d, 0.0f, S, t);
      // dS = P ∘ (dP − rowsum(dP ∘ P))
      for (int i = 0; i < t; i++) {
        float* s = S + int64_t(i) * t;
        const float* pr = P + int64_t(i) * t;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < t; j++) dot += s[j] * pr[j];
#pragma omp simd
        for (int j = 0; j < t; j++) s[j] = pr[j] * (s[j] - dot);
      }
      // dQ = scale·dS·K ; dK = scale·dSᵀ·Q
      sgemm(false, false, t, dh, t, scale, S, t, k + off, d, 0.0f, dq + off, d);
      sgemm(true, false, t, dh, t, scale, S, t, q + off, d, 0.0f, dk + off, d);
    }
  }
}

}  // namespace mmsn
