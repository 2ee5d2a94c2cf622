// The host reference device: the kernel bodies of kernels/bodies.h run as loops on the CPU (ROW kernels with
// one lane), buffers are malloc'd and GEMM is the same one-output-per-item kernel the GPU uses without
// cuBLAS. It exists so the whole CUDA backend (TypeScript storage, kernels, launch parameters) is tested on
// machines without a GPU; it is not meant to be fast.
#include <stdlib.h>
#include <string.h>
#include <vector>
#include "device.h"
#include "kernels/bodies.h"

namespace mmsn_cuda {

namespace {

#define MMSN_HOST_ELEM(name, P)                                     \
  static void host_##name(const void* raw, int64_t items) {         \
    const mmsnk::P& p = *static_cast<const mmsnk::P*>(raw);         \
    _Pragma("omp parallel for schedule(static) if (items > 16384)") \
    for (int64_t i = 0; i < items; i++) mmsnk::k_##name(p, i);      \
  }
#define MMSN_HOST_ROW(name, P)                                      \
  static void host_##name(const void* raw, int64_t items) {         \
    const mmsnk::P& p = *static_cast<const mmsnk::P*>(raw);         \
    _Pragma("omp parallel for schedule(static) if (items > 256)")   \
    for (int64_t r = 0; r < items; r++) mmsnk::k_##name(p, r, 0, 1); \
  }
#define MMSN_HOST(name, P, kind, count) MMSN_HOST_##kind(name, P)
MMSN_KERNELS(MMSN_HOST)
#undef MMSN_HOST

// fp32 → bf16 → fp32, round to nearest even (NaN kept): what cuBLAS's bf16 math does to GEMM inputs.
float bf16Round(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  u = (u & 0x7FFFFFFFu) > 0x7F800000u ? (u | 0x00400000u) & 0xFFFF0000u : (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
  float r;
  memcpy(&r, &u, 4);
  return r;
}

// The elements a batched operand spans (stride 0 = one matrix broadcast over the batch).
std::vector<float> roundedCopy(const float* x, int64_t batch, int64_t stride, int64_t size) {
  std::vector<float> out(size_t(stride > 0 ? (batch - 1) * stride + size : size));
  for (size_t i = 0; i < out.size(); i++) out[i] = bf16Round(x[i]);
  return out;
}

using HostFn = void (*)(const void*, int64_t);
#define MMSN_HOST_FN(name, P, kind, count) host_##name,
const HostFn kHostFns[K_COUNT] = {MMSN_KERNELS(MMSN_HOST_FN)};
#undef MMSN_HOST_FN

class HostDevice final : public Device {
 public:
  Info info() const override { return Info{"host", "host reference device (CPU loops)", "", "host loops (the SIMT GEMM kernel)", "fp32", 0}; }
  void launch(KernelId id, const void* params, int64_t items, Kind) override { kHostFns[id](params, items); }
  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t batch, int64_t sa, int64_t sb, float alpha,
            const float* a, const float* b, float* c) override {
    if (bf16) {  // emulate cuBLAS's bf16 math: operands rounded to bf16, products and sums in fp32
      const std::vector<float> ar = roundedCopy(a, batch, sa, m * k), br = roundedCopy(b, batch, sb, k * n);
      run_gemm_simt(*this, mmsnk::GemmP{ar.data(), br.data(), c, batch * m * n, m, n, k, sa, sb, ta, tb, alpha});
      return;
    }
    run_gemm_simt(*this, mmsnk::GemmP{a, b, c, batch * m * n, m, n, k, sa, sb, ta, tb, alpha});
  }
  void upload(void* dst, const void* src, size_t bytes) override { memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { memcpy(dst, src, bytes); }
  void sync() override {}

 protected:
  void* rawAlloc(size_t bytes) override { return aligned_alloc(256, bytes); }
  void rawFree(void* p) override { free(p); }
};

}  // namespace

Device* openHost() { return new HostDevice(); }

}  // namespace mmsn_cuda
