// Vectorisable float32 exp and erf (no libm calls, so `omp simd` loops compile to AVX-512/AVX2 code in
// the target_clones functions that use them). exp: Cephes-style range reduction + degree-6 polynomial,
// ~1 ulp; erf: Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7 (the formula tfjs' own Erf kernels use).
#pragma once
#include <cstdint>
#include <cstring>

namespace mmsn {

static inline float fastExp(float x) {
  x = x > 88.3762626647949f ? 88.3762626647949f : x;
  x = x < -87.3365447504f ? -87.3365447504f : x;
  const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = (int32_t(n) + 127) << 23;
  float s;
  std::memcpy(&s, &e, 4);
  return p * s;
}

/** erf(z) given z and e = exp(−z²) (callers often have e already). */
static inline float fastErfWithExp(float z, float e) {
  const float a = z < 0.0f ? -z : z;
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float y = 1.0f - poly * e;
  return z < 0.0f ? -y : y;
}

}  // namespace mmsn
