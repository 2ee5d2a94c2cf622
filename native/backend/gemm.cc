// Own single-precision GEMM of the native backend (see gemm.h). BLIS-style: op(B) is packed into NR-wide
// panels (kc×nc block, L2), op(A) is read in place when untransposed (full MR-row panels; else packed into
// MR-tall panels, zero-padded), and a register-blocked micro-kernel computes each MR×NR tile of C over one kc
// block with the tile's accumulators in registers; the A micro-panel stays in L1 while the B block streams.
// Edge tiles are computed whole into a small buffer and copied. Small products (< kSmallMacs multiply–adds,
// per-head attention at t ≤ 65) skip packing on the AVX-512 path: 4×32 masked tiles.
// Micro-kernels: AVX-512 12×32 (24 zmm accumulators), AVX2/FMA 6×16 (12 ymm), portable 4×16 (plain loops the
// compiler vectorises for the baseline ISA; the only one on non-x86). The x86 ones are compiled with
// function-level target attributes, so the binary still runs on any x86-64; the path is chosen once from
// __builtin_cpu_supports (MMSN_GEMM_ISA=avx512|avx2|scalar forces a lower one). Single-threaded by design:
// the call sites (matmul.cc, attention.cc) split work over the OpenMP threads.
#include "gemm.h"
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#ifdef MMSN_HAVE_OPENBLAS
#include <cblas.h>
#endif
// MMSN_GEMM_PORTABLE_ONLY builds only the portable kernel, as on non-x86 targets (a compile check here).
#if (defined(__x86_64__) || defined(__i386__)) && !defined(MMSN_GEMM_PORTABLE_ONLY)
#include <immintrin.h>
#define MMSN_GEMM_X86 1
#endif

namespace mmsn {
namespace {

constexpr int kKc = 256;     // K block: a 256×32 B micro-panel (32 KB) stays in Zen 5's 48 KB L1
constexpr int kMcRows = 384; // A block 384×256 floats (384 KB) stays in the 1–2 MB L2
constexpr int kNc = 768;     // B block up to 256×768 floats (768 KB, L2): streamed once per A micro-panel

struct AlignedBuf {
  float* p = nullptr;
  size_t n = 0;
  ~AlignedBuf() { std::free(p); }
  float* get(size_t need) {
    if (need > n) {
      std::free(p);
      const size_t bytes = ((need * sizeof(float) + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      n = need;
    }
    return p;
  }
};
thread_local AlignedBuf tlA, tlB;

// fp32 → bf16 bits, round to nearest even (NaN stays a quiet NaN, overflow rounds to ±inf): the conversion of
// PyTorch's c10::BFloat16 and of vcvtneps2bf16 (which also flushes denormal inputs to zero).
inline uint32_t bf16Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t r = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  return (u & 0x7FFFFFFFu) > 0x7F800000u ? ((u >> 16) | 0x40u) : r;
}
// f rounded to bf16 and widened back to fp32 (exact: bf16 is fp32 with the low 16 mantissa bits zero).
inline float bf16Round(float f) {
  const uint32_t u = bf16Bits(f) << 16;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}
template <bool RND>
inline float packVal(float x) {
  return RND ? bf16Round(x) : x;
}

// op(A) rows i0…i0+mc, columns p0…p0+kc → MR-row panels, element (r, p) of a panel at p·MR + r. RND: each
// value rounded to bf16 on the way (the emulated bf16 GEMM).
template <int MR, bool RND = false>
void packA(bool ta, const float* a, int64_t lda, int i0, int mc, int p0, int kc, float* out) {
  for (int ib = 0; ib < mc; ib += MR) {
    const int mr = std::min(MR, mc - ib);
    float* o = out + int64_t(ib) * kc;
    if (ta) {  // op(A)(i, p) = a[p·lda + i]: MR contiguous floats per p
      for (int p = 0; p < kc; p++) {
        const float* src = a + int64_t(p0 + p) * lda + i0 + ib;
        float* d = o + p * MR;
        int r = 0;
        for (; r < mr; r++) d[r] = packVal<RND>(src[r]);
        for (; r < MR; r++) d[r] = 0.0f;
      }
    } else {  // op(A)(i, p) = a[i·lda + p]
      if (mr < MR) std::fill(o, o + int64_t(MR) * kc, 0.0f);
      for (int r = 0; r < mr; r++) {
        const float* src = a + int64_t(i0 + ib + r) * lda + p0;
        for (int p = 0; p < kc; p++) o[p * MR + r] = packVal<RND>(src[p]);
      }
    }
  }
}

// op(B) rows p0…p0+kc, columns j0…j0+nc → NR-column panels, element (p, c) of a panel at p·NR + c.
template <int NR, bool RND = false>
void packB(bool tb, const float* b, int64_t ldb, int j0, int nc, int p0, int kc, float* out) {
  for (int jb = 0; jb < nc; jb += NR) {
    const int nr = std::min(NR, nc - jb);
    float* o = out + int64_t(jb) * kc;
    if (!tb) {  // op(B)(p, j) = b[p·ldb + j]: rows of NR contiguous floats
      for (int p = 0; p < kc; p++) {
        const float* src = b + int64_t(p0 + p) * ldb + j0 + jb;
        float* d = o + p * NR;
        if (nr == NR && !RND) {
          std::memcpy(d, src, NR * sizeof(float));
        } else {
          int c = 0;
          for (; c < nr; c++) d[c] = packVal<RND>(src[c]);
          for (; c < NR; c++) d[c] = 0.0f;
        }
      }
    } else {  // op(B)(p, j) = b[j·ldb + p]
      if (nr < NR) std::fill(o, o + int64_t(NR) * kc, 0.0f);
      for (int c = 0; c < nr; c++) {
        const float* src = b + int64_t(j0 + jb + c) * ldb + p0;
        for (int p = 0; p < kc; p++) o[p * NR + c] = packVal<RND>(src[p]);
      }
    }
  }
}

// Micro-kernel: c[r·ldc + j] = alpha·Σ_p a[p·MR + r]·b[p·NR + j] (+ c when acc), r < MR, j < NR.
using Ukr = void (*)(int kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, bool acc);

constexpr int kScalarMr = 4, kScalarNr = 16;
void ukrScalar(int kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc, float alpha, bool acc) {
  float t[kScalarMr][kScalarNr] = {};
  for (int p = 0; p < kc; p++) {
    for (int r = 0; r < kScalarMr; r++) {
      const float ar = a[r];
#pragma omp simd
      for (int j = 0; j < kScalarNr; j++) t[r][j] += ar * b[j];
    }
    a += kScalarMr;
    b += kScalarNr;
  }
  for (int r = 0; r < kScalarMr; r++) {
    float* cr = c + r * ldc;
    if (acc) {
      for (int j = 0; j < kScalarNr; j++) cr[j] += alpha * t[r][j];
    } else {
      for (int j = 0; j < kScalarNr; j++) cr[j] = alpha * t[r][j];
    }
  }
}

#ifdef MMSN_GEMM_X86
constexpr int kAvx2Mr = 6, kAvx2Nr = 16;
__attribute__((target("avx2,fma"))) void ukrAvx2(int kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
                                                 float alpha, bool acc) {
  __m256 c0[kAvx2Mr], c1[kAvx2Mr];
#pragma GCC unroll 6
  for (int r = 0; r < kAvx2Mr; r++) {
    c0[r] = c1[r] = _mm256_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
  }
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kAvx2Mr; r++) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      c0[r] = _mm256_fmadd_ps(ar, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(ar, b1, c1[r]);
    }
    a += kAvx2Mr;
    b += kAvx2Nr;
  }
  const __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 6
  for (int r = 0; r < kAvx2Mr; r++) {
    float* cr = c + r * ldc;
    __m256 x0 = _mm256_mul_ps(va, c0[r]), x1 = _mm256_mul_ps(va, c1[r]);
    if (acc) {
      x0 = _mm256_add_ps(x0, _mm256_loadu_ps(cr));
      x1 = _mm256_add_ps(x1, _mm256_loadu_ps(cr + 8));
    }
    _mm256_storeu_ps(cr, x0);
    _mm256_storeu_ps(cr + 8, x1);
  }
}

constexpr int kAvx512Mr = 12, kAvx512Nr = 32;
__attribute__((target("avx512f"))) void ukrAvx512(int kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
                                                  float alpha, bool acc) {
  __m512 c0[kAvx512Mr], c1[kAvx512Mr];
#pragma GCC unroll 12
  for (int r = 0; r < kAvx512Mr; r++) {
    c0[r] = c1[r] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
  }
  for (int p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < kAvx512Mr; r++) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      c0[r] = _mm512_fmadd_ps(ar, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(ar, b1, c1[r]);
    }
    a += kAvx512Mr;
    b += kAvx512Nr;
  }
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 12
  for (int r = 0; r < kAvx512Mr; r++) {
    float* cr = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(va, c0[r]), x1 = _mm512_mul_ps(va, c1[r]);
    if (acc) {
      x0 = _mm512_add_ps(x0, _mm512_loadu_ps(cr));
      x1 = _mm512_add_ps(x1, _mm512_loadu_ps(cr + 16));
    }
    _mm512_storeu_ps(cr, x0);
    _mm512_storeu_ps(cr + 16, x1);
  }
}
#endif

// Micro-kernel on an unpacked row-major A (op(A) = A): row r of the tile at a + r·lda, MR rows all present.
using UkrRow = void (*)(int kc, const float* a, int64_t lda, const float* b, float* c, int64_t ldc, float alpha, bool acc);

#ifdef MMSN_GEMM_X86
__attribute__((target("avx2,fma"))) void ukrAvx2Row(int kc, const float* a, int64_t lda, const float* __restrict b, float* c, int64_t ldc,
                                                    float alpha, bool acc) {
  __m256 c0[kAvx2Mr], c1[kAvx2Mr];
  const float* ar[kAvx2Mr];
#pragma GCC unroll 6
  for (int r = 0; r < kAvx2Mr; r++) {
    c0[r] = c1[r] = _mm256_setzero_ps();
    ar[r] = a + r * lda;
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
  }
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kAvx2Mr; r++) {
      const __m256 x = _mm256_broadcast_ss(ar[r] + p);
      c0[r] = _mm256_fmadd_ps(x, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(x, b1, c1[r]);
    }
    b += kAvx2Nr;
  }
  const __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 6
  for (int r = 0; r < kAvx2Mr; r++) {
    float* cr = c + r * ldc;
    __m256 x0 = _mm256_mul_ps(va, c0[r]), x1 = _mm256_mul_ps(va, c1[r]);
    if (acc) {
      x0 = _mm256_add_ps(x0, _mm256_loadu_ps(cr));
      x1 = _mm256_add_ps(x1, _mm256_loadu_ps(cr + 8));
    }
    _mm256_storeu_ps(cr, x0);
    _mm256_storeu_ps(cr + 8, x1);
  }
}

__attribute__((target("avx512f"))) void ukrAvx512Row(int kc, const float* a, int64_t lda, const float* __restrict b, float* c, int64_t ldc,
                                                     float alpha, bool acc) {
  __m512 c0[kAvx512Mr], c1[kAvx512Mr];
  const float* ar[kAvx512Mr];
#pragma GCC unroll 12
  for (int r = 0; r < kAvx512Mr; r++) {
    c0[r] = c1[r] = _mm512_setzero_ps();
    ar[r] = a + r * lda;
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
  }
  for (int p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < kAvx512Mr; r++) {
      const __m512 x = _mm512_set1_ps(ar[r][p]);
      c0[r] = _mm512_fmadd_ps(x, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(x, b1, c1[r]);
    }
    b += kAvx512Nr;
  }
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 12
  for (int r = 0; r < kAvx512Mr; r++) {
    float* cr = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(va, c0[r]), x1 = _mm512_mul_ps(va, c1[r]);
    if (acc) {
      x0 = _mm512_add_ps(x0, _mm512_loadu_ps(cr));
      x1 = _mm512_add_ps(x1, _mm512_loadu_ps(cr + 16));
    }
    _mm512_storeu_ps(cr, x0);
    _mm512_storeu_ps(cr + 16, x1);
  }
}
#endif

#ifdef MMSN_GEMM_X86
// Small products (attention at t ≤ ~65: 17×17×64, 17×64×17 …), AVX-512: no packing of A and no padding to
// 12×32 tiles (which would waste most of the work). 4-row × 32-column register tiles with masked loads and
// stores at the column edge; op(B) is read in place when untransposed, else transposed into a small buffer.
constexpr int64_t kSmallMacs = 300000;
thread_local AlignedBuf tlSmall;

template <int R, bool TA>
__attribute__((target("avx512f"), always_inline)) inline void smallTile(int k, const float* a, int64_t lda, int i, const float* bm, int64_t ldbm, int j,
                                                        __mmask16 m0, __mmask16 m1, float alpha, bool acc, float* c, int64_t ldc) {
  __m512 c0[R], c1[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm512_setzero_ps();
  for (int p = 0; p < k; p++) {
    const float* br = bm + int64_t(p) * ldbm + j;
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, br), b1 = _mm512_maskz_loadu_ps(m1, br + 16);
  #pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
      const __m512 x = _mm512_set1_ps(TA ? a[int64_t(p) * lda + i + r] : a[int64_t(i + r) * lda + p]);
      c0[r] = _mm512_fmadd_ps(x, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(x, b1, c1[r]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    float* cr = c + int64_t(i + r) * ldc + j;
    __m512 x0 = _mm512_mul_ps(va, c0[r]), x1 = _mm512_mul_ps(va, c1[r]);
    if (acc) {
      x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(m0, cr));
      x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(m1, cr + 16));
    }
    _mm512_mask_storeu_ps(cr, m0, x0);
    _mm512_mask_storeu_ps(cr + 16, m1, x1);
  }
}

template <bool TA>
__attribute__((target("avx512f"))) void smallRows(int m, int n, int k, float alpha, const float* a, int64_t lda, const float* bm, int64_t ldbm,
                                                  bool acc, float* c, int64_t ldc) {
  for (int j = 0; j < n; j += 32) {
    const int w = std::min(32, n - j);
    const __mmask16 m0 = __mmask16(w >= 16 ? 0xFFFF : (1u << w) - 1), m1 = __mmask16(w >= 32 ? 0xFFFF : w > 16 ? (1u << (w - 16)) - 1 : 0);
    int i = 0;
    for (; i + 4 <= m; i += 4) smallTile<4, TA>(k, a, lda, i, bm, ldbm, j, m0, m1, alpha, acc, c, ldc);
    switch (m - i) {
      case 3: smallTile<3, TA>(k, a, lda, i, bm, ldbm, j, m0, m1, alpha, acc, c, ldc); break;
      case 2: smallTile<2, TA>(k, a, lda, i, bm, ldbm, j, m0, m1, alpha, acc, c, ldc); break;
      case 1: smallTile<1, TA>(k, a, lda, i, bm, ldbm, j, m0, m1, alpha, acc, c, ldc); break;
      default: break;
    }
  }
}

void gemmSmallAvx512(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                     float* c, int64_t ldc) {
  const float* bm = b;
  int64_t ldbm = ldb;
  if (tb) {  // op(B) = Bᵀ: transpose the k×n operand once (small by construction)
    float* t = tlSmall.get(size_t(k) * n);
    for (int j = 0; j < n; j++)
      for (int p = 0; p < k; p++) t[int64_t(p) * n + j] = b[int64_t(j) * ldb + p];
    bm = t;
    ldbm = n;
  }
  if (ta) smallRows<true>(m, n, k, alpha, a, lda, bm, ldbm, beta != 0.0f, c, ldc);
  else smallRows<false>(m, n, k, alpha, a, lda, bm, ldbm, beta != 0.0f, c, ldc);
}
#endif

template <int MR, int NR, Ukr UKR, UkrRow UKR_ROW, bool RND = false>
void gemmBlocked(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                 float beta, float* c, int64_t ldc) {
  constexpr int MC = MR * (kMcRows / MR);
  constexpr int NC = NR * (kNc / NR);
  const int nkb = (k + kKc - 1) / kKc;
  const int kcMax = (k + nkb - 1) / nkb;  // equal K blocks (384 → 2×192, not 256 + 128)
  const int ncMax = std::min(NC, n), mcMax = std::min(MC, m);
  float* bp = tlB.get(size_t((ncMax + NR - 1) / NR) * NR * kcMax);
  float* ap = tlA.get(size_t((mcMax + MR - 1) / MR) * MR * kcMax);
  alignas(64) float tile[MR * NR];
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = std::min(NC, n - jc);
    for (int pc = 0; pc < k; pc += kcMax) {
      const int kc = std::min(kcMax, k - pc);
      const bool acc = pc > 0 || beta != 0.0f;  // beta is 0 or 1 here
      packB<NR, RND>(tb, b, ldb, jc, nc, pc, kc, bp);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = std::min(MC, m - ic);
        // Untransposed A is read in place by the row kernel (full MR-row panels); the rest is packed. Row
        // strides of a multiple of 4 KB would put all MR rows in the same L1 sets: those are packed too.
        // (RND: every input is rounded to bf16 while packing, so nothing is read in place.)
        const bool inPlace = !RND && UKR_ROW != nullptr && !ta && (lda & 1023) != 0;
        if (!inPlace) packA<MR, RND>(ta, a, lda, ic, mc, pc, kc, ap);
        for (int ir = 0; ir < mc; ir += MR) {
          const int mr = std::min(MR, mc - ir);
          const bool rowKernel = inPlace && mr == MR;
          const float* apanel = ap + int64_t(ir) * kc;
          if (inPlace && !rowKernel) {  // the last, partial row panel: pack it alone
            packA<MR>(false, a, lda, ic + ir, mr, pc, kc, ap);
            apanel = ap;
          }
          const float* arow = a + int64_t(ic + ir) * lda + pc;
          // The A micro-panel stays in L1 across the column panels; B's packed block streams from L2.
          for (int jr = 0; jr < nc; jr += NR) {
            const int nr = std::min(NR, nc - jr);
            const float* bpanel = bp + int64_t(jr) * kc;
            float* ct = c + int64_t(ic + ir) * ldc + jc + jr;
            if (mr == MR && nr == NR) {
              if (rowKernel) UKR_ROW(kc, arow, lda, bpanel, ct, ldc, alpha, acc);
              else UKR(kc, apanel, bpanel, ct, ldc, alpha, acc);
            } else {
              if (rowKernel) UKR_ROW(kc, arow, lda, bpanel, tile, NR, 1.0f, false);
              else UKR(kc, apanel, bpanel, tile, NR, 1.0f, false);
              for (int i = 0; i < mr; i++) {
                float* cr = ct + int64_t(i) * ldc;
                const float* tr = tile + i * NR;
                if (acc) {
                  for (int j = 0; j < nr; j++) cr[j] += alpha * tr[j];
                } else {
                  for (int j = 0; j < nr; j++) cr[j] = alpha * tr[j];
                }
              }
            }
          }
        }
      }
    }
  }
}


// ---- bf16 GEMM (GemmPrecision::kBf16): inputs rounded to bf16, fp32 accumulation, fp32 output ----

#ifdef MMSN_GEMM_X86
// Native path, AVX512-BF16: vdpbf16ps multiplies bf16 pairs (exact products in fp32) and adds both to an fp32
// accumulator, 32 multiply–adds per instruction, twice the fp32 FMA's 16. Operands are packed as bf16 *pairs
// along K*: one uint32 holds op(·)(·, 2q) in its low half and op(·)(·, 2q+1) in its high half (an odd K block
// is padded with a zero). A panels: MR uint32 per pair (element (r, q) at q·MR + r); B panels: NR uint32 per
// pair (element (q, j) at q·NR + j). Packing converts fp32 → bf16 (round to nearest even), halving the
// panels' size; A is always packed (it has to be converted), unlike the fp32 path.
constexpr int kBf16Mr = 12, kBf16Nr = 32;
constexpr int kKcBf16 = 512;  // K block in elements: a 512×32 bf16 B micro-panel is 32 KB, as fp32's 256×32

inline uint32_t bf16Pair(float lo, float hi) { return bf16Bits(lo) | (bf16Bits(hi) << 16); }

void packABf16(bool ta, const float* a, int64_t lda, int i0, int mc, int p0, int kc, uint32_t* out) {
  constexpr int MR = kBf16Mr;
  const int kp = (kc + 1) / 2, even = kc & ~1;
  for (int ib = 0; ib < mc; ib += MR) {
    const int mr = std::min(MR, mc - ib);
    uint32_t* o = out + int64_t(ib) * kp;
    if (mr < MR) std::fill(o, o + int64_t(MR) * kp, 0u);
    if (ta) {  // op(A)(i, p) = a[p·lda + i]: rows p and p+1 hold the pair of every i
      for (int q = 0; q < kp; q++) {
        const float* s0 = a + int64_t(p0 + 2 * q) * lda + i0 + ib;
        uint32_t* d = o + q * MR;
        if (2 * q + 1 < kc) {
          const float* s1 = s0 + lda;
          for (int r = 0; r < mr; r++) d[r] = bf16Pair(s0[r], s1[r]);
        } else {
          for (int r = 0; r < mr; r++) d[r] = bf16Bits(s0[r]);
        }
      }
    } else {  // op(A)(i, p) = a[i·lda + p]: a pair is two adjacent floats of a row
      for (int r = 0; r < mr; r++) {
        const float* src = a + int64_t(i0 + ib + r) * lda + p0;
        int q = 0;
        for (; 2 * q < even; q++) o[q * MR + r] = bf16Pair(src[2 * q], src[2 * q + 1]);
        if (kc & 1) o[q * MR + r] = bf16Bits(src[2 * q]);
      }
    }
  }
}

void packBBf16(bool tb, const float* b, int64_t ldb, int j0, int nc, int p0, int kc, uint32_t* out) {
  constexpr int NR = kBf16Nr;
  const int kp = (kc + 1) / 2, even = kc & ~1;
  for (int jb = 0; jb < nc; jb += NR) {
    const int nr = std::min(NR, nc - jb);
    uint32_t* o = out + int64_t(jb) * kp;
    if (nr < NR) std::fill(o, o + int64_t(NR) * kp, 0u);
    if (!tb) {  // op(B)(p, j) = b[p·ldb + j]: rows p and p+1 give NR pairs
      for (int q = 0; q < kp; q++) {
        const float* s0 = b + int64_t(p0 + 2 * q) * ldb + j0 + jb;
        uint32_t* d = o + q * NR;
        if (2 * q + 1 < kc) {
          const float* s1 = s0 + ldb;
          for (int c = 0; c < nr; c++) d[c] = bf16Pair(s0[c], s1[c]);
        } else {
          for (int c = 0; c < nr; c++) d[c] = bf16Bits(s0[c]);
        }
      }
    } else {  // op(B)(p, j) = b[j·ldb + p]: a pair is two adjacent floats of a row of B
      for (int c = 0; c < nr; c++) {
        const float* src = b + int64_t(j0 + jb + c) * ldb + p0;
        int q = 0;
        for (; 2 * q < even; q++) o[q * NR + c] = bf16Pair(src[2 * q], src[2 * q + 1]);
        if (kc & 1) o[q * NR + c] = bf16Bits(src[2 * q]);
      }
    }
  }
}

// c[r·ldc + j] = alpha·Σ_q dot(a pair (r, q), b pair (q, j)) (+ c when acc): 12×32 tile, 24 zmm accumulators.
__attribute__((target("avx512f,avx512bf16"))) void ukrAvx512Bf16(int kp, const uint32_t* __restrict a, const uint32_t* __restrict b, float* c,
                                                               int64_t ldc, float alpha, bool acc) {
  constexpr int MR = kBf16Mr;
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    c0[r] = c1[r] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
  }
  for (int q = 0; q < kp; q++) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b), b1 = (__m512bh)_mm512_loadu_si512(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512bh x = (__m512bh)_mm512_set1_epi32(int(a[r]));
      c0[r] = _mm512_dpbf16_ps(c0[r], x, b0);
      c1[r] = _mm512_dpbf16_ps(c1[r], x, b1);
    }
    a += MR;
    b += kBf16Nr;
  }
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(va, c0[r]), x1 = _mm512_mul_ps(va, c1[r]);
    if (acc) {
      x0 = _mm512_add_ps(x0, _mm512_loadu_ps(cr));
      x1 = _mm512_add_ps(x1, _mm512_loadu_ps(cr + 16));
    }
    _mm512_storeu_ps(cr, x0);
    _mm512_storeu_ps(cr + 16, x1);
  }
}

// The blocked driver of gemmBlocked with bf16-pair panels (beta is 0 or 1 here).
void gemmBf16Native(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                    float* c, int64_t ldc) {
  constexpr int MR = kBf16Mr, NR = kBf16Nr;
  constexpr int MC = MR * (kMcRows / MR);
  constexpr int NC = NR * (kNc / NR);
  const int nkb = (k + kKcBf16 - 1) / kKcBf16;
  const int kcMax = (((k + nkb - 1) / nkb) + 1) & ~1;  // equal, even K blocks
  const int kpMax = kcMax / 2;
  const int ncMax = std::min(NC, n), mcMax = std::min(MC, m);
  static_assert(sizeof(float) == sizeof(uint32_t), "panels reuse the fp32 buffers");
  uint32_t* bp = reinterpret_cast<uint32_t*>(tlB.get(size_t((ncMax + NR - 1) / NR) * NR * kpMax));
  uint32_t* ap = reinterpret_cast<uint32_t*>(tlA.get(size_t((mcMax + MR - 1) / MR) * MR * kpMax));
  alignas(64) float tile[MR * NR];
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = std::min(NC, n - jc);
    for (int pc = 0; pc < k; pc += kcMax) {
      const int kc = std::min(kcMax, k - pc), kp = (kc + 1) / 2;
      const bool acc = pc > 0 || beta != 0.0f;
      packBBf16(tb, b, ldb, jc, nc, pc, kc, bp);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = std::min(MC, m - ic);
        packABf16(ta, a, lda, ic, mc, pc, kc, ap);
        for (int ir = 0; ir < mc; ir += MR) {
          const int mr = std::min(MR, mc - ir);
          const uint32_t* apanel = ap + int64_t(ir) * kp;
          for (int jr = 0; jr < nc; jr += NR) {
            const int nr = std::min(NR, nc - jr);
            const uint32_t* bpanel = bp + int64_t(jr) * kp;
            float* ct = c + int64_t(ic + ir) * ldc + jc + jr;
            if (mr == MR && nr == NR) {
              ukrAvx512Bf16(kp, apanel, bpanel, ct, ldc, alpha, acc);
            } else {
              ukrAvx512Bf16(kp, apanel, bpanel, tile, NR, 1.0f, false);
              for (int i = 0; i < mr; i++) {
                float* cr = ct + int64_t(i) * ldc;
                const float* tr = tile + i * NR;
                if (acc) {
                  for (int j = 0; j < nr; j++) cr[j] += alpha * tr[j];
                } else {
                  for (int j = 0; j < nr; j++) cr[j] = alpha * tr[j];
                }
              }
            }
          }
        }
      }
    }
  }
}

// Small products in bf16 (attention at t ≤ ~65): op(A) and op(B) copied, rounded to bf16, into small row-major
// buffers, then the fp32 small-product kernel: exact products of bf16 values, fp32 sums, as the native kernel.
thread_local AlignedBuf tlSmallA, tlSmallB;
void gemmSmallBf16(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                   float* c, int64_t ldc) {
  float* ar = tlSmallA.get(size_t(m) * k);
  float* br = tlSmallB.get(size_t(k) * n);
  for (int i = 0; i < m; i++)
    for (int p = 0; p < k; p++) ar[int64_t(i) * k + p] = bf16Round(ta ? a[int64_t(p) * lda + i] : a[int64_t(i) * lda + p]);
  for (int p = 0; p < k; p++)
    for (int j = 0; j < n; j++) br[int64_t(p) * n + j] = bf16Round(tb ? b[int64_t(j) * ldb + p] : b[int64_t(p) * ldb + j]);
  gemmSmallAvx512(false, false, m, n, k, alpha, ar, k, br, n, beta, c, ldc);
}
#endif

bool detectAvx512Bf16() {
#ifdef MMSN_GEMM_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

GemmIsa detectIsa() {
#ifdef MMSN_GEMM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return GemmIsa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GemmIsa::kAvx2;
#endif
  return GemmIsa::kScalar;
}

bool parseIsa(const char* s, GemmIsa* out) {
  if (!std::strcmp(s, "avx512")) *out = GemmIsa::kAvx512;
  else if (!std::strcmp(s, "avx2")) *out = GemmIsa::kAvx2;
  else if (!std::strcmp(s, "scalar")) *out = GemmIsa::kScalar;
  else return false;
  return true;
}

struct GemmState {
  GemmIsa best, isa;
  GemmImpl impl = GemmImpl::kOwn;
  bool hasBf16 = false;       // the CPU has AVX512-BF16 (vdpbf16ps)
  bool bf16Emulate = false;   // MMSN_GEMM_BF16=emulate: the emulated bf16 path even where vdpbf16ps exists
  std::atomic<int> precision{int(GemmPrecision::kFp32)};
  std::string description;
  GemmState() {
    best = isa = detectIsa();
    hasBf16 = detectAvx512Bf16();
    const char* eb = std::getenv("MMSN_GEMM_BF16");
    bf16Emulate = eb && !std::strcmp(eb, "emulate");
    const char* ei = std::getenv("MMSN_GEMM_ISA");
    GemmIsa want;
    if (ei && *ei && parseIsa(ei, &want) && int(want) <= int(best)) isa = want;
    // Default: the own GEMM (as fast as or faster than OpenBLAS on the ViT shapes here; docs/performance.md).
    const char* eg = std::getenv("MMSN_GEMM");
    if (eg && !std::strcmp(eg, "openblas") && gemmHasOpenBlas()) impl = GemmImpl::kOpenBlas;
    describe();
  }
  void describe() {
#ifdef MMSN_HAVE_OPENBLAS
    if (impl == GemmImpl::kOpenBlas) {
      description = std::string("OpenBLAS ") + openblas_get_corename();
      return;
    }
#endif
    description = std::string("own GEMM ") + gemmIsaName(isa);
  }
};

GemmState& state() {
  static GemmState s;
  return s;
}

}  // namespace

const char* gemmIsaName(GemmIsa isa) {
  return isa == GemmIsa::kAvx512 ? "avx512" : isa == GemmIsa::kAvx2 ? "avx2" : "scalar";
}

bool gemmHasOpenBlas() {
#ifdef MMSN_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

GemmImpl gemmImpl() { return state().impl; }
GemmIsa gemmIsa() { return state().isa; }
GemmIsa gemmBestIsa() { return state().best; }
const char* gemmDescription() { return state().description.c_str(); }

bool setGemm(const char* impl, const char* isa) {
  GemmState& s = state();
  GemmImpl ni = s.impl;
  GemmIsa nis = s.isa;
  if (impl && *impl) {
    if (!std::strcmp(impl, "own")) ni = GemmImpl::kOwn;
    else if (!std::strcmp(impl, "openblas") && gemmHasOpenBlas()) ni = GemmImpl::kOpenBlas;
    else return false;
  }
  if (isa && *isa) {
    if (!parseIsa(isa, &nis) || int(nis) > int(s.best)) return false;
  }
  s.impl = ni;
  s.isa = nis;
  s.describe();
  return true;
}

void sgemmOwn(GemmIsa isa, bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
              float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (beta != 0.0f && beta != 1.0f) {
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[int64_t(i) * ldc + j] *= beta;
    beta = 1.0f;
  }
  if (k <= 0 || alpha == 0.0f) {
    if (beta == 0.0f)
      for (int i = 0; i < m; i++) std::fill(c + int64_t(i) * ldc, c + int64_t(i) * ldc + n, 0.0f);
    return;
  }
  if (int(isa) > int(state().best)) isa = state().best;
#ifdef MMSN_GEMM_X86
  if (isa == GemmIsa::kAvx512 && int64_t(m) * n * k <= kSmallMacs)
    return gemmSmallAvx512(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (isa == GemmIsa::kAvx512) return gemmBlocked<kAvx512Mr, kAvx512Nr, ukrAvx512, ukrAvx512Row>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (isa == GemmIsa::kAvx2) return gemmBlocked<kAvx2Mr, kAvx2Nr, ukrAvx2, ukrAvx2Row>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
  gemmBlocked<kScalarMr, kScalarNr, ukrScalar, nullptr>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}


GemmPrecision gemmPrecision() { return GemmPrecision(state().precision.load(std::memory_order_relaxed)); }
GemmPrecision setGemmPrecision(GemmPrecision p) { return GemmPrecision(state().precision.exchange(int(p))); }
bool gemmHasAvx512Bf16() { return state().hasBf16; }
bool gemmBf16Native() {
  const GemmState& s = state();
  return s.hasBf16 && !s.bf16Emulate && s.isa == GemmIsa::kAvx512;
}
const char* gemmBf16Description() {
  static thread_local std::string d;
  d = gemmBf16Native() ? std::string("avx512bf16 (vdpbf16ps)") : std::string("emulated (bf16 rounding while packing, fp32 ") + gemmIsaName(state().isa) + " kernel)";
  return d.c_str();
}
float bf16RoundScalar(float x) { return bf16Round(x); }

void sgemmBf16(GemmIsa isa, bool emulate, bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (beta != 0.0f && beta != 1.0f) {
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[int64_t(i) * ldc + j] *= beta;
    beta = 1.0f;
  }
  if (k <= 0 || alpha == 0.0f) {
    if (beta == 0.0f)
      for (int i = 0; i < m; i++) std::fill(c + int64_t(i) * ldc, c + int64_t(i) * ldc + n, 0.0f);
    return;
  }
  if (int(isa) > int(state().best)) isa = state().best;
#ifdef MMSN_GEMM_X86
  if (isa == GemmIsa::kAvx512 && int64_t(m) * n * k <= kSmallMacs) return gemmSmallBf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (isa == GemmIsa::kAvx512 && !emulate && state().hasBf16) return gemmBf16Native(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (isa == GemmIsa::kAvx512)
    return gemmBlocked<kAvx512Mr, kAvx512Nr, ukrAvx512, ukrAvx512Row, true>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (isa == GemmIsa::kAvx2) return gemmBlocked<kAvx2Mr, kAvx2Nr, ukrAvx2, ukrAvx2Row, true>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
  gemmBlocked<kScalarMr, kScalarNr, ukrScalar, nullptr, true>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
           float* c, int64_t ldc) {
  const GemmState& s = state();
  // bf16 always runs on the own GEMM (OpenBLAS, where chosen, does the fp32 GEMMs only).
  if (s.precision.load(std::memory_order_relaxed) == int(GemmPrecision::kBf16))
    return sgemmBf16(s.isa, s.bf16Emulate, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#ifdef MMSN_HAVE_OPENBLAS
  if (s.impl == GemmImpl::kOpenBlas) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, int(lda), b, int(ldb),
                beta, c, int(ldc));
    return;
  }
#endif
  sgemmOwn(s.isa, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace mmsn
