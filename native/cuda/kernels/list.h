// Every device kernel once: X(name, parameter block, kind, number of work items as an expression of p).
// kind ELEM: one thread per item; kind ROW: one warp (32 lanes) per row on the GPU, one loop per row on
// the host. kernels.cu turns each entry into `extern "C" __global__ void mmsn_<name>(P p)`; device_host.cc
// into a loop over the same body.
#pragma once
#define MMSN_KERNELS(X)                                   \
  X(unary, UnaryP, ELEM, p.n)                             \
  X(binary, BinaryP, ELEM, p.n)                           \
  X(reduce_rows, ReduceP, ROW, p.outer * p.chunks)        \
  X(reduce_mid, ReduceP, ELEM, p.outer * p.chunks * p.inner)\
  X(transpose, TransposeP, ELEM, p.n)                     \
  X(copy_block, CopyP, ELEM, p.n)                         \
  X(fill, FillP, ELEM, p.n)                               \
  X(set_bytes, SetBytesP, ELEM, p.n)                      \
  X(cast, CastP, ELEM, p.n)                               \
  X(softmax, SoftmaxP, ROW, p.rows)                       \
  X(softmax_grad, SoftmaxGradP, ROW, p.rows)              \
  X(gather_rows, GatherP, ELEM, p.n)                      \
  X(gemm_simt, GemmP, ELEM, p.count)                      \
  X(ln_fwd, LnFwdP, ROW, p.rows)                          \
  X(ln_bwd, LnBwdP, ROW, p.rows)                          \
  X(ln_param, LnParamP, ELEM, p.count)                    \
  X(gelu_fwd, GeluP, ELEM, p.n)                           \
  X(gelu_bwd, GeluP, ELEM, p.n)                           \
  X(adamw, AdamWP, ELEM, p.n)
