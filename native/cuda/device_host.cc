// The host reference device: the kernel bodies of kernels/bodies.h run as loops on the CPU (ROW kernels with
// one lane), buffers are malloc'd and GEMM is the same one-output-per-item kernel the GPU uses without
// cuBLAS. It exists so the whole CUDA backend (TypeScript storage, kernels, launch parameters) is tested on
// machines without a GPU; it is not meant to be fast.
#include <stdlib.h>
#include <string.h>
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
