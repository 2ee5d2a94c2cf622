// OpenBLAS sgemm for tfjs: C[b] = op(A[b]) · op(B[b]) for a batch of row-major float32 matrices.
// Called by src/backend/blas_matmul.ts with zero-copy Float32Array views of the tfjs-wasm heap.
#include <napi.h>
#include <cblas.h>

static Napi::Value BatchSgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 11) {
    Napi::TypeError::New(env, "batchSgemm(transA, transB, M, N, K, batch, strideA, strideB, A, B, C)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const bool ta = info[0].As<Napi::Boolean>().Value();
  const bool tb = info[1].As<Napi::Boolean>().Value();
  const int m = info[2].As<Napi::Number>().Int32Value();
  const int n = info[3].As<Napi::Number>().Int32Value();
  const int k = info[4].As<Napi::Number>().Int32Value();
  const int batch = info[5].As<Napi::Number>().Int32Value();
  const int64_t sa = info[6].As<Napi::Number>().Int64Value();  // 0 = broadcast A over the batch
  const int64_t sb = info[7].As<Napi::Number>().Int64Value();
  const float* a = info[8].As<Napi::Float32Array>().Data();
  const float* b = info[9].As<Napi::Float32Array>().Data();
  float* c = info[10].As<Napi::Float32Array>().Data();
  const int lda = ta ? m : k;
  const int ldb = tb ? k : n;
  for (int i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                a + i * sa, lda, b + i * sb, ldb, 0.0f, c + static_cast<int64_t>(i) * m * n, n);
  }
  return env.Undefined();
}

static Napi::Value CoreName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), openblas_get_corename());
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("batchSgemm", Napi::Function::New(env, BatchSgemm));
  exports.Set("coreName", Napi::Function::New(env, CoreName));
  return exports;
}

NODE_API_MODULE(mmsn_blas, Init)
