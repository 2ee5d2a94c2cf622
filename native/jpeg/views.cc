// mmsn_views: the crop + antialiased triangle resample + flip + normalisation of one MSN view, a C++ port of
// data-loaders/resample.ts's resampleBoxAffine that gives the same float32 bits: the same filter-tap rule
// (fillTaps/window), the same double-precision operations in the same order (built with
// -ffp-contract=off so that no multiply-add is fused), float32 rounding of the horizontal pass as the
// Float32Array scratch does, and the same per-channel affine write (including verticalGray's weights
// premultiplied by the scale for 2 and 3 taps). data-loaders/msn_views.ts uses it when it loads (main thread
// and view workers alike) and falls back to the TypeScript code otherwise; test/data-loaders/views_native.test.ts
// checks the two bit for bit. No system library.
//
// resampleView(src: Uint8Array | Uint16Array, sw, sh, bx, by, bw, bh, dw, dh, flip: boolean, channels: 1 | 3,
//              scale: Float64Array, shift: Float64Array, out: Float32Array, offset) -> undefined
#include <napi.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

struct Taps {
  std::vector<int32_t> start;
  std::vector<double> weights;
  int taps = 1;
};

inline double tri(double j, double center, double support) {
  const double d = 1 - std::fabs((j + 0.5 - center) / support);
  return d > 0 ? d : 0;
}

struct Win {
  long lo, hi;
  double sum;
};

Win window(double center, double support, long srcSize, long maxTaps) {
  long lo = static_cast<long>(std::max(0.0, std::floor(center - support)));
  long hi = static_cast<long>(std::min(static_cast<double>(srcSize - 1), std::ceil(center + support)));
  if (hi - lo + 1 > maxTaps) hi = lo + maxTaps - 1;
  while (lo <= hi && tri(static_cast<double>(lo), center, support) == 0) lo++;
  while (hi >= lo && tri(static_cast<double>(hi), center, support) == 0) hi--;
  double sum = 0;
  for (long j = lo; j <= hi; j++) sum += tri(static_cast<double>(j), center, support);
  if (!(sum > 0)) {
    lo = hi = static_cast<long>(std::max(0.0, std::min(static_cast<double>(srcSize - 1), std::floor(center))));
    sum = 0;
  }
  return {lo, hi, sum};
}

void fillTaps(Taps& t, double from, double len, int outSize, long srcSize, bool reverse) {
  const double scale = len / outSize;
  const double support = std::max(1.0, scale);
  const long maxTaps = std::min(static_cast<double>(srcSize), std::ceil(support) * 2 + 2);
  if (t.start.size() < static_cast<size_t>(outSize)) t.start.resize(outSize);
  if (t.weights.size() < static_cast<size_t>(outSize) * maxTaps) t.weights.resize(static_cast<size_t>(outSize) * maxTaps);
  long taps = 1;
  for (int i = 0; i < outSize; i++) {
    const Win w = window(from + (i + 0.5) * scale, support, srcSize, maxTaps);
    if (w.hi - w.lo + 1 > taps) taps = w.hi - w.lo + 1;
  }
  for (int i = 0; i < outSize; i++) {
    const double center = from + (i + 0.5) * scale;
    const Win w = window(center, support, srcSize, maxTaps);
    const long s = std::min(w.lo, srcSize - taps);
    const int r = reverse ? outSize - 1 - i : i;
    const size_t wo = static_cast<size_t>(r) * taps;
    t.start[r] = static_cast<int32_t>(s);
    for (long k = 0; k < taps; k++) {
      const long j = s + k;
      t.weights[wo + k] = j < w.lo || j > w.hi ? 0 : w.sum > 0 ? tri(static_cast<double>(j), center, support) / w.sum : 1;
    }
  }
  t.taps = static_cast<int>(taps);
}

thread_local Taps tx, ty;
thread_local std::vector<float> scratch;

template <typename T>
void horizontal(const T* src, long sw, long y0, long rows, int dw, float* tmp) {
  const int32_t* start = tx.start.data();
  const double* w = tx.weights.data();
  const int taps = tx.taps;
  for (long r = 0; r < rows; r++) {
    const T* row = src + (y0 + r) * sw;
    float* tr = tmp + r * dw;
    if (taps == 2) {
      for (int i = 0; i < dw; i++) {
        const T* b = row + start[i];
        tr[i] = static_cast<float>(w[2 * i] * b[0] + w[2 * i + 1] * b[1]);
      }
    } else if (taps == 3) {
      for (int i = 0; i < dw; i++) {
        const T* b = row + start[i];
        tr[i] = static_cast<float>(w[3 * i] * b[0] + w[3 * i + 1] * b[1] + w[3 * i + 2] * b[2]);
      }
    } else {
      for (int i = 0; i < dw; i++) {
        const T* b = row + start[i];
        const double* wi = w + static_cast<size_t>(i) * taps;
        double acc = 0;
        for (int k = 0; k < taps; k++) acc += wi[k] * b[k];
        tr[i] = static_cast<float>(acc);
      }
    }
  }
}

// v[c] = w0·t0[c] + w1·t1[c] + … over `taps` rows of width dw (the TypeScript code's order, in double).
static inline void columnSums(const float* t0, const double* w, int taps, int dw, double* v) {
  const double w0 = w[0];
  for (int c = 0; c < dw; c++) v[c] = w0 * t0[c];
  for (int k = 1; k < taps; k++) {
    const double wk = w[k];
    const float* tk = t0 + static_cast<size_t>(k) * dw;
    for (int c = 0; c < dw; c++) v[c] = v[c] + wk * tk[c];
  }
}

// A column's weighted sum over `taps` rows of tmp, in the TypeScript code's order ((0 +) w0·t0 + w1·t1 + …).
void verticalRgb(const float* tmp, long y0, int dw, int dh, const double* a, const double* b, float* out) {
  const int taps = ty.taps;
  const double a0 = a[0], a1 = a[1], a2 = a[2], b0 = b[0], b1 = b[1], b2 = b[2];
  std::vector<double> v(dw);
  for (int i = 0; i < dh; i++) {
    const double* w = ty.weights.data() + static_cast<size_t>(i) * taps;
    const float* t0 = tmp + (ty.start[i] - y0) * dw;
    columnSums(t0, w, taps, dw, v.data());
    float* o = out + static_cast<size_t>(i) * dw * 3;
    for (int c = 0; c < dw; c++) {
      const double x = v[c];
      o[3 * c] = static_cast<float>(x * a0 + b0);
      o[3 * c + 1] = static_cast<float>(x * a1 + b1);
      o[3 * c + 2] = static_cast<float>(x * a2 + b2);
    }
  }
}

void verticalGray(const float* tmp, long y0, int dw, int dh, double a, double b, float* out) {
  const int taps = ty.taps;
  std::vector<double> v(dw);
  for (int i = 0; i < dh; i++) {
    const double* w = ty.weights.data() + static_cast<size_t>(i) * taps;
    const float* t0 = tmp + (ty.start[i] - y0) * dw;
    float* o = out + static_cast<size_t>(i) * dw;
    if (taps == 2 || taps == 3) {
      // resample.ts premultiplies the weights by the scale here: w0·t0 + w1·t1 (+ w2·t2) + b
      const double w0 = w[0] * a, w1 = w[1] * a, w2 = taps == 3 ? w[2] * a : 0;
      const float* t1 = t0 + dw;
      if (taps == 2) for (int c = 0; c < dw; c++) o[c] = static_cast<float>(w0 * t0[c] + w1 * t1[c] + b);
      else {
        const float* t2 = t1 + dw;
        for (int c = 0; c < dw; c++) o[c] = static_cast<float>(w0 * t0[c] + w1 * t1[c] + w2 * t2[c] + b);
      }
      continue;
    }
    columnSums(t0, w, taps, dw, v.data());
    for (int c = 0; c < dw; c++) o[c] = static_cast<float>(v[c] * a + b);
  }
}

Napi::Value ResampleView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 15 || !info[0].IsTypedArray() || !info[11].IsTypedArray() || !info[12].IsTypedArray() || !info[13].IsTypedArray())
    throw Napi::TypeError::New(env, "resampleView(src, sw, sh, bx, by, bw, bh, dw, dh, flip, channels, scale, shift, out, offset)");
  Napi::TypedArray src = info[0].As<Napi::TypedArray>();
  const long sw = info[1].As<Napi::Number>().Int64Value(), sh = info[2].As<Napi::Number>().Int64Value();
  const double bx = info[3].As<Napi::Number>().DoubleValue(), by = info[4].As<Napi::Number>().DoubleValue();
  const double bw = info[5].As<Napi::Number>().DoubleValue(), bh = info[6].As<Napi::Number>().DoubleValue();
  const int dw = info[7].As<Napi::Number>().Int32Value(), dh = info[8].As<Napi::Number>().Int32Value();
  const bool flip = info[9].ToBoolean().Value();
  const int channels = info[10].As<Napi::Number>().Int32Value();
  Napi::Float64Array scale = info[11].As<Napi::Float64Array>(), shift = info[12].As<Napi::Float64Array>();
  Napi::Float32Array out = info[13].As<Napi::Float32Array>();
  const int64_t offset = info[14].As<Napi::Number>().Int64Value();
  const auto type = src.TypedArrayType();
  if ((type != napi_uint8_array && type != napi_uint16_array) || sw <= 0 || sh <= 0 || static_cast<int64_t>(src.ElementLength()) < static_cast<int64_t>(sw) * sh ||
      dw <= 0 || dh <= 0 || (channels != 1 && channels != 3) || scale.ElementLength() < static_cast<size_t>(channels) || shift.ElementLength() < static_cast<size_t>(channels) ||
      offset < 0 || static_cast<int64_t>(out.ElementLength()) < offset + static_cast<int64_t>(dw) * dh * channels)
    throw Napi::RangeError::New(env, "resampleView: bad arguments");
  fillTaps(tx, bx, bw, dw, sw, flip);
  fillTaps(ty, by, bh, dh, sh, false);
  const long y0 = ty.start[0];
  const long rows = ty.start[dh - 1] + ty.taps - y0;
  if (scratch.size() < static_cast<size_t>(rows) * dw) scratch.resize(static_cast<size_t>(rows) * dw);
  const void* data = static_cast<const uint8_t*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  if (type == napi_uint8_array) horizontal(static_cast<const uint8_t*>(data), sw, y0, rows, dw, scratch.data());
  else horizontal(static_cast<const uint16_t*>(data), sw, y0, rows, dw, scratch.data());
  float* o = out.Data() + offset;
  if (channels == 1) verticalGray(scratch.data(), y0, dw, dh, scale[0], shift[0], o);
  else verticalRgb(scratch.data(), y0, dw, dh, scale.Data(), shift.Data(), o);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("resampleView", Napi::Function::New(env, ResampleView));
  return exports;
}

}  // namespace

NODE_API_MODULE(mmsn_views, Init)
