// The GPU build of the device kernels (bodies.h), compiled ahead of time by nvcc into
// build/mmsn_kernels.fatbin (native/cuda/build_kernels.mjs): SASS for sm_80 and sm_90, plus compute_90 PTX
// that newer GPUs JIT. The addon loads it with cuModuleLoadData and finds each kernel by its C name.
// ELEM kernels: grid-stride loop, one thread per item. ROW kernels: one warp per row (lane = thread % 32).
#include "kernels/bodies.h"
#include "kernels/list.h"

#define MMSN_WRAP_ELEM(name, P, count)                                                     \
  extern "C" __global__ void mmsn_##name(mmsnk::P p) {                                   \
    const int64_t n_ = (count);                                                            \
    const int64_t step_ = (int64_t)gridDim.x * blockDim.x;                                 \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n_; i += step_) \
      mmsnk::k_##name(p, i);                                                               \
  }
#define MMSN_WRAP_ROW(name, P, count)                                                      \
  extern "C" __global__ void mmsn_##name(mmsnk::P p) {                                   \
    const int64_t n_ = (count);                                                            \
    const int lane = threadIdx.x & 31;                                                     \
    const int64_t step_ = ((int64_t)gridDim.x * blockDim.x) >> 5;                          \
    for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < n_; r += step_) \
      mmsnk::k_##name(p, r, lane, 32);                                                     \
  }
#define MMSN_WRAP(name, P, kind, count) MMSN_WRAP_##kind(name, P, count)
MMSN_KERNELS(MMSN_WRAP)
