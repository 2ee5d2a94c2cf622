// The device abstraction behind the addon: buffers (a caching allocator over raw device memory), copies,
// kernel launches by id and GEMM. Two implementations: HostDevice (device_host.cc, the CPU reference) and
// CudaDevice (device_cuda.cc, the driver API and cuBLAS, both loaded with dlopen).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>
#include "kernels/list.h"
#include "kernels/params.h"

namespace mmsn_cuda {

#define MMSN_KERNEL_ID(name, P, kind, count) K_##name,
enum KernelId { MMSN_KERNELS(MMSN_KERNEL_ID) K_COUNT };
#undef MMSN_KERNEL_ID

enum Kind { ELEM = 0, ROW = 1 };

struct Info {
  std::string device, name, cc, blas, math;
  double memBytes = 0;
};

class Device {
 public:
  virtual ~Device() = default;
  virtual Info info() const = 0;
  /** Launch kernel `id` on `items` work items (ELEM: elements, ROW: rows) with its parameter block. */
  virtual void launch(KernelId id, const void* params, int64_t items, Kind kind) = 0;
  /** Row-major c[b] = alpha·op(a[b])·op(b[b]); batch strides in elements, 0 = broadcast. */
  virtual void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t batch, int64_t sa, int64_t sb, float alpha,
                    const float* a, const float* b, float* c) = 0;
  virtual void upload(void* dst, const void* src, size_t bytes) = 0;
  virtual void download(void* dst, const void* src, size_t bytes) = 0;
  virtual void sync() = 0;

  /**
   * GEMM precision override of a training step (addon setPrecision, docs/performance.md#bf16): true = bf16
   * inputs with fp32 accumulation and output (cuBLAS CUBLAS_COMPUTE_32F_FAST_16BF on a GPU; the host device
   * rounds both operands to bf16, nearest even, before its fp32 loops), whatever the math mode opened with.
   */
  bool bf16 = false;

  /** Caching allocator: freed blocks are kept by rounded size and reused (one stream, so reuse is ordered). */
  void* alloc(size_t bytes, size_t* cap);
  void release(void* ptr, size_t cap);
  void emptyCache();
  size_t inUseBytes = 0, cachedBytes = 0;

 protected:
  virtual void* rawAlloc(size_t bytes) = 0;  // nullptr when out of memory
  virtual void rawFree(void* ptr) = 0;

 private:
  std::unordered_map<size_t, std::vector<void*>> cache_;
};

/** The process's device (one per process), or nullptr before open. */
Device* current();
Device* openHost();
/** Throws std::runtime_error with the reason when no GPU can be used. */
Device* openCuda(int ordinal, const std::string& fatbinPath, const std::string& math, const std::vector<std::string>& cublasCandidates);

struct Probe {
  bool ok = false;
  std::string reason;
  struct Dev { std::string name, cc; double memBytes; };
  std::vector<Dev> devices;
};
Probe probeCuda();

// Typed launchers, one per kernel: mmsn_cuda::run_<name>(device, params) (no launch for 0 items).
#define MMSN_RUNNER(name, P, kind, count)                          \
  inline void run_##name(Device& dev, const mmsnk::P& p) {         \
    const int64_t items = (count);                                 \
    if (items > 0) dev.launch(K_##name, &p, items, kind);          \
  }
MMSN_KERNELS(MMSN_RUNNER)
#undef MMSN_RUNNER

}  // namespace mmsn_cuda
