// Parameter blocks of the device kernels. Each kernel takes one of these by value, so the same struct is
// built by the host code (native/cuda/addon.cc) and read by both compilations of the kernel bodies
// (bodies.h): nvcc's for the GPU (kernels.cu) and g++'s for the host reference device (device_host.cc).
// Plain C layout only: no pointers to host memory, no virtuals.
#pragma once
#include <stdint.h>

#define MMSN_MAX_RANK 8

namespace mmsnk {

// ops from kGreater on are comparisons: 0/1 written as 1-byte bools
enum Binary { kAdd = 0, kSub, kMul, kDiv, kMax, kMin, kSqDiff, kPow, kGreater, kGreaterEqual, kLess, kLessEqual, kEqual, kNotEqual };
enum Unary { kExp = 0, kLog, kSqrt, kRsqrt, kTanh, kErf, kNeg, kSquare, kAbs, kRelu, kSigmoid, kReciprocal, kLog1p, kExpm1, kSign, kStep };
enum Reduce { kRSum = 0, kRMean, kRMax, kRMin, kRProd };
enum DType { kF32 = 0, kI32 = 1, kBool = 2 };

struct UnaryP { const float* x; float* y; int64_t n; int op; float alpha; };
struct BinaryP {
  const float* a; const float* b; void* out; int64_t n; int op; int rank;
  int64_t shape[MMSN_MAX_RANK]; int64_t sa[MMSN_MAX_RANK]; int64_t sb[MMSN_MAX_RANK];
};
// x viewed as [outer, r, inner] → y [outer, chunks, inner]: each item reduces `chunk` consecutive elements of
// r (the last chunk may be shorter) and multiplies by `scale` (Mean = Sum·1/r). chunks = 1 is the whole
// reduction; more chunks are a first pass whose output a second pass reduces (parallelism for long r).
struct ReduceP { const float* x; float* y; int64_t outer, r, inner, chunk, chunks; int op; float scale; };
// out[i] = in[Σ idx_d·inStride_d] over the output's multi-index (4-byte elements).
struct TransposeP { const uint32_t* x; uint32_t* y; int64_t n; int rank; int64_t outShape[MMSN_MAX_RANK]; int64_t inStride[MMSN_MAX_RANK]; };
struct CopyP {
  const uint32_t* src; uint32_t* dst; int64_t n; int rank;
  int64_t size[MMSN_MAX_RANK]; int64_t srcStride[MMSN_MAX_RANK]; int64_t dstStride[MMSN_MAX_RANK]; int64_t srcOff, dstOff;
};
struct FillP { float* y; int64_t n; float v; };
// Bytes carried in the launch's own parameters: a small upload that queues on the stream like a kernel
// (the driver copies parameters at launch), where a pageable cuMemcpyHtoD would wait for the GPU.
#define MMSN_SET_BYTES_MAX 256
struct SetBytesP { unsigned char* dst; int64_t n; unsigned char bytes[MMSN_SET_BYTES_MAX]; };
struct CastP { const void* x; void* y; int64_t n; int from, to; };
struct SoftmaxP { const float* x; float* y; int64_t rows, cols; int log; };
struct SoftmaxGradP { const float* p; const float* dp; float* ds; int64_t rows, cols; float scale; };
struct GatherP { const int32_t* idx; const uint32_t* x; uint32_t* y; int64_t n, rowWords; };
// c[b] = alpha·op(a[b])·op(b[b]), row-major, one output element per thread (the GEMM without cuBLAS).
struct GemmP { const float* a; const float* b; float* c; int64_t count, m, n, k, sa, sb; int ta, tb; float alpha; };
struct LnFwdP { const float* x; const float* g; const float* b; float* y; float* xhat; float* rstd; int64_t rows, d; float eps; };
struct LnBwdP { const float* dy; const float* xhat; const float* rstd; const float* g; float* dx; int64_t rows, d; };
// Partial dγ, dβ sums of rows [c·chunk, (c+1)·chunk) → pg, pb [chunks, d]; one thread per (c, j).
struct LnParamP { const float* dy; const float* xhat; float* pg; float* pb; int64_t rows, d, chunk, count; };
struct GeluP { const float* dy; const float* x; float* y; int64_t n; };
struct AdamWP {
  const float* p; const float* m; const float* v; const float* g; float* po; float* mo; float* vo;
  int64_t n; float decay, b1, b2, gscale, invBc2Sqrt, eps, lrBc1;
};

}  // namespace mmsnk
