// The native backend's single-precision GEMM (gemm.cc): row-major C = alpha·op(A)·op(B) + beta·C, one call on
// the calling thread (matmul.cc and attention.cc split the work over OpenMP threads; this layer never threads).
// Its own packed, register-blocked kernels (AVX-512, AVX2/FMA, portable) chosen at run time by CPU detection;
// OpenBLAS's cblas_sgemm instead when the addon was compiled with it (MMSN_HAVE_OPENBLAS) and chosen.
#pragma once
#include <cstdint>

namespace mmsn {

enum class GemmIsa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
enum class GemmImpl { kOwn = 0, kOpenBlas = 1 };

// lda/ldb/ldc are row strides of A (m×k, or k×m when ta), B (k×n, or n×k when tb) and C (m×n).
void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
           float* c, int64_t ldc);

// The own GEMM on a given ISA path (tests and benches); falls back to the best supported one below `isa`.
void sgemmOwn(GemmIsa isa, bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
              float beta, float* c, int64_t ldc);

// Process-wide choice, initialised from MMSN_GEMM=own|openblas and MMSN_GEMM_ISA=avx512|avx2|scalar.
GemmImpl gemmImpl();
GemmIsa gemmIsa();
bool gemmHasOpenBlas();        // compiled with OpenBLAS
GemmIsa gemmBestIsa();         // what this CPU supports
bool setGemm(const char* impl, const char* isa);  // nullptr/"" keeps the current value; false if unknown/unavailable
const char* gemmIsaName(GemmIsa isa);
// "own GEMM avx512" or "OpenBLAS Cooperlake".
const char* gemmDescription();

// bf16 mixed precision (docs/performance.md#bf16): every input of C = alpha·op(A)·op(B) + beta·C rounded to
// bf16 (round to nearest even), products and sums in fp32, C fp32. Process-wide switch read by sgemm() (so by
// batchMatmul and the attention kernels); set between kernels from JavaScript (addon setPrecision).
enum class GemmPrecision { kFp32 = 0, kBf16 = 1 };
GemmPrecision gemmPrecision();
GemmPrecision setGemmPrecision(GemmPrecision p);  // returns the previous one
bool gemmHasAvx512Bf16();  // this CPU has AVX512-BF16 (vdpbf16ps)
// The process-wide bf16 path is the vdpbf16ps kernel: AVX512-BF16 present, ISA avx512, MMSN_GEMM_BF16 not "emulate".
bool gemmBf16Native();
// "avx512bf16 (vdpbf16ps)" or "emulated (bf16 rounding while packing, fp32 avx2 kernel)".
const char* gemmBf16Description();
// The bf16 GEMM on a given path: the vdpbf16ps kernel when isa is avx512, the CPU has AVX512-BF16 and not
// `emulate`; else operands rounded to bf16 while packing and the fp32 kernel of `isa` (same numerics up to
// summation order, no speed-up). Products under 300k multiply–adds on avx512: rounded copies, fp32 small kernel.
void sgemmBf16(GemmIsa isa, bool emulate, bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc);
float bf16RoundScalar(float x);  // x rounded to bf16, widened back (tests)

}  // namespace mmsn
