// The GPU device: the CUDA driver API and cuBLAS, both loaded with dlopen at run time, so this addon builds
// without CUDA headers or libraries and loads on machines without a GPU (where probeCuda says why).
// Kernels come from the nvcc-built fatbin (kernels.cu); everything runs in order on the legacy default
// stream, which is also cuBLAS's default, so a freed buffer can be reused by the next kernel safely and
// cuMemcpyDtoH waits for every queued kernel.
#include <dlfcn.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include "device.h"

namespace mmsn_cuda {

namespace {

// ---- the slice of cuda.h we use (driver API, stable C ABI) ----
typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st* CUcontext;
typedef struct CUmod_st* CUmodule;
typedef struct CUfunc_st* CUfunction;
typedef struct CUstream_st* CUstream;
typedef unsigned long long CUdeviceptr;
enum { CUDA_SUCCESS = 0, CUDA_ERROR_OUT_OF_MEMORY = 2, CU_ATTR_SM_COUNT = 16, CU_ATTR_CC_MAJOR = 75, CU_ATTR_CC_MINOR = 76 };

struct Driver {
  void* lib = nullptr;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int*);
  CUresult (*cuDeviceGet)(CUdevice*, int);
  CUresult (*cuDeviceGetName)(char*, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int*, int, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t*, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(CUmodule*, const void*);
  CUresult (*cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
  CUresult (*cuMemAlloc)(CUdeviceptr*, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void*, size_t);
  CUresult (*cuMemcpyDtoH)(void*, CUdeviceptr, size_t);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void**, void**);
  CUresult (*cuGetErrorString)(CUresult, const char**);
  // for cleaning up after a failed open only: their absence is not an error
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*cuModuleUnload)(CUmodule) = nullptr;
  std::string error;  // why it could not load ("" when loaded)
};

template <typename F>
bool sym(void* lib, const char* name, F& f) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  return f != nullptr;
}

Driver& driver() {
  static Driver d;
  static bool tried = false;
  if (tried) return d;
  tried = true;
  d.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!d.lib) {
    d.error = std::string("libcuda.so.1 not found (no NVIDIA driver on this machine): ") + dlerror();
    return d;
  }
  const bool ok = sym(d.lib, "cuInit", d.cuInit) && sym(d.lib, "cuDeviceGetCount", d.cuDeviceGetCount) &&
                  sym(d.lib, "cuDeviceGet", d.cuDeviceGet) && sym(d.lib, "cuDeviceGetName", d.cuDeviceGetName) &&
                  sym(d.lib, "cuDeviceGetAttribute", d.cuDeviceGetAttribute) && sym(d.lib, "cuDeviceTotalMem_v2", d.cuDeviceTotalMem) &&
                  sym(d.lib, "cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain) && sym(d.lib, "cuCtxSetCurrent", d.cuCtxSetCurrent) &&
                  sym(d.lib, "cuCtxSynchronize", d.cuCtxSynchronize) && sym(d.lib, "cuModuleLoadData", d.cuModuleLoadData) &&
                  sym(d.lib, "cuModuleGetFunction", d.cuModuleGetFunction) && sym(d.lib, "cuMemAlloc_v2", d.cuMemAlloc) &&
                  sym(d.lib, "cuMemFree_v2", d.cuMemFree) && sym(d.lib, "cuMemcpyHtoD_v2", d.cuMemcpyHtoD) &&
                  sym(d.lib, "cuMemcpyDtoH_v2", d.cuMemcpyDtoH) && sym(d.lib, "cuLaunchKernel", d.cuLaunchKernel) &&
                  sym(d.lib, "cuGetErrorString", d.cuGetErrorString);
  if (!ok) d.error = "libcuda.so.1 lacks a driver API function this addon needs (driver too old?)";
  sym(d.lib, "cuDevicePrimaryCtxRelease_v2", d.cuDevicePrimaryCtxRelease);
  sym(d.lib, "cuModuleUnload", d.cuModuleUnload);
  return d;
}

std::string errorText(CUresult r) {
  const char* s = nullptr;
  if (driver().cuGetErrorString) driver().cuGetErrorString(r, &s);
  return std::string(s ? s : "unknown CUDA error") + " (CUresult " + std::to_string(r) + ")";
}

void check(CUresult r, const char* what) {
  if (r != CUDA_SUCCESS) throw std::runtime_error(std::string("CUDA: ") + what + " failed: " + errorText(r));
}

/** Name, compute capability and memory of one device, as the driver reports them. */
Probe::Dev describe(CUdevice dev) {
  Driver& d = driver();
  char name[256] = {0};
  d.cuDeviceGetName(name, sizeof name, dev);
  int ma = 0, mi = 0;
  d.cuDeviceGetAttribute(&ma, CU_ATTR_CC_MAJOR, dev);
  d.cuDeviceGetAttribute(&mi, CU_ATTR_CC_MINOR, dev);
  size_t mem = 0;
  d.cuDeviceTotalMem(&mem, dev);
  return {name, std::to_string(ma) + "." + std::to_string(mi), double(mem)};
}

// ---- the slice of cublas_api.h we use ----
typedef void* cublasHandle_t;
enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUDA_R_32F = 0, CUBLAS_GEMM_DEFAULT = -1 };
enum { CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_16BF = 75, CUBLAS_COMPUTE_32F_FAST_TF32 = 77 };

struct Cublas {
  void* lib = nullptr;
  cublasHandle_t h = nullptr;
  int (*create)(cublasHandle_t*);
  int (*gemm)(cublasHandle_t, int, int, int, int, int, const void*, const void*, int, int, long long, const void*, int, int, long long,
              const void*, void*, int, int, long long, int, int, int);
  std::string soname;
};

class CudaDevice final : public Device {
 public:
  CudaDevice(int ordinal, const std::string& fatbin, const std::string& math, const std::vector<std::string>& cublas) : math_(math) {
    Driver& d = driver();
    check(d.cuDeviceGet(&dev_, ordinal), "cuDeviceGet");
    check(d.cuDevicePrimaryCtxRetain(&ctx_, dev_), "cuDevicePrimaryCtxRetain");
    try {
      load(fatbin, cublas);
    } catch (...) {
      // a failed open gives the GPU back: the process goes on with another backend
      if (module_ && d.cuModuleUnload) d.cuModuleUnload(module_);
      d.cuCtxSetCurrent(nullptr);  // load() may have made the context current: no thread keeps a released one
      if (d.cuDevicePrimaryCtxRelease) d.cuDevicePrimaryCtxRelease(dev_);
      throw;
    }
  }

 private:
  /** Everything after retaining the primary context: make it current, load the kernels, find cuBLAS. */
  void load(const std::string& fatbin, const std::vector<std::string>& cublas) {
    Driver& d = driver();
    check(d.cuCtxSetCurrent(ctx_), "cuCtxSetCurrent");
    check(d.cuDeviceGetAttribute(&sms_, CU_ATTR_SM_COUNT, dev_), "cuDeviceGetAttribute");
    std::ifstream f(fatbin, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read the CUDA kernels " + fatbin + " (run node native/build.mjs with nvcc installed)");
    image_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    CUresult r = d.cuModuleLoadData(&module_, image_.data());
    if (r != CUDA_SUCCESS) {
      throw std::runtime_error("the CUDA kernels in " + fatbin + " do not load on this GPU (built for sm_80, sm_90 and compute_90 PTX): " + errorText(r));
    }
#define MMSN_GET(name, P, kind, count) check(d.cuModuleGetFunction(&fns_[K_##name], module_, "mmsn_" #name), "cuModuleGetFunction mmsn_" #name);
    MMSN_KERNELS(MMSN_GET)
#undef MMSN_GET
    loadCublas(cublas);
  }

 public:
  Info info() const override {
    const Probe::Dev dv = describe(dev_);
    const std::string blas = blas_.h ? "cuBLAS " + blas_.soname + " (" + math_ + ")" : "SIMT GEMM kernel (" + blasWhy_ + ")";
    return Info{"cuda", dv.name, dv.cc, blas, blas_.h ? math_ : "fp32", dv.memBytes};
  }

  void launch(KernelId id, const void* params, int64_t items, Kind kind) override {
    const int64_t threads = 256;
    const int64_t perBlock = kind == ROW ? threads / 32 : threads;
    int64_t grid = (items + perBlock - 1) / perBlock;
    const int64_t cap = int64_t(sms_) * 32;  // grid-stride loops beyond this
    if (grid > cap) grid = cap;
    void* args[] = {const_cast<void*>(params)};
    check(driver().cuLaunchKernel(fns_[id], unsigned(grid), 1, 1, unsigned(threads), 1, 1, 0, nullptr, args, nullptr), "cuLaunchKernel");
  }

  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t batch, int64_t sa, int64_t sb, float alpha,
            const float* a, const float* b, float* c) override {
    if (!blas_.h) {
      run_gemm_simt(*this, mmsnk::GemmP{a, b, c, batch * m * n, m, n, k, sa, sb, ta, tb, alpha});
      return;
    }
    // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands, keep the flags.
    const float beta = 0.0f;
    const int compute = bf16 || math_ == "bf16" ? CUBLAS_COMPUTE_32F_FAST_16BF : math_ == "tf32" ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    const int st = blas_.gemm(blas_.h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, int(n), int(m), int(k), &alpha,
                              b, CUDA_R_32F, int(tb ? k : n), sb, a, CUDA_R_32F, int(ta ? m : k), sa, &beta, c, CUDA_R_32F, int(n), m * n,
                              int(batch), compute, CUBLAS_GEMM_DEFAULT);
    if (st != 0) throw std::runtime_error("cublasGemmStridedBatchedEx failed with cublasStatus " + std::to_string(st));
  }

  void upload(void* dst, const void* src, size_t bytes) override { check(driver().cuMemcpyHtoD(CUdeviceptr(dst), src, bytes), "cuMemcpyHtoD"); }
  void download(void* dst, const void* src, size_t bytes) override { check(driver().cuMemcpyDtoH(dst, CUdeviceptr(src), bytes), "cuMemcpyDtoH (or an earlier kernel)"); }
  void sync() override { check(driver().cuCtxSynchronize(), "cuCtxSynchronize (or an earlier kernel)"); }

 protected:
  void* rawAlloc(size_t bytes) override {
    CUdeviceptr p = 0;
    const CUresult r = driver().cuMemAlloc(&p, bytes);
    if (r == CUDA_ERROR_OUT_OF_MEMORY) return nullptr;  // the allocator empties its cache and retries
    check(r, "cuMemAlloc (or an earlier kernel)");
    return reinterpret_cast<void*>(p);
  }
  void rawFree(void* p) override { driver().cuMemFree(CUdeviceptr(p)); }

 private:
  void loadCublas(const std::vector<std::string>& candidates) {
    std::ostringstream tried;
    for (const auto& c : candidates) {
      void* lib = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!lib) {
        tried << (tried.tellp() > 0 ? "; " : "") << dlerror();
        continue;
      }
      Cublas b;
      b.lib = lib;
      b.soname = c;
      if (!sym(lib, "cublasCreate_v2", b.create) || !sym(lib, "cublasGemmStridedBatchedEx", b.gemm)) {
        tried << "; " << c << " lacks cublasCreate_v2/cublasGemmStridedBatchedEx";
        continue;
      }
      const int st = b.create(&b.h);
      if (st != 0) {
        tried << "; cublasCreate failed in " << c << " (status " << st << ")";
        b.h = nullptr;
        continue;
      }
      blas_ = b;
      return;
    }
    blasWhy_ = "no cuBLAS: " + tried.str();
  }

  CUdevice dev_ = 0;
  CUcontext ctx_ = nullptr;
  CUmodule module_ = nullptr;
  CUfunction fns_[K_COUNT] = {};
  int sms_ = 1;
  std::string image_;
  std::string math_;
  Cublas blas_;
  std::string blasWhy_;
};

}  // namespace

Probe probeCuda() {
  Probe p;
  Driver& d = driver();
  if (!d.error.empty()) {
    p.reason = d.error;
    return p;
  }
  CUresult r = d.cuInit(0);
  if (r != CUDA_SUCCESS) {
    p.reason = "cuInit failed: " + errorText(r) + (r == 100 ? " — no CUDA-capable device is visible" : "");
    return p;
  }
  int n = 0;
  check(d.cuDeviceGetCount(&n), "cuDeviceGetCount");
  for (int i = 0; i < n; i++) {
    CUdevice dev;
    check(d.cuDeviceGet(&dev, i), "cuDeviceGet");
    p.devices.push_back(describe(dev));
  }
  p.ok = n > 0;
  if (!p.ok) p.reason = "the NVIDIA driver reports no CUDA device";
  return p;
}

Device* openCuda(int ordinal, const std::string& fatbin, const std::string& math, const std::vector<std::string>& cublas) {
  Probe p = probeCuda();
  if (!p.ok) throw std::runtime_error(p.reason);
  if (ordinal < 0 || ordinal >= int(p.devices.size())) throw std::runtime_error("CUDA device " + std::to_string(ordinal) + " does not exist");
  return new CudaDevice(ordinal, fatbin, math, cublas);
}

}  // namespace mmsn_cuda
