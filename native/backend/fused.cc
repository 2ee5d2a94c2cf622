// Fused kernels where they pay: softmax over the last axis, LayerNorm forward/backward, exact GELU
// forward/backward, and the AdamW update (one pass instead of ~12 elementwise kernels per parameter).
#include <cmath>
#include <vector>
#include "common.h"
#include "fastmath.h"
#include "kernels.h"

namespace mmsn {

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void softmaxRows(int64_t r0, int64_t r1, int64_t cols, const float* x, float* out) {
  for (int64_t r = r0; r < r1; r++) {
    const float* s = x + r * cols;
    float* o = out + r * cols;
    float mx = -INFINITY;
    for (int64_t j = 0; j < cols; j++) mx = s[j] > mx ? s[j] : mx;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) {
      o[j] = fastExp(s[j] - mx);
      sum += o[j];
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) o[j] *= inv;
  }
}

void softmaxRowsInPlace(int64_t rows, int64_t cols, float* x) { softmaxRows(0, rows, cols, x, x); }

void softmax(int64_t rows, int64_t cols, const float* x, float* out) {
  const int nt = threadsFor(rows * cols * 4);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    softmaxRows(rows * t / T, rows * (t + 1) / T, cols, x, out);
  }
}

void layerNormFwd(int64_t rows, int64_t d, float eps, const float* x, const float* g, const float* b, float* y, float* xhat, float* rstd) {
  const int nt = threadsFor(rows * d * 2);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* s = x + r * d;
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < d; j++) sum += s[j];
    const float mean = float(sum / double(d));
    double var = 0.0;
#pragma omp simd reduction(+ : var)
    for (int64_t j = 0; j < d; j++) var += double(s[j] - mean) * double(s[j] - mean);
    const float rs = float(1.0 / std::sqrt(var / double(d) + double(eps)));
    rstd[r] = rs;
    float* xh = xhat + r * d;
    float* o = y + r * d;
#pragma omp simd
    for (int64_t j = 0; j < d; j++) {
      xh[j] = (s[j] - mean) * rs;
      o[j] = xh[j] * g[j] + b[j];
    }
  }
}

void layerNormBwd(int64_t rows, int64_t d, const float* dy, const float* xhat, const float* rstd, const float* g, float* dx, float* dg, float* db) {
  const int nt = threadsFor(rows * d * 3);
  std::vector<double> part(size_t(2 * d) * nt, 0.0);  // per-thread dγ, dβ partial sums
#pragma omp parallel num_threads(nt)
  {
    double* pg = part.data() + size_t(2 * d) * omp_get_thread_num();
    double* pb = pg + d;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float* e = dy + r * d;
      const float* xh = xhat + r * d;
      double m1 = 0.0, m2 = 0.0;
#pragma omp simd reduction(+ : m1, m2)
      for (int64_t j = 0; j < d; j++) {
        const float dxh = e[j] * g[j];
        m1 += dxh;
        m2 += double(dxh) * xh[j];
      }
      const float a1 = float(m1 / double(d)), a2 = float(m2 / double(d)), rs = rstd[r];
      float* o = dx + r * d;
#pragma omp simd
      for (int64_t j = 0; j < d; j++) {
        o[j] = rs * (e[j] * g[j] - a1 - xh[j] * a2);
        pg[j] += double(e[j]) * xh[j];
        pb[j] += e[j];
      }
    }
  }
  for (int64_t j = 0; j < d; j++) {
    double sg = 0.0, sb = 0.0;
    for (int t = 0; t < nt; t++) {
      sg += part[size_t(2 * d) * t + j];
      sb += part[size_t(2 * d) * t + d + j];
    }
    dg[j] = float(sg);
    db[j] = float(sb);
  }
}

static constexpr float kSqrt1_2 = 0.70710678118654752f;
static constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// Chunks of the elementwise GELU loops; target_clones compiles them for AVX-512, AVX2 and baseline x86-64
// and picks one at load time (the OpenMP-outlined parallel bodies would not inherit such attributes).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void geluChunk(int64_t n, const float* x, float* y) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i], z = v * kSqrt1_2;
    y[i] = v * 0.5f * (1.0f + fastErfWithExp(z, fastExp(-z * z)));
  }
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void geluGradChunk(int64_t n, const float* dy, const float* x, float* dx) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i], z = v * kSqrt1_2;
    const float e = fastExp(-z * z);  // exp(−x²/2): both Φ and φ need it
    dx[i] = dy[i] * (0.5f * (1.0f + fastErfWithExp(z, e)) + v * kInvSqrt2Pi * e);
  }
}

template <typename F>
static void chunked(int64_t n, int64_t work, F f) {
  const int nt = threadsFor(work);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const int64_t lo = n * t / T, hi = n * (t + 1) / T;
    if (hi > lo) f(lo, hi);
  }
}

void geluFwd(int64_t n, const float* x, float* y) {
  chunked(n, n * 8, [&](int64_t lo, int64_t hi) { geluChunk(hi - lo, x + lo, y + lo); });
}

void geluBwd(int64_t n, const float* dy, const float* x, float* dx) {
  chunked(n, n * 8, [&](int64_t lo, int64_t hi) { geluGradChunk(hi - lo, dy + lo, x + lo, dx + lo); });
}

void adamw(int64_t n, float decay, float b1, float b2, float gscale, float invBc2Sqrt, float eps, float lrBc1, const float* p, const float* m, const float* v, const float* g, float* po, float* mo, float* vo) {
  const int nt = threadsFor(n * 4);
#pragma omp parallel for simd num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i] * gscale;
    const float mi = m[i] * b1 + gi * (1.0f - b1);
    const float vi = v[i] * b2 + (gi * gi) * (1.0f - b2);
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i] * decay - (mi / (std::sqrt(vi) * invBc2Sqrt + eps)) * lrBc1;
  }
}

}  // namespace mmsn
