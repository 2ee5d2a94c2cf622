// Elementwise kernels: broadcasting binary ops, unary math, AddN, row gathers and transposes.
#include <cmath>
#include <cstring>
#include "common.h"
#include "fastmath.h"
#include "kernels.h"

namespace mmsn {

template <int OP>
static inline float bin(float x, float y) {
  if constexpr (OP == kAdd) return x + y;
  if constexpr (OP == kSub) return x - y;
  if constexpr (OP == kMul) return x * y;
  if constexpr (OP == kDiv) return x / y;
  if constexpr (OP == kMax) return (std::isnan(x) || x > y) ? x : y;
  if constexpr (OP == kMin) return (std::isnan(x) || x < y) ? x : y;
  if constexpr (OP == kSqDiff) return (x - y) * (x - y);
  if constexpr (OP == kPow) return std::pow(x, y);
  return 0.0f;
}

// Inner loop over one row of the (collapsed) output with strides ia/ib ∈ {0,1}.
template <int OP>
static inline void row(int64_t n, const float* a, int64_t ia, const float* b, int64_t ib, float* o) {
  if (ia == 1 && ib == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) o[j] = bin<OP>(a[j], b[j]);
  } else if (ia == 1) {
    const float y = b[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) o[j] = bin<OP>(a[j], y);
  } else if (ib == 1) {
    const float x = a[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) o[j] = bin<OP>(x, b[j]);
  } else {
    for (int64_t j = 0; j < n; j++) o[j] = bin<OP>(a[j * ia], b[j * ib]);
  }
}

template <int OP>
static void binaryT(int rank, const int64_t* shape, const int64_t* sa, const int64_t* sb, const float* a, const float* b, float* out) {
  const int64_t inner = rank ? shape[rank - 1] : 1;
  int64_t outer = 1;
  for (int d = 0; d + 1 < rank; d++) outer *= shape[d];
  const int64_t ia = rank ? sa[rank - 1] : 0, ib = rank ? sb[rank - 1] : 0;
  if (outer == 1) {  // one long row: split it
    const int nt = threadsFor(inner);
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num(), T = omp_get_num_threads();
      const int64_t lo = inner * t / T, hi = inner * (t + 1) / T;
      row<OP>(hi - lo, a + lo * ia, ia, b + lo * ib, ib, out + lo);
    }
    return;
  }
  const int nt = threadsFor(outer * inner);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < outer; r++) {
    int64_t oa = 0, ob = 0, rem = r;
    for (int d = rank - 2; d >= 0; d--) {
      const int64_t i = rem % shape[d];
      rem /= shape[d];
      oa += i * sa[d];
      ob += i * sb[d];
    }
    row<OP>(inner, a + oa, ia, b + ob, ib, out + r * inner);
  }
}

void binary(int op, int rank, const int64_t* shape, const int64_t* sa, const int64_t* sb, const float* a, const float* b, float* out) {
  switch (op) {
    case kAdd: return binaryT<kAdd>(rank, shape, sa, sb, a, b, out);
    case kSub: return binaryT<kSub>(rank, shape, sa, sb, a, b, out);
    case kMul: return binaryT<kMul>(rank, shape, sa, sb, a, b, out);
    case kDiv: return binaryT<kDiv>(rank, shape, sa, sb, a, b, out);
    case kMax: return binaryT<kMax>(rank, shape, sa, sb, a, b, out);
    case kMin: return binaryT<kMin>(rank, shape, sa, sb, a, b, out);
    case kSqDiff: return binaryT<kSqDiff>(rank, shape, sa, sb, a, b, out);
    case kPow: return binaryT<kPow>(rank, shape, sa, sb, a, b, out);
  }
}

template <int OP>
static inline float un(float x, float alpha) {
  if constexpr (OP == kExp) return std::exp(x);
  if constexpr (OP == kLog) return std::log(x);
  if constexpr (OP == kSqrt) return std::sqrt(x);
  if constexpr (OP == kRsqrt) return 1.0f / std::sqrt(x);
  if constexpr (OP == kTanh) return std::tanh(x);
  if constexpr (OP == kErf) return std::erf(x);
  if constexpr (OP == kNeg) return -x;
  if constexpr (OP == kSquare) return x * x;
  if constexpr (OP == kAbs) return std::fabs(x);
  if constexpr (OP == kRelu) return x < 0.0f ? 0.0f : x;  // NaN stays NaN
  if constexpr (OP == kSigmoid) return 1.0f / (1.0f + std::exp(-x));
  if constexpr (OP == kReciprocal) return 1.0f / x;
  if constexpr (OP == kLog1p) return std::log1p(x);
  if constexpr (OP == kExpm1) return std::expm1(x);
  if constexpr (OP == kSign) return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
  if constexpr (OP == kStep) return std::isnan(x) ? NAN : (x > 0.0f ? 1.0f : alpha);
  return 0.0f;
}

// Vectorised chunks for the transcendental ops (see fastmath.h), compiled per ISA by target_clones.
#define MMSN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
MMSN_CLONES static void expChunk(int64_t n, const float* x, float* o) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) o[i] = fastExp(x[i]);
}
MMSN_CLONES static void erfChunk(int64_t n, const float* x, float* o) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) o[i] = fastErfWithExp(x[i], fastExp(-x[i] * x[i]));
}
MMSN_CLONES static void sigmoidChunk(int64_t n, const float* x, float* o) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) o[i] = 1.0f / (1.0f + fastExp(-x[i]));
}
MMSN_CLONES static void tanhChunk(int64_t n, const float* x, float* o) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    const float a = x[i] < 0.0f ? -x[i] : x[i];
    const float e = fastExp(-2.0f * a);                 // tanh|x| = (1 − e)/(1 + e), no cancellation for large |x|
    const float t = a < 0.004f ? a : (1.0f - e) / (1.0f + e);  // tiny |x|: tanh x = x to float precision
    o[i] = x[i] < 0.0f ? -t : t;
  }
}

template <int OP>
static void unaryT(int64_t n, float alpha, const float* x, float* out) {
  if constexpr (OP == kExp || OP == kErf || OP == kSigmoid || OP == kTanh) {
    const int nt = threadsFor(n * 8);
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num(), T = omp_get_num_threads();
      const int64_t lo = n * t / T, hi = n * (t + 1) / T;
      if (OP == kExp) expChunk(hi - lo, x + lo, out + lo);
      if (OP == kErf) erfChunk(hi - lo, x + lo, out + lo);
      if (OP == kSigmoid) sigmoidChunk(hi - lo, x + lo, out + lo);
      if (OP == kTanh) tanhChunk(hi - lo, x + lo, out + lo);
    }
    return;
  }
  const int nt = threadsFor(n * 8);
#pragma omp parallel for simd num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; i++) out[i] = un<OP>(x[i], alpha);
}

void unary(int op, int64_t n, float alpha, const float* x, float* out) {
  switch (op) {
    case kExp: return unaryT<kExp>(n, alpha, x, out);
    case kLog: return unaryT<kLog>(n, alpha, x, out);
    case kSqrt: return unaryT<kSqrt>(n, alpha, x, out);
    case kRsqrt: return unaryT<kRsqrt>(n, alpha, x, out);
    case kTanh: return unaryT<kTanh>(n, alpha, x, out);
    case kErf: return unaryT<kErf>(n, alpha, x, out);
    case kNeg: return unaryT<kNeg>(n, alpha, x, out);
    case kSquare: return unaryT<kSquare>(n, alpha, x, out);
    case kAbs: return unaryT<kAbs>(n, alpha, x, out);
    case kRelu: return unaryT<kRelu>(n, alpha, x, out);
    case kSigmoid: return unaryT<kSigmoid>(n, alpha, x, out);
    case kReciprocal: return unaryT<kReciprocal>(n, alpha, x, out);
    case kLog1p: return unaryT<kLog1p>(n, alpha, x, out);
    case kExpm1: return unaryT<kExpm1>(n, alpha, x, out);
    case kSign: return unaryT<kSign>(n, alpha, x, out);
    case kStep: return unaryT<kStep>(n, alpha, x, out);
  }
}

void addN(int count, int64_t n, const float* const* xs, float* out) {
  const int nt = threadsFor(n * count);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i0 = 0; i0 < n; i0 += 4096) {
    const int64_t i1 = i0 + 4096 < n ? i0 + 4096 : n;
    const float* x0 = xs[0];
    for (int64_t i = i0; i < i1; i++) out[i] = x0[i];
    for (int c = 1; c < count; c++) {
      const float* x = xs[c];
#pragma omp simd
      for (int64_t i = i0; i < i1; i++) out[i] += x[i];
    }
  }
}

void gatherRows(int64_t nIdx, int64_t rowBytes, int64_t nRows, const int32_t* idx, const char* x, char* out) {
  const int nt = threadsFor(nIdx * rowBytes / 4);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < nIdx; i++) {
    const int64_t r = idx[i];
    if (r >= 0 && r < nRows) std::memcpy(out + i * rowBytes, x + r * rowBytes, rowBytes);
    else std::memset(out + i * rowBytes, 0, rowBytes);  // tfjs cpu also yields zeros out of range
  }
}

void transpose(int rank, const int64_t* inShape, const int* perm, const float* x, float* out, int elemBytes) {
  int64_t inStride[8], outShape[8], srcStride[8];
  inStride[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; d--) inStride[d] = inStride[d + 1] * inShape[d + 1];
  for (int d = 0; d < rank; d++) {
    outShape[d] = inShape[perm[d]];
    srcStride[d] = inStride[perm[d]];
  }
  const int64_t inner = outShape[rank - 1];
  int64_t outer = 1;
  for (int d = 0; d + 1 < rank; d++) outer *= outShape[d];
  const int64_t is = srcStride[rank - 1];
  const char* X = reinterpret_cast<const char*>(x);
  char* O = reinterpret_cast<char*>(out);
  const int nt = threadsFor(outer * inner);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < outer; r++) {
    int64_t off = 0, rem = r;
    for (int d = rank - 2; d >= 0; d--) {
      off += (rem % outShape[d]) * srcStride[d];
      rem /= outShape[d];
    }
    if (is == 1) {
      std::memcpy(O + r * inner * elemBytes, X + off * elemBytes, inner * elemBytes);
    } else if (elemBytes == 4) {
      const float* s = x + off;
      float* o = out + r * inner;
      for (int64_t j = 0; j < inner; j++) o[j] = s[j * is];
    } else {
      for (int64_t j = 0; j < inner; j++) std::memcpy(O + (r * inner + j) * elemBytes, X + (off + j * is) * elemBytes, elemBytes);
    }
  }
}

}  // namespace mmsn

namespace mmsn {

void copyBlock(int rank, const int64_t* size, const int64_t* srcShape, const int64_t* srcBegin, const int64_t* dstShape,
               const int64_t* dstBegin, const char* src, char* dst, int elemBytes) {
  int64_t ss[8], ds[8];
  ss[rank - 1] = ds[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; d--) {
    ss[d] = ss[d + 1] * srcShape[d + 1];
    ds[d] = ds[d + 1] * dstShape[d + 1];
  }
  int64_t srcOff = 0, dstOff = 0, outer = 1;
  for (int d = 0; d < rank; d++) {
    srcOff += srcBegin[d] * ss[d];
    dstOff += dstBegin[d] * ds[d];
  }
  for (int d = 0; d + 1 < rank; d++) outer *= size[d];
  const int64_t inner = size[rank - 1] * elemBytes;
  if (inner == 0 || outer == 0) return;
  const int nt = threadsFor(outer * size[rank - 1]);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < outer; r++) {
    int64_t so = srcOff, dof = dstOff, rem = r;
    for (int d = rank - 2; d >= 0; d--) {
      const int64_t i = rem % size[d];
      rem /= size[d];
      so += i * ss[d];
      dof += i * ds[d];
    }
    std::memcpy(dst + dof * elemBytes, src + so * elemBytes, inner);
  }
}

void fill(int64_t n, float value, float* out) {
  const int nt = threadsFor(n);
#pragma omp parallel for simd num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; i++) out[i] = value;
}

}  // namespace mmsn
