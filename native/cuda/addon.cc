// N-API surface of the CUDA device addon (typings: src/backend/cuda/addon.ts). Tensors are device buffers
// named by integer ids; every call checks that the buffers it touches are large enough, so a wrong shape
// from the TypeScript side is an exception, never an out-of-bounds access on the device.
#include <napi.h>
#include <algorithm>
#include <cstring>
#include <memory>
#include "device.h"

namespace mmsn_cuda {
namespace {

std::unique_ptr<Device> g_dev;

struct Buffer {
  void* ptr = nullptr;
  size_t bytes = 0, cap = 0;
  bool live = false;
};
std::vector<Buffer> g_bufs(1);  // id 0: the empty buffer
std::vector<uint32_t> g_freeIds;

Device& dev(const Napi::Env& env) {
  if (!g_dev) throw Napi::Error::New(env, "the CUDA addon's device is not open (call open() first)");
  return *g_dev;
}

int64_t I(const Napi::CallbackInfo& info, size_t i) { return int64_t(info[i].As<Napi::Number>().DoubleValue()); }
float F(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().FloatValue(); }
bool B(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

std::vector<int64_t> dims(const Napi::CallbackInfo& info, size_t i) {
  Napi::Array a = info[i].As<Napi::Array>();
  if (a.Length() > MMSN_MAX_RANK) throw Napi::Error::New(info.Env(), "CUDA addon: rank " + std::to_string(a.Length()) + " > 8");
  std::vector<int64_t> v(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) v[k] = int64_t(a.Get(k).As<Napi::Number>().DoubleValue());
  return v;
}

/** Device pointer of buffer argument i, after checking it holds at least `need` bytes. */
template <typename T>
T* buf(const Napi::CallbackInfo& info, size_t i, int64_t need) {
  const int64_t id = I(info, i);
  if (id < 0 || id >= int64_t(g_bufs.size()) || (id > 0 && !g_bufs[id].live)) {
    throw Napi::Error::New(info.Env(), "CUDA addon: argument " + std::to_string(i) + " is not a live buffer (id " + std::to_string(id) + ")");
  }
  if (need > int64_t(g_bufs[id].bytes)) {
    throw Napi::Error::New(info.Env(), "CUDA addon: buffer " + std::to_string(id) + " has " + std::to_string(g_bufs[id].bytes) + " bytes, the kernel needs " + std::to_string(need));
  }
  return static_cast<T*>(g_bufs[id].ptr);
}
const int64_t W = 4;  // bytes per float32 / int32 element

/** Wraps a device call so C++ exceptions become JS errors. */
template <typename F>
Napi::Value guard(const Napi::CallbackInfo& info, F f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

Napi::Object infoObject(Napi::Env env, const Info& i) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("device", i.device);
  o.Set("name", i.name);
  o.Set("cc", i.cc);
  o.Set("memBytes", i.memBytes);
  o.Set("blas", i.blas);
  o.Set("math", i.math);
  return o;
}

Napi::Value Probe_(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Probe p = probeCuda();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("ok", p.ok);
    o.Set("reason", p.reason);
    Napi::Array devs = Napi::Array::New(info.Env(), p.devices.size());
    for (size_t k = 0; k < p.devices.size(); k++) {
      Napi::Object d = Napi::Object::New(info.Env());
      d.Set("name", p.devices[k].name);
      d.Set("cc", p.devices[k].cc);
      d.Set("memBytes", p.devices[k].memBytes);
      devs.Set(uint32_t(k), d);
    }
    o.Set("devices", devs);
    return o;
  });
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Object o = info[0].As<Napi::Object>();
    const std::string kind = o.Get("device").ToString();
    if (g_dev) {
      if (g_dev->info().device != kind) throw std::runtime_error("the CUDA addon already runs the " + g_dev->info().device + " device in this process");
      return infoObject(info.Env(), g_dev->info());
    }
    if (kind == "host") {
      g_dev.reset(openHost());
    } else if (kind == "cuda") {
      const std::string math = o.Has("math") && o.Get("math").IsString() ? std::string(o.Get("math").ToString()) : "tf32";
      if (math != "fp32" && math != "tf32" && math != "bf16") throw std::runtime_error("math must be fp32, tf32 or bf16, got " + math);
      const std::string kernels = o.Has("kernels") && o.Get("kernels").IsString() ? std::string(o.Get("kernels").ToString()) : "";
      if (kernels.empty()) throw std::runtime_error("open({device: 'cuda'}) needs the path of the kernel fatbin");
      std::vector<std::string> cublas;
      if (o.Has("cublas") && o.Get("cublas").IsArray()) {
        Napi::Array a = o.Get("cublas").As<Napi::Array>();
        for (uint32_t k = 0; k < a.Length(); k++) cublas.push_back(a.Get(k).ToString());
      }
      const int ordinal = o.Has("ordinal") && o.Get("ordinal").IsNumber() ? o.Get("ordinal").As<Napi::Number>().Int32Value() : 0;
      g_dev.reset(openCuda(ordinal, kernels, math, cublas));
    } else {
      throw std::runtime_error("device must be 'cuda' or 'host', got '" + kind + "'");
    }
    return infoObject(info.Env(), g_dev->info());
  });
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t bytes = I(info, 0);
    if (bytes < 0) throw std::runtime_error("alloc: negative size");
    if (bytes == 0) return Napi::Number::New(info.Env(), 0);
    Buffer b;
    b.ptr = dev(info.Env()).alloc(size_t(bytes), &b.cap);
    b.bytes = size_t(bytes);
    b.live = true;
    uint32_t id;
    if (!g_freeIds.empty()) {
      id = g_freeIds.back();
      g_freeIds.pop_back();
      g_bufs[id] = b;
    } else {
      id = uint32_t(g_bufs.size());
      g_bufs.push_back(b);
    }
    return Napi::Number::New(info.Env(), id);
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  const int64_t id = I(info, 0);
  if (id == 0) return info.Env().Undefined();
  if (id < 0 || id >= int64_t(g_bufs.size()) || !g_bufs[id].live) throw Napi::Error::New(info.Env(), "free: buffer " + std::to_string(id) + " is not live (freed twice?)");
  dev(info.Env()).release(g_bufs[id].ptr, g_bufs[id].cap);
  g_bufs[id] = Buffer{};
  g_freeIds.push_back(uint32_t(id));
  return info.Env().Undefined();
}

Napi::Value Copy(const Napi::CallbackInfo& info, bool up) {
  return guard(info, [&]() -> Napi::Value {
    Napi::TypedArray t = info[1].As<Napi::TypedArray>();
    const size_t bytes = t.ByteLength();
    if (bytes == 0) return info.Env().Undefined();
    uint8_t* host = static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
    uint8_t* d = buf<uint8_t>(info, 0, int64_t(bytes));
    if (up && bytes <= MMSN_SET_BYTES_MAX) {
      // scalars and short vectors (most uploads inside a training step) ride in a kernel's parameters, so
      // the host does not wait for the GPU to drain as a pageable cuMemcpyHtoD would
      mmsnk::SetBytesP p{d, int64_t(bytes), {}};
      memcpy(p.bytes, host, bytes);
      run_set_bytes(dev(info.Env()), p);
    } else if (up) {
      dev(info.Env()).upload(d, host, bytes);
    } else {
      dev(info.Env()).download(host, d, bytes);
    }
    return info.Env().Undefined();
  });
}
Napi::Value Upload(const Napi::CallbackInfo& info) { return Copy(info, true); }
Napi::Value Download(const Napi::CallbackInfo& info) { return Copy(info, false); }

Napi::Value Sync(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { dev(info.Env()).sync(); return info.Env().Undefined(); });
}

Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  size_t live = 0;
  for (const Buffer& b : g_bufs) live += b.live;
  o.Set("inUseBytes", double(g_dev ? g_dev->inUseBytes : 0));
  o.Set("cachedBytes", double(g_dev ? g_dev->cachedBytes : 0));
  o.Set("buffers", double(live));
  return o;
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { if (g_dev) g_dev->emptyCache(); return info.Env().Undefined(); });
}

// ---- kernels ----

Napi::Value BatchMatmul(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const bool ta = B(info, 0), tb = B(info, 1);
    const int64_t m = I(info, 2), n = I(info, 3), k = I(info, 4), batch = I(info, 5), sa = I(info, 6), sb = I(info, 7);
    const float alpha = F(info, 8);
    if (m * n * batch == 0) return info.Env().Undefined();
    const float* a = buf<float>(info, 9, W * ((batch - 1) * sa + m * k));
    const float* b = buf<float>(info, 10, W * ((batch - 1) * sb + k * n));
    float* c = buf<float>(info, 11, W * batch * m * n);
    if (k == 0) {
      run_fill(dev(info.Env()), mmsnk::FillP{c, batch * m * n, 0.0f});
      return info.Env().Undefined();
    }
    dev(info.Env()).gemm(ta, tb, m, n, k, batch, sa, sb, alpha, a, b, c);
    return info.Env().Undefined();
  });
}

/** Elements addressed by a strided view: 1 + Σ (shape_d − 1)·stride_d. */
int64_t span(const std::vector<int64_t>& shape, const std::vector<int64_t>& st) {
  int64_t s = 1;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 0) return 0;
    s += (shape[d] - 1) * st[d];
  }
  return s;
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    mmsnk::BinaryP p{};
    p.op = int(I(info, 0));
    const auto shape = dims(info, 1), sa = dims(info, 2), sb = dims(info, 3);
    if (sa.size() != shape.size() || sb.size() != shape.size()) throw std::runtime_error("binary: shape and strides differ in rank");
    p.rank = int(shape.size());
    p.n = 1;
    for (int d = 0; d < p.rank; d++) {
      p.shape[d] = shape[d];
      p.sa[d] = sa[d];
      p.sb[d] = sb[d];
      p.n *= shape[d];
    }
    if (p.n == 0) return info.Env().Undefined();
    p.a = buf<float>(info, 4, W * span(shape, sa));
    p.b = buf<float>(info, 5, W * span(shape, sb));
    p.out = buf<void>(info, 6, (p.op >= mmsnk::kGreater ? 1 : W) * p.n);  // comparisons write 1-byte bools
    run_binary(dev(info.Env()), p);
    return info.Env().Undefined();
  });
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t n = I(info, 4);
    mmsnk::UnaryP p{buf<float>(info, 2, W * n), buf<float>(info, 3, W * n), n, int(I(info, 0)), F(info, 1)};
    run_unary(dev(info.Env()), p);
    return info.Env().Undefined();
  });
}

/** Number of chunks to split a reduction of length r into, so that `items` × chunks gives the GPU enough work. */
int64_t chunksFor(int64_t items, int64_t r, int64_t target, int64_t minChunk) {
  if (items >= target || r < 2 * minChunk) return 1;
  return std::max<int64_t>(1, std::min<int64_t>(target / std::max<int64_t>(items, 1), r / minChunk));
}

/** [outer, r, inner] → y [outer, inner]; long reductions over few outputs run as two passes. */
void reduce(Device& d, int op, int64_t outer, int64_t r, int64_t inner, const float* x, float* y) {
  const bool rows = inner == 1;
  const int64_t chunks = rows ? chunksFor(outer, r, 4096, 256) : chunksFor(outer * inner, r, 65536, 32);
  const float scale = op == mmsnk::kRMean ? 1.0f / float(r) : 1.0f;
  if (chunks == 1) {
    mmsnk::ReduceP p{x, y, outer, r, inner, r, 1, op, scale};
    if (rows) run_reduce_rows(d, p);
    else run_reduce_mid(d, p);
    return;
  }
  const int64_t chunk = (r + chunks - 1) / chunks, n = (r + chunk - 1) / chunk;
  const int first = op == mmsnk::kRMean ? mmsnk::kRSum : op;
  size_t cap;
  float* part = static_cast<float*>(d.alloc(size_t(W * outer * n * inner), &cap));  // [outer, n, inner]
  mmsnk::ReduceP p1{x, part, outer, r, inner, chunk, n, first, 1.0f};
  if (rows) run_reduce_rows(d, p1);
  else run_reduce_mid(d, p1);
  mmsnk::ReduceP p2{part, y, outer, n, inner, n, 1, first, scale};
  if (rows) run_reduce_rows(d, p2);
  else run_reduce_mid(d, p2);
  d.release(part, cap);  // one stream: the second pass finishes before the block is reused
}

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int op = int(I(info, 0));
    const int64_t outer = I(info, 1), r = I(info, 2), inner = I(info, 3);
    if (outer * inner == 0) return info.Env().Undefined();
    if (r == 0) throw std::runtime_error("reduce: empty reduction (the caller fills the identity)");
    reduce(dev(info.Env()), op, outer, r, inner, buf<float>(info, 4, W * outer * r * inner), buf<float>(info, 5, W * outer * inner));
    return info.Env().Undefined();
  });
}

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> st(shape.size());
  int64_t acc = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    st[d] = acc;
    acc *= shape[d];
  }
  return st;
}
int64_t count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Napi::Value Transpose(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto shape = dims(info, 0), perm = dims(info, 1);
    if (perm.size() != shape.size()) throw std::runtime_error("transpose: perm rank differs from the shape's");
    const auto inSt = rowMajorStrides(shape);
    mmsnk::TransposeP p{};
    p.rank = int(shape.size());
    p.n = count(shape);
    std::vector<bool> seen(shape.size(), false);
    for (int d = 0; d < p.rank; d++) {
      if (perm[d] < 0 || perm[d] >= p.rank || seen[perm[d]]) throw std::runtime_error("transpose: perm is not a permutation of the axes");
      seen[perm[d]] = true;
      p.outShape[d] = shape[perm[d]];
      p.inStride[d] = inSt[perm[d]];
    }
    if (p.n == 0) return info.Env().Undefined();
    p.x = buf<uint32_t>(info, 2, W * p.n);
    p.y = buf<uint32_t>(info, 3, W * p.n);
    run_transpose(dev(info.Env()), p);
    return info.Env().Undefined();
  });
}

Napi::Value CopyBlock(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto size = dims(info, 0), srcShape = dims(info, 1), srcBegin = dims(info, 2), dstShape = dims(info, 3), dstBegin = dims(info, 4);
    const size_t r = size.size();
    if (srcShape.size() != r || srcBegin.size() != r || dstShape.size() != r || dstBegin.size() != r) throw std::runtime_error("copyBlock: ranks differ");
    for (size_t d = 0; d < r; d++) {
      if (srcBegin[d] < 0 || dstBegin[d] < 0 || srcBegin[d] + size[d] > srcShape[d] || dstBegin[d] + size[d] > dstShape[d]) {
        throw std::runtime_error("copyBlock: the block does not fit in the source or destination at axis " + std::to_string(d));
      }
    }
    mmsnk::CopyP p{};
    p.rank = int(r);
    p.n = count(size);
    if (p.n == 0) return info.Env().Undefined();
    const auto ss = rowMajorStrides(srcShape), ds = rowMajorStrides(dstShape);
    for (size_t d = 0; d < r; d++) {
      p.size[d] = size[d];
      p.srcStride[d] = ss[d];
      p.dstStride[d] = ds[d];
      p.srcOff += srcBegin[d] * ss[d];
      p.dstOff += dstBegin[d] * ds[d];
    }
    p.src = buf<uint32_t>(info, 5, W * count(srcShape));
    p.dst = buf<uint32_t>(info, 6, W * count(dstShape));
    run_copy_block(dev(info.Env()), p);
    return info.Env().Undefined();
  });
}

Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t n = I(info, 2);
    run_fill(dev(info.Env()), mmsnk::FillP{buf<float>(info, 1, W * n), n, F(info, 0)});
    return info.Env().Undefined();
  });
}

Napi::Value Cast(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int from = int(I(info, 0)), to = int(I(info, 1));
    const int64_t n = I(info, 4);
    auto width = [](int t) { return t == mmsnk::kBool ? 1 : 4; };
    if (from < 0 || from > 2 || to < 0 || to > 2) throw std::runtime_error("cast: dtype codes are 0 float32, 1 int32, 2 bool");
    run_cast(dev(info.Env()), mmsnk::CastP{buf<void>(info, 2, width(from) * n), buf<void>(info, 3, width(to) * n), n, from, to});
    return info.Env().Undefined();
  });
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t rows = I(info, 0), cols = I(info, 1);
    run_softmax(dev(info.Env()), mmsnk::SoftmaxP{buf<float>(info, 3, W * rows * cols), buf<float>(info, 4, W * rows * cols), rows, cols, B(info, 2)});
    return info.Env().Undefined();
  });
}

Napi::Value SoftmaxGrad(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t rows = I(info, 0), cols = I(info, 1), n = W * rows * cols;
    run_softmax_grad(dev(info.Env()), mmsnk::SoftmaxGradP{buf<float>(info, 3, n), buf<float>(info, 4, n), buf<float>(info, 5, n), rows, cols, F(info, 2)});
    return info.Env().Undefined();
  });
}

Napi::Value LayerNormFwd(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t rows = I(info, 0), d = I(info, 1), nd = W * rows * d;
    mmsnk::LnFwdP p{buf<float>(info, 3, nd), buf<float>(info, 4, W * d), buf<float>(info, 5, W * d), buf<float>(info, 6, nd),
                    buf<float>(info, 7, nd), buf<float>(info, 8, W * rows), rows, d, F(info, 2)};
    run_ln_fwd(dev(info.Env()), p);
    return info.Env().Undefined();
  });
}

Napi::Value LayerNormBwd(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t rows = I(info, 0), d = I(info, 1), nd = W * rows * d;
    const float* dy = buf<float>(info, 2, nd);
    const float* xhat = buf<float>(info, 3, nd);
    const float* rstd = buf<float>(info, 4, W * rows);
    const float* g = buf<float>(info, 5, W * d);
    float* dx = buf<float>(info, 6, nd);
    float* dg = buf<float>(info, 7, W * d);
    float* db = buf<float>(info, 8, W * d);
    Device& dv = dev(info.Env());
    run_ln_bwd(dv, mmsnk::LnBwdP{dy, xhat, rstd, g, dx, rows, d});
    if (rows * d == 0) return info.Env().Undefined();
    // dγ, dβ: column sums in row chunks [chunks, d], then a column reduction of the partials
    const int64_t chunks = chunksFor(d, rows, 65536, 32), chunk = (rows + chunks - 1) / chunks, n = (rows + chunk - 1) / chunk;
    size_t cap;
    float* part = static_cast<float*>(dv.alloc(size_t(2 * W * n * d), &cap));  // pg [n, d], pb [n, d]
    run_ln_param(dv, mmsnk::LnParamP{dy, xhat, part, part + n * d, rows, d, chunk, n * d});
    reduce(dv, mmsnk::kRSum, 1, n, d, part, dg);
    reduce(dv, mmsnk::kRSum, 1, n, d, part + n * d, db);
    dv.release(part, cap);
    return info.Env().Undefined();
  });
}

Napi::Value Gelu(const Napi::CallbackInfo& info, bool bwd) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t n = I(info, 0);
    mmsnk::GeluP p{};
    p.n = n;
    if (bwd) {
      p.dy = buf<float>(info, 1, W * n);
      p.x = buf<float>(info, 2, W * n);
      p.y = buf<float>(info, 3, W * n);
      run_gelu_bwd(dev(info.Env()), p);
    } else {
      p.x = buf<float>(info, 1, W * n);
      p.y = buf<float>(info, 2, W * n);
      run_gelu_fwd(dev(info.Env()), p);
    }
    return info.Env().Undefined();
  });
}
Napi::Value GeluFwd(const Napi::CallbackInfo& info) { return Gelu(info, false); }
Napi::Value GeluBwd(const Napi::CallbackInfo& info) { return Gelu(info, true); }

Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t nIdx = I(info, 0), rowWords = I(info, 1);
    const int32_t* idx = buf<int32_t>(info, 2, W * nIdx);
    // the caller checked the index values; the source must at least hold one row per index it can name
    const uint32_t* x = buf<uint32_t>(info, 3, nIdx > 0 ? W * rowWords : 0);
    uint32_t* y = buf<uint32_t>(info, 4, W * nIdx * rowWords);
    run_gather_rows(dev(info.Env()), mmsnk::GatherP{idx, x, y, nIdx * rowWords, rowWords});
    return info.Env().Undefined();
  });
}

Napi::Value AdamW(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t n = I(info, 0), b = W * n;
    mmsnk::AdamWP p{buf<float>(info, 8, b), buf<float>(info, 9, b), buf<float>(info, 10, b), buf<float>(info, 11, b),
                    buf<float>(info, 12, b), buf<float>(info, 13, b), buf<float>(info, 14, b),
                    n, F(info, 1), F(info, 2), F(info, 3), F(info, 4), F(info, 5), F(info, 6), F(info, 7)};
    run_adamw(dev(info.Env()), p);
    return info.Env().Undefined();
  });
}

// setPrecision("fp32" | "bf16") → the previous one: bf16 makes every later GEMM use bf16 inputs with fp32
// accumulation (cuBLAS bf16 math on a GPU, rounding emulated on the host device); fp32 returns to the math
// mode the device was opened with (MMSN_CUDA_MATH).
Napi::Value SetPrecision(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const std::string p = info.Length() > 0 && info[0].IsString() ? std::string(info[0].As<Napi::String>()) : "";
    if (p != "fp32" && p != "bf16") throw std::runtime_error("setPrecision: fp32 | bf16, got \"" + p + "\"");
    Device& d = dev(info.Env());
    const bool was = d.bf16;
    d.bf16 = p == "bf16";
    return Napi::String::New(info.Env(), was ? "bf16" : "fp32");
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"probe", Probe_}, {"open", Open}, {"alloc", Alloc}, {"free", Free}, {"upload", Upload}, {"download", Download},
      {"sync", Sync}, {"memory", Memory}, {"emptyCache", EmptyCache}, {"batchMatmul", BatchMatmul}, {"binary", Binary},
      {"unary", Unary}, {"reduce", Reduce}, {"transpose", Transpose}, {"copyBlock", CopyBlock}, {"fill", Fill}, {"cast", Cast},
      {"softmax", Softmax}, {"softmaxGrad", SoftmaxGrad}, {"layerNormFwd", LayerNormFwd}, {"layerNormBwd", LayerNormBwd},
      {"geluFwd", GeluFwd}, {"geluBwd", GeluBwd}, {"gatherRows", GatherRows}, {"adamw", AdamW},
      {"setPrecision", SetPrecision},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}

}  // namespace
}  // namespace mmsn_cuda

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return mmsn_cuda::Init(env, exports); }
NODE_API_MODULE(mmsn_cuda, InitAddon)
