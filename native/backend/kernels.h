// Plain C++ kernels of the native tfjs backend; addon.cc binds them to JavaScript. Row-major float32.
#pragma once
#include <cstdint>

namespace mmsn {

enum BinaryOp { kAdd = 0, kSub, kMul, kDiv, kMax, kMin, kSqDiff, kPow };
enum UnaryOp { kExp = 0, kLog, kSqrt, kRsqrt, kTanh, kErf, kNeg, kSquare, kAbs, kRelu, kSigmoid, kReciprocal, kLog1p, kExpm1, kSign, kStep };
enum ReduceOp { kSum = 0, kMean, kRMax, kRMin, kProd };

// C[b] = op(A[b])·op(B[b]); sa/sb = 0 broadcasts A/B over the batch.
void batchMatmul(bool ta, bool tb, int m, int n, int k, int batch, int64_t sa, int64_t sb, const float* a, const float* b, float* c);

// out = a ∘ b over `rank` (collapsed) dims with element strides sa/sb (0 = broadcast).
void binary(int op, int rank, const int64_t* shape, const int64_t* sa, const int64_t* sb, const float* a, const float* b, float* out);
void unary(int op, int64_t n, float alpha, const float* x, float* out);

// x is [outer, r, inner]; out is [outer, inner].
void reduce(int op, int64_t outer, int64_t r, int64_t inner, const float* x, float* out);
void transpose(int rank, const int64_t* inShape, const int* perm, const float* x, float* out, int elemBytes);

// Copy the block `size` at srcBegin of src (shape srcShape) to dstBegin of dst (shape dstShape); rank ≤ 8.
void copyBlock(int rank, const int64_t* size, const int64_t* srcShape, const int64_t* srcBegin, const int64_t* dstShape,
               const int64_t* dstBegin, const char* src, char* dst, int elemBytes);
void fill(int64_t n, float value, float* out);

// Multi-head attention on q/k/v [B·T, H·dh]: o = softmax(scale·QKᵀ)·V per head, P [B, H, T, T] kept.
void attentionFwd(int b, int t, int h, int dh, float scale, const float* q, const float* k, const float* v, float* o, float* p);
void attentionBwd(int b, int t, int h, int dh, float scale, const float* dout, const float* q, const float* k, const float* v,
                  const float* p, float* dq, float* dk, float* dv);

void softmax(int64_t rows, int64_t cols, const float* x, float* out);
void layerNormFwd(int64_t rows, int64_t d, float eps, const float* x, const float* g, const float* b, float* y, float* xhat, float* rstd);
void layerNormBwd(int64_t rows, int64_t d, const float* dy, const float* xhat, const float* rstd, const float* g, float* dx, float* dg, float* db);
void geluFwd(int64_t n, const float* x, float* y);
void geluBwd(int64_t n, const float* dy, const float* x, float* dx);
void gatherRows(int64_t nIdx, int64_t rowBytes, int64_t nRows, const int32_t* idx, const char* x, char* out);
void addN(int count, int64_t n, const float* const* xs, float* out);
// One AdamW update in PyTorch's order into new buffers: m' = b1·m + (1−b1)·g', v' = b2·v + (1−b2)·g'²,
// p' = p·decay − lrBc1·m'/(√v'·invBc2Sqrt + eps), with g' = gscale·g.
void adamw(int64_t n, float decay, float b1, float b2, float gscale, float invBc2Sqrt, float eps, float lrBc1, const float* p, const float* m, const float* v, const float* g, float* po, float* mo, float* vo);

}  // namespace mmsn
