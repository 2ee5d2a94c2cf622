// Reductions over the middle axis of [outer, r, inner] (the backend transposes other layouts first).
#include <cmath>
#include <limits>
#include <vector>
#include "common.h"
#include "kernels.h"

namespace mmsn {

void reduce(int op, int64_t outer, int64_t r, int64_t inner, const float* x, float* out) {
  const int nt = threadsFor(outer * r * inner);
  if (inner == 1) {  // contiguous rows: one accumulator per output, double for sums
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t o = 0; o < outer; o++) {
      const float* s = x + o * r;
      if (op == kSum || op == kMean) {
        double acc = 0.0;
#pragma omp simd reduction(+ : acc)
        for (int64_t j = 0; j < r; j++) acc += s[j];
        out[o] = float(op == kMean ? acc / double(r) : acc);
      } else if (op == kProd) {
        double acc = 1.0;
        for (int64_t j = 0; j < r; j++) acc *= s[j];
        out[o] = float(acc);
      } else {
        float acc = r ? s[0] : (op == kRMax ? -INFINITY : INFINITY);
        bool nan = false;
        for (int64_t j = 0; j < r; j++) {
          const float v = s[j];
          nan |= std::isnan(v);
          acc = op == kRMax ? (v > acc ? v : acc) : (v < acc ? v : acc);
        }
        out[o] = nan ? NAN : acc;
      }
    }
    return;
  }
  // Strided: accumulate whole rows of `inner` elements (vectorises across inner), split over inner blocks.
  const int64_t blocks = (inner + 255) / 256;
#pragma omp parallel for collapse(2) num_threads(nt) schedule(static)
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t bl = 0; bl < blocks; bl++) {
      const int64_t j0 = bl * 256, j1 = j0 + 256 < inner ? j0 + 256 : inner;
      double acc[256];
      const double init = op == kProd ? 1.0 : (op == kRMax ? -INFINITY : (op == kRMin ? INFINITY : 0.0));
      for (int64_t j = j0; j < j1; j++) acc[j - j0] = init;
      for (int64_t i = 0; i < r; i++) {
        const float* s = x + (o * r + i) * inner;
        if (op == kSum || op == kMean) {
#pragma omp simd
          for (int64_t j = j0; j < j1; j++) acc[j - j0] += s[j];
        } else if (op == kProd) {
          for (int64_t j = j0; j < j1; j++) acc[j - j0] *= s[j];
        } else {
          for (int64_t j = j0; j < j1; j++) {
            const double v = s[j], a = acc[j - j0];
            acc[j - j0] = (std::isnan(a) || std::isnan(v)) ? NAN : (op == kRMax ? (v > a ? v : a) : (v < a ? v : a));
          }
        }
      }
      for (int64_t j = j0; j < j1; j++) out[o * inner + j] = float(op == kMean ? acc[j - j0] / double(r) : acc[j - j0]);
    }
  }
}

}  // namespace mmsn
