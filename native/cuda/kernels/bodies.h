// The device kernels' maths, written once for two compilers: nvcc builds them into GPU kernels
// (kernels.cu: one thread per ELEM item, one warp per ROW row) and g++ into the host reference device
// (device_host.cc: plain loops, lanes = 1), so every kernel the GPU runs is also tested on machines
// without one. ROW bodies stride their row by `lanes` from `lane` and combine partial results with the
// lane_* reductions (warp shuffles on the GPU, the identity on the host).
#pragma once
#include <math.h>
#include <stdint.h>
#include "params.h"

#ifdef __CUDACC__
#define MMSN_HD __host__ __device__ __forceinline__
#else
#define MMSN_HD inline
#endif

namespace mmsnk {

#ifdef __CUDA_ARCH__
__device__ __forceinline__ float shfl(float v, int o) { return __shfl_xor_sync(0xffffffffu, v, o); }
#define MMSN_LANE_REDUCE(v, comb) \
  for (int o_ = 16; o_ > 0; o_ >>= 1) v = comb(v, shfl(v, o_))
#else
#define MMSN_LANE_REDUCE(v, comb) (void)0
#endif

MMSN_HD float add_(float a, float b) { return a + b; }
MMSN_HD float mul_(float a, float b) { return a * b; }
// NaN-sticky max/min (tfjs's cpu reductions return NaN when any element is NaN)
MMSN_HD float max_(float a, float b) { return (b > a || b != b) ? b : a; }
MMSN_HD float min_(float a, float b) { return (b < a || b != b) ? b : a; }
MMSN_HD float lane_sum(float v) { MMSN_LANE_REDUCE(v, add_); return v; }
MMSN_HD float lane_max(float v) { MMSN_LANE_REDUCE(v, max_); return v; }

// Compensated (Kahan) float sum: the host device sums a row serially, where plain float32 accumulation over a
// few hundred elements would drift ~1e-5 from tfjs-cpu's float64 sums; on the GPU each lane sums d/32 terms.
struct KSum {
  float s = 0.0f, c = 0.0f;
  MMSN_HD void add(float v) {
    const float y = v - c, t = s + y;
    c = (t - s) - y;
    s = t;
  }
  /** Sum over the lanes of a row (the compensation terms are summed too). */
  MMSN_HD float total() { return lane_sum(s) - lane_sum(c); }
};

MMSN_HD float reduce_init(int op) { return op == kRMax ? -INFINITY : op == kRMin ? INFINITY : op == kRProd ? 1.0f : 0.0f; }
MMSN_HD float reduce_comb(int op, float a, float b) {
  return op == kRMax ? max_(a, b) : op == kRMin ? min_(a, b) : op == kRProd ? a * b : a + b;
}
MMSN_HD float lane_reduce(int op, float v) {
  if (op == kRMax) { MMSN_LANE_REDUCE(v, max_); }
  else if (op == kRMin) { MMSN_LANE_REDUCE(v, min_); }
  else if (op == kRProd) { MMSN_LANE_REDUCE(v, mul_); }
  else { MMSN_LANE_REDUCE(v, add_); }
  return v;
}

MMSN_HD float unary_op(int op, float x, float alpha) {
  switch (op) {
    case kExp: return expf(x);
    case kLog: return logf(x);
    case kSqrt: return sqrtf(x);
    case kRsqrt: return 1.0f / sqrtf(x);
    case kTanh: return tanhf(x);
    case kErf: return erff(x);
    case kNeg: return -x;
    case kSquare: return x * x;
    case kAbs: return fabsf(x);
    case kRelu: return x < 0.0f ? 0.0f : x;  // NaN stays NaN
    case kSigmoid: return 1.0f / (1.0f + expf(-x));
    case kReciprocal: return 1.0f / x;
    case kLog1p: return log1pf(x);
    case kExpm1: return expm1f(x);
    case kSign: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case kStep: return x != x ? x : (x > 0.0f ? 1.0f : alpha);
  }
  return 0.0f;
}

MMSN_HD float binary_op(int op, float x, float y) {
  switch (op) {
    case kAdd: return x + y;
    case kSub: return x - y;
    case kMul: return x * y;
    case kDiv: return x / y;
    case kMax: return (x != x || x > y) ? x : y;
    case kMin: return (x != x || x < y) ? x : y;
    case kSqDiff: return (x - y) * (x - y);
    case kPow: return powf(x, y);
    case kGreater: return x > y;
    case kGreaterEqual: return x >= y;
    case kLess: return x < y;
    case kLessEqual: return x <= y;
    case kEqual: return x == y;
    case kNotEqual: return x != y;
  }
  return 0.0f;
}

MMSN_HD void k_unary(const UnaryP& p, int64_t i) { p.y[i] = unary_op(p.op, p.x[i], p.alpha); }

MMSN_HD void k_binary(const BinaryP& p, int64_t i) {
  int64_t ia = 0, ib = 0, rest = i;
  for (int d = p.rank - 1; d >= 0; d--) {
    const int64_t c = rest % p.shape[d];
    rest /= p.shape[d];
    ia += c * p.sa[d];
    ib += c * p.sb[d];
  }
  const float r = binary_op(p.op, p.a[ia], p.b[ib]);
  if (p.op >= kGreater) static_cast<uint8_t*>(p.out)[i] = r != 0.0f;
  else static_cast<float*>(p.out)[i] = r;
}

// Item `row` = (o, c): elements [c·chunk, min((c+1)·chunk, r)) of row o → y[row].
MMSN_HD void k_reduce_rows(const ReduceP& p, int64_t row, int lane, int lanes) {
  const int64_t o = row / p.chunks, c = row % p.chunks;
  const int64_t lo = c * p.chunk, hi = lo + p.chunk < p.r ? lo + p.chunk : p.r;
  const float* x = p.x + o * p.r;
  float acc = reduce_init(p.op);
  for (int64_t j = lo + lane; j < hi; j += lanes) acc = reduce_comb(p.op, acc, x[j]);
  acc = lane_reduce(p.op, acc);
  if (lane == 0) p.y[row] = acc * p.scale;
}

// Item i = ((o, c), in): rows [c·chunk, …) of column `in` of block o → y[(o·chunks + c)·inner + in].
MMSN_HD void k_reduce_mid(const ReduceP& p, int64_t i) {
  const int64_t in = i % p.inner, oc = i / p.inner, o = oc / p.chunks, c = oc % p.chunks;
  const int64_t lo = c * p.chunk, hi = lo + p.chunk < p.r ? lo + p.chunk : p.r;
  const float* x = p.x + o * p.r * p.inner + in;
  float acc = reduce_init(p.op);
  for (int64_t j = lo; j < hi; j++) acc = reduce_comb(p.op, acc, x[j * p.inner]);
  p.y[i] = acc * p.scale;
}

MMSN_HD void k_transpose(const TransposeP& p, int64_t i) {
  int64_t src = 0, rest = i;
  for (int d = p.rank - 1; d >= 0; d--) {
    src += (rest % p.outShape[d]) * p.inStride[d];
    rest /= p.outShape[d];
  }
  p.y[i] = p.x[src];
}

MMSN_HD void k_copy_block(const CopyP& p, int64_t i) {
  int64_t s = p.srcOff, t = p.dstOff, rest = i;
  for (int d = p.rank - 1; d >= 0; d--) {
    const int64_t c = rest % p.size[d];
    rest /= p.size[d];
    s += c * p.srcStride[d];
    t += c * p.dstStride[d];
  }
  p.dst[t] = p.src[s];
}

MMSN_HD void k_fill(const FillP& p, int64_t i) { p.y[i] = p.v; }
MMSN_HD void k_set_bytes(const SetBytesP& p, int64_t i) { p.dst[i] = p.bytes[i]; }

MMSN_HD void k_cast(const CastP& p, int64_t i) {
  float v;
  int32_t w;
  if (p.from == kF32) { v = ((const float*)p.x)[i]; w = (v != v || fabsf(v) == INFINITY) ? 0 : (int32_t)v; }  // tfjs: NaN, ±Inf → 0
  else if (p.from == kI32) { w = ((const int32_t*)p.x)[i]; v = (float)w; }
  else { w = ((const uint8_t*)p.x)[i]; v = (float)w; }
  if (p.to == kF32) ((float*)p.y)[i] = v;
  else if (p.to == kI32) ((int32_t*)p.y)[i] = w;
  else ((uint8_t*)p.y)[i] = (p.from == kF32 ? v != 0.0f : w != 0) ? 1 : 0;
}

MMSN_HD void k_softmax(const SoftmaxP& p, int64_t row, int lane, int lanes) {
  const float* x = p.x + row * p.cols;
  float* y = p.y + row * p.cols;
  float mx = -INFINITY;
  for (int64_t j = lane; j < p.cols; j += lanes) mx = max_(mx, x[j]);
  mx = lane_max(mx);
  float s = 0.0f;
  for (int64_t j = lane; j < p.cols; j += lanes) s += expf(x[j] - mx);
  s = lane_sum(s);
  if (p.log) {
    const float ls = logf(s);
    for (int64_t j = lane; j < p.cols; j += lanes) y[j] = x[j] - mx - ls;
  } else {
    const float inv = 1.0f / s;
    for (int64_t j = lane; j < p.cols; j += lanes) y[j] = expf(x[j] - mx) * inv;
  }
}

MMSN_HD void k_softmax_grad(const SoftmaxGradP& p, int64_t row, int lane, int lanes) {
  const float* pr = p.p + row * p.cols;
  const float* dp = p.dp + row * p.cols;
  float* ds = p.ds + row * p.cols;
  float s = 0.0f;
  for (int64_t j = lane; j < p.cols; j += lanes) s += pr[j] * dp[j];
  s = lane_sum(s);
  for (int64_t j = lane; j < p.cols; j += lanes) ds[j] = p.scale * pr[j] * (dp[j] - s);
}

MMSN_HD void k_gather_rows(const GatherP& p, int64_t i) {
  const int64_t r = i / p.rowWords, w = i % p.rowWords;
  p.y[i] = p.x[(int64_t)p.idx[r] * p.rowWords + w];
}

MMSN_HD void k_gemm_simt(const GemmP& p, int64_t i) {
  const int64_t mn = p.m * p.n, b = i / mn, row = (i % mn) / p.n, col = i % p.n;
  const float* a = p.a + b * p.sa;
  const float* bb = p.b + b * p.sb;
  KSum acc;  // compensated: long K (weight gradients sum over every token of the batch) stays at float32 rounding
  for (int64_t k = 0; k < p.k; k++) {
    const float x = p.ta ? a[k * p.m + row] : a[row * p.k + k];
    const float y = p.tb ? bb[col * p.k + k] : bb[k * p.n + col];
    acc.add(x * y);
  }
  p.c[i] = p.alpha * (acc.s - acc.c);
}

MMSN_HD void k_ln_fwd(const LnFwdP& p, int64_t row, int lane, int lanes) {
  const float* x = p.x + row * p.d;
  KSum s;
  for (int64_t j = lane; j < p.d; j += lanes) s.add(x[j]);
  const float mean = s.total() / (float)p.d;
  KSum v;
  for (int64_t j = lane; j < p.d; j += lanes) v.add((x[j] - mean) * (x[j] - mean));
  const float rs = 1.0f / sqrtf(v.total() / (float)p.d + p.eps);
  if (lane == 0) p.rstd[row] = rs;
  float* xh = p.xhat + row * p.d;
  float* y = p.y + row * p.d;
  for (int64_t j = lane; j < p.d; j += lanes) {
    const float h = (x[j] - mean) * rs;
    xh[j] = h;
    y[j] = h * p.g[j] + p.b[j];
  }
}

// dx = rstd·(dy·γ − mean(dy·γ) − x̂·mean(dy·γ·x̂)); dγ and dβ are column sums (k_ln_param).
MMSN_HD void k_ln_bwd(const LnBwdP& p, int64_t row, int lane, int lanes) {
  const float* dy = p.dy + row * p.d;
  const float* xh = p.xhat + row * p.d;
  KSum s1, s2;
  for (int64_t j = lane; j < p.d; j += lanes) {
    const float e = dy[j] * p.g[j];
    s1.add(e);
    s2.add(e * xh[j]);
  }
  const float m1 = s1.total() / (float)p.d, m2 = s2.total() / (float)p.d;
  const float rs = p.rstd[row];
  float* dx = p.dx + row * p.d;
  for (int64_t j = lane; j < p.d; j += lanes) dx[j] = rs * (dy[j] * p.g[j] - m1 - xh[j] * m2);
}

MMSN_HD void k_ln_param(const LnParamP& p, int64_t i) {
  const int64_t j = i % p.d, c = i / p.d;
  const int64_t lo = c * p.chunk, hi = lo + p.chunk < p.rows ? lo + p.chunk : p.rows;
  KSum sg, sb;
  for (int64_t r = lo; r < hi; r++) {
    const float e = p.dy[r * p.d + j];
    sg.add(e * p.xhat[r * p.d + j]);
    sb.add(e);
  }
  p.pg[i] = sg.s - sg.c;
  p.pb[i] = sb.s - sb.c;
}

#define MMSN_SQRT1_2 0.70710678118654752f
#define MMSN_INV_SQRT_2PI 0.39894228040143268f

MMSN_HD void k_gelu_fwd(const GeluP& p, int64_t i) {
  const float v = p.x[i];
  p.y[i] = 0.5f * v * (1.0f + erff(v * MMSN_SQRT1_2));
}

MMSN_HD void k_gelu_bwd(const GeluP& p, int64_t i) {
  const float v = p.x[i];
  p.y[i] = p.dy[i] * (0.5f * (1.0f + erff(v * MMSN_SQRT1_2)) + v * MMSN_INV_SQRT_2PI * expf(-0.5f * v * v));
}

MMSN_HD void k_adamw(const AdamWP& p, int64_t i) {
  const float g = p.g[i] * p.gscale;
  const float m = p.m[i] * p.b1 + g * (1.0f - p.b1);
  const float v = p.v[i] * p.b2 + (g * g) * (1.0f - p.b2);
  p.mo[i] = m;
  p.vo[i] = v;
  p.po[i] = p.p[i] * p.decay - (m / (sqrtf(v) * p.invBc2Sqrt + p.eps)) * p.lrBc1;
}

}  // namespace mmsnk
