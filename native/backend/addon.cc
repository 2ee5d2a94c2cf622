// N-API bindings of the native tfjs backend (src/backend/native/addon.ts declares the same functions).
// Every tensor argument is a TypedArray whose memory is read/written in place (zero copy).
#include <napi.h>
#ifdef MMSN_HAVE_OPENBLAS
#include <cblas.h>
#endif
#include <malloc.h>
#include <omp.h>
#include <cstdlib>
#include <vector>
#include "gemm.h"
#include "kernels.h"

namespace {

template <typename T = float>
T* ptr(const Napi::Value& v) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t offset;
  napi_status s = napi_get_typedarray_info(v.Env(), v, &type, &length, &data, &ab, &offset);
  if (s != napi_ok) throw Napi::TypeError::New(v.Env(), "expected a TypedArray");
  return static_cast<T*>(data);
}

int64_t i64(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
double f64(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }

std::vector<int64_t> i64s(const Napi::Value& v) {
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

// batchMatmul(ta, tb, m, n, k, batch, strideA, strideB, A, B, C)
Napi::Value BatchMatmul(const Napi::CallbackInfo& info) {
  mmsn::batchMatmul(info[0].As<Napi::Boolean>(), info[1].As<Napi::Boolean>(), int(i64(info[2])), int(i64(info[3])), int(i64(info[4])),
                    int(i64(info[5])), i64(info[6]), i64(info[7]), ptr(info[8]), ptr(info[9]), ptr(info[10]));
  return info.Env().Undefined();
}

// binary(op, shape[], stridesA[], stridesB[], A, B, out)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  auto shape = i64s(info[1]), sa = i64s(info[2]), sb = i64s(info[3]);
  mmsn::binary(int(i64(info[0])), int(shape.size()), shape.data(), sa.data(), sb.data(), ptr(info[4]), ptr(info[5]), ptr(info[6]));
  return info.Env().Undefined();
}

// unary(op, alpha, x, out, n)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  mmsn::unary(int(i64(info[0])), i64(info[4]), float(f64(info[1])), ptr(info[2]), ptr(info[3]));
  return info.Env().Undefined();
}

// reduce(op, outer, r, inner, x, out)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  mmsn::reduce(int(i64(info[0])), i64(info[1]), i64(info[2]), i64(info[3]), ptr(info[4]), ptr(info[5]));
  return info.Env().Undefined();
}

// transpose(inShape[], perm[], x, out, elemBytes)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  auto shape = i64s(info[0]);
  auto p = i64s(info[1]);
  std::vector<int> perm(p.begin(), p.end());
  if (shape.size() > 8 || shape.empty()) throw Napi::RangeError::New(info.Env(), "transpose: rank 1..8");
  mmsn::transpose(int(shape.size()), shape.data(), perm.data(), ptr(info[2]), ptr(info[3]), int(i64(info[4])));
  return info.Env().Undefined();
}

// copyBlock(size[], srcShape[], srcBegin[], dstShape[], dstBegin[], src, dst, elemBytes)
Napi::Value CopyBlock(const Napi::CallbackInfo& info) {
  auto size = i64s(info[0]), ss = i64s(info[1]), sb = i64s(info[2]), ds = i64s(info[3]), db = i64s(info[4]);
  if (size.empty() || size.size() > 8) throw Napi::RangeError::New(info.Env(), "copyBlock: rank 1..8");
  mmsn::copyBlock(int(size.size()), size.data(), ss.data(), sb.data(), ds.data(), db.data(), ptr<char>(info[5]), ptr<char>(info[6]), int(i64(info[7])));
  return info.Env().Undefined();
}

// fill(value, out, n)
Napi::Value Fill(const Napi::CallbackInfo& info) {
  mmsn::fill(i64(info[2]), float(f64(info[0])), ptr(info[1]));
  return info.Env().Undefined();
}

// attentionFwd(b, t, h, dh, scale, q, k, v, o, p)
Napi::Value AttentionFwd(const Napi::CallbackInfo& info) {
  mmsn::attentionFwd(int(i64(info[0])), int(i64(info[1])), int(i64(info[2])), int(i64(info[3])), float(f64(info[4])), ptr(info[5]), ptr(info[6]),
                     ptr(info[7]), ptr(info[8]), ptr(info[9]));
  return info.Env().Undefined();
}

// attentionBwd(b, t, h, dh, scale, dout, q, k, v, p, dq, dk, dv)
Napi::Value AttentionBwd(const Napi::CallbackInfo& info) {
  mmsn::attentionBwd(int(i64(info[0])), int(i64(info[1])), int(i64(info[2])), int(i64(info[3])), float(f64(info[4])), ptr(info[5]), ptr(info[6]),
                     ptr(info[7]), ptr(info[8]), ptr(info[9]), ptr(info[10]), ptr(info[11]), ptr(info[12]));
  return info.Env().Undefined();
}

// softmax(rows, cols, x, out)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  mmsn::softmax(i64(info[0]), i64(info[1]), ptr(info[2]), ptr(info[3]));
  return info.Env().Undefined();
}

// layerNormFwd(rows, d, eps, x, gamma, beta, y, xhat, rstd)
Napi::Value LayerNormFwd(const Napi::CallbackInfo& info) {
  mmsn::layerNormFwd(i64(info[0]), i64(info[1]), float(f64(info[2])), ptr(info[3]), ptr(info[4]), ptr(info[5]), ptr(info[6]), ptr(info[7]), ptr(info[8]));
  return info.Env().Undefined();
}

// layerNormBwd(rows, d, dy, xhat, rstd, gamma, dx, dgamma, dbeta)
Napi::Value LayerNormBwd(const Napi::CallbackInfo& info) {
  mmsn::layerNormBwd(i64(info[0]), i64(info[1]), ptr(info[2]), ptr(info[3]), ptr(info[4]), ptr(info[5]), ptr(info[6]), ptr(info[7]), ptr(info[8]));
  return info.Env().Undefined();
}

// geluFwd(n, x, y) / geluBwd(n, dy, x, dx)
Napi::Value GeluFwd(const Napi::CallbackInfo& info) {
  mmsn::geluFwd(i64(info[0]), ptr(info[1]), ptr(info[2]));
  return info.Env().Undefined();
}
Napi::Value GeluBwd(const Napi::CallbackInfo& info) {
  mmsn::geluBwd(i64(info[0]), ptr(info[1]), ptr(info[2]), ptr(info[3]));
  return info.Env().Undefined();
}

// gatherRows(nIdx, rowBytes, nRows, idx:Int32Array, x, out)
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  mmsn::gatherRows(i64(info[0]), i64(info[1]), i64(info[2]), ptr<int32_t>(info[3]), ptr<char>(info[4]), ptr<char>(info[5]));
  return info.Env().Undefined();
}

// addN(xs: Float32Array[], out, n)
Napi::Value AddN(const Napi::CallbackInfo& info) {
  Napi::Array xs = info[0].As<Napi::Array>();
  std::vector<const float*> p(xs.Length());
  for (uint32_t i = 0; i < xs.Length(); i++) p[i] = ptr(xs.Get(i));
  mmsn::addN(int(p.size()), i64(info[2]), p.data(), ptr(info[1]));
  return info.Env().Undefined();
}

// adamw(n, decay, b1, b2, gscale, invBc2Sqrt, eps, lrBc1, p, m, v, g, pOut, mOut, vOut)
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  mmsn::adamw(i64(info[0]), float(f64(info[1])), float(f64(info[2])), float(f64(info[3])), float(f64(info[4])), float(f64(info[5])),
              float(f64(info[6])), float(f64(info[7])), ptr(info[8]), ptr(info[9]), ptr(info[10]), ptr(info[11]), ptr(info[12]), ptr(info[13]), ptr(info[14]));
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("blasCore", mmsn::gemmDescription());  // "own GEMM avx512" or "OpenBLAS Cooperlake"
  o.Set("gemm", mmsn::gemmImpl() == mmsn::GemmImpl::kOpenBlas ? "openblas" : "own");
  o.Set("gemmIsa", mmsn::gemmIsaName(mmsn::gemmIsa()));
  o.Set("gemmBestIsa", mmsn::gemmIsaName(mmsn::gemmBestIsa()));
  o.Set("openblas", mmsn::gemmHasOpenBlas());
  o.Set("threads", omp_get_max_threads());
  o.Set("precision", mmsn::gemmPrecision() == mmsn::GemmPrecision::kBf16 ? "bf16" : "fp32");
  o.Set("avx512bf16", mmsn::gemmHasAvx512Bf16());
  o.Set("bf16Gemm", mmsn::gemmBf16Description());  // the path a bf16 GEMM takes: "avx512bf16 (vdpbf16ps)" or "emulated (…)"
  return o;
}

// sgemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, isa?): one GEMM on the calling thread (tests,
// benches). isa "avx512" | "avx2" | "scalar" runs the own GEMM on that path; without it, the process-wide choice.
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  const bool ta = info[0].As<Napi::Boolean>(), tb = info[1].As<Napi::Boolean>();
  const int m = int(i64(info[2])), n = int(i64(info[3])), k = int(i64(info[4]));
  const float alpha = float(f64(info[5])), beta = float(f64(info[10]));
  const float *a = ptr(info[6]), *b = ptr(info[8]);
  float* c = ptr(info[11]);
  const int64_t lda = i64(info[7]), ldb = i64(info[9]), ldc = i64(info[12]);
  std::string prec = mmsn::gemmPrecision() == mmsn::GemmPrecision::kBf16 ? "bf16" : "fp32";
  if (info.Length() > 14 && info[14].IsString()) {
    prec = std::string(info[14].As<Napi::String>());
    if (prec != "fp32" && prec != "bf16" && prec != "bf16-emulated") throw Napi::TypeError::New(info.Env(), "precision: fp32 | bf16 | bf16-emulated");
  }
  if (info.Length() > 13 && info[13].IsString()) {
    const std::string isa = info[13].As<Napi::String>();
    mmsn::GemmIsa want = isa == "avx512" ? mmsn::GemmIsa::kAvx512 : isa == "avx2" ? mmsn::GemmIsa::kAvx2 : mmsn::GemmIsa::kScalar;
    if (isa != "avx512" && isa != "avx2" && isa != "scalar") throw Napi::TypeError::New(info.Env(), "isa: avx512 | avx2 | scalar");
    if (int(want) > int(mmsn::gemmBestIsa())) throw Napi::Error::New(info.Env(), "this CPU does not support " + isa);
    if (prec == "fp32") mmsn::sgemmOwn(want, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else mmsn::sgemmBf16(want, prec == "bf16-emulated", ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else if (prec != "fp32") {
    mmsn::sgemmBf16(mmsn::gemmIsa(), prec == "bf16-emulated" || !mmsn::gemmBf16Native(), ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else if (info.Length() > 14 && info[14].IsString()) {  // an explicit fp32 while the process is in bf16
    const mmsn::GemmPrecision was = mmsn::setGemmPrecision(mmsn::GemmPrecision::kFp32);
    mmsn::sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    mmsn::setGemmPrecision(was);
  } else {
    mmsn::sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  return info.Env().Undefined();
}

// setGemm(impl: "own" | "openblas" | "", isa: "avx512" | "avx2" | "scalar" | ""): the process-wide GEMM; false
// (nothing changed) when unknown or unavailable (OpenBLAS not compiled in, ISA not supported by the CPU).
Napi::Value SetGemm(const Napi::CallbackInfo& info) {
  const std::string impl = info.Length() > 0 && info[0].IsString() ? std::string(info[0].As<Napi::String>()) : "";
  const std::string isa = info.Length() > 1 && info[1].IsString() ? std::string(info[1].As<Napi::String>()) : "";
  return Napi::Boolean::New(info.Env(), mmsn::setGemm(impl.c_str(), isa.c_str()));
}

// setPrecision("fp32" | "bf16") → the previous precision: the process-wide GEMM precision (every later
// batchMatmul and attention GEMM). bf16 works on every CPU (emulated without AVX512-BF16; info().bf16Gemm).
Napi::Value SetPrecision(const Napi::CallbackInfo& info) {
  const std::string p = info.Length() > 0 && info[0].IsString() ? std::string(info[0].As<Napi::String>()) : "";
  if (p != "fp32" && p != "bf16") throw Napi::TypeError::New(info.Env(), "setPrecision: fp32 | bf16, got \"" + p + "\"");
  const mmsn::GemmPrecision was = mmsn::setGemmPrecision(p == "bf16" ? mmsn::GemmPrecision::kBf16 : mmsn::GemmPrecision::kFp32);
  return Napi::String::New(info.Env(), was == mmsn::GemmPrecision::kBf16 ? "bf16" : "fp32");
}

// bf16Round(x: Float32Array, out: Float32Array): each value rounded to bf16 (nearest even) and widened (tests).
Napi::Value Bf16Round(const Napi::CallbackInfo& info) {
  const Napi::TypedArray x = info[0].As<Napi::TypedArray>();
  const float* in = ptr(info[0]);
  float* out = ptr(info[1]);
  for (size_t i = 0; i < x.ElementLength(); i++) out[i] = mmsn::bf16RoundScalar(in[i]);
  return info.Env().Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads(int(i64(info[0])));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#ifdef MMSN_HAVE_OPENBLAS
  // This addon parallelises GEMM itself (matmul.cc); OpenBLAS's own pool would compete with OpenMP's.
  openblas_set_num_threads(1);
#endif
  // Tensor buffers are large (tens of MB) and short-lived. glibc serves those with fresh mmaps, so every
  // output pays page faults on first touch (~5× the cost of the kernel itself); keep them in the heap and
  // never trim it, so freed buffers are reused (MMSN_NATIVE_MALLOC=0 leaves glibc's defaults).
  const char* m = getenv("MMSN_NATIVE_MALLOC");
  if (!m || m[0] != '0') {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
  }
  exports.Set("batchMatmul", Napi::Function::New(env, BatchMatmul));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("attentionFwd", Napi::Function::New(env, AttentionFwd));
  exports.Set("attentionBwd", Napi::Function::New(env, AttentionBwd));
  exports.Set("copyBlock", Napi::Function::New(env, CopyBlock));
  exports.Set("fill", Napi::Function::New(env, Fill));
  exports.Set("layerNormFwd", Napi::Function::New(env, LayerNormFwd));
  exports.Set("layerNormBwd", Napi::Function::New(env, LayerNormBwd));
  exports.Set("geluFwd", Napi::Function::New(env, GeluFwd));
  exports.Set("geluBwd", Napi::Function::New(env, GeluBwd));
  exports.Set("gatherRows", Napi::Function::New(env, GatherRows));
  exports.Set("addN", Napi::Function::New(env, AddN));
  exports.Set("adamw", Napi::Function::New(env, AdamW));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("setGemm", Napi::Function::New(env, SetGemm));
  exports.Set("setPrecision", Napi::Function::New(env, SetPrecision));
  exports.Set("bf16Round", Napi::Function::New(env, Bf16Round));
  return exports;
}

}  // namespace

NODE_API_MODULE(mmsn_native, Init)
