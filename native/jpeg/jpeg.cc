// mmsn_jpeg: JPEG → 8-bit grayscale with libjpeg(-turbo) DCT scaling (1/1, 1/2, 1/4, 1/8), the same
// shrink-on-load Pillow's Image.draft() uses. A separate addon from mmsn_native so that a machine without
// libjpeg62-turbo-dev only loses this fast path (data-loaders/image.ts then decodes JPEG with sharp).
//
// decodeGray(buf: Uint8Array, shortSide: number) -> { width, height, data: Uint8Array, scaleDenom }
// decodeGrayAsync(buf, shortSide) -> Promise of the same, decoded on libuv's thread pool (as sharp decodes)
//   shortSide 0: full resolution. Otherwise the largest denom in {8,4,2,1} with denom·shortSide ≤ min(w, h)
//   (Pillow's draft rule). Output colour space JCS_GRAYSCALE: libjpeg keeps the Y plane of YCbCr files.
// Errors are JS Errors, never aborts: "unsupported JPEG: ..." for CMYK/YCCK/12-bit (callers fall back to
// sharp), "corrupt JPEG: ..." for anything libjpeg rejects and for truncated data (libjpeg's premature-end
// warning is promoted to an error, as sharp's failOn: "error" does; other corrupt-data warnings are not).
#include <napi.h>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#include <jpeglib.h>
#include <jerror.h>

namespace {

struct ErrMgr {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char msg[JMSG_LENGTH_MAX];
};

void onError(j_common_ptr cinfo) {
  ErrMgr* e = reinterpret_cast<ErrMgr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->msg);
  longjmp(e->jump, 1);
}

void onMessage(j_common_ptr cinfo, int level) {
  // Warnings (level −1) are ignored, as libvips/sharp with failOn "error" ignores corrupt entropy data,
  // except a premature end of data (truncated file), which sharp reports as an error: so do we.
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    ErrMgr* e = reinterpret_cast<ErrMgr*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
  }
}

/** A decoded image, or the error that stopped it ("corrupt JPEG: …" / "unsupported JPEG: …"). */
struct Decoded {
  std::unique_ptr<unsigned char[]> data;
  size_t width = 0, height = 0;
  int denom = 1;
  std::string error;
};

// No JavaScript here: runs on the calling thread (decodeGray) or on a libuv worker (decodeGrayAsync).
// Nothing with a non-trivial destructor is created between setjmp and a longjmp into it.
void decode(const unsigned char* buf, size_t len, double shortSide, Decoded& r) {
  jpeg_decompress_struct cinfo;
  ErrMgr err;
  err.msg[0] = 0;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = onError;
  err.pub.emit_message = onMessage;
  unsigned char* volatile out = nullptr;  // volatile: read after longjmp
  jpeg_create_decompress(&cinfo);
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    delete[] out;
    r.error = std::string("corrupt JPEG: ") + err.msg;
    return;
  }
  jpeg_mem_src(&cinfo, buf, len);
  jpeg_read_header(&cinfo, TRUE);
  const char* unsupported = nullptr;
  int count = 0;
  if (cinfo.data_precision != 8) unsupported = "-bit samples", count = cinfo.data_precision;
  else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) unsupported = "CMYK/YCCK colour space";
  else if (cinfo.num_components != 1 && cinfo.num_components != 3) unsupported = " components", count = cinfo.num_components;
  if (unsupported) {
    jpeg_destroy_decompress(&cinfo);
    r.error = std::string("unsupported JPEG: ") + (count ? std::to_string(count) : std::string()) + unsupported;
    return;
  }
  const unsigned w = cinfo.image_width, h = cinfo.image_height;
  const unsigned s = w < h ? w : h;
  int denom = 1;
  if (shortSide > 0)
    for (int d : {8, 4, 2}) if (static_cast<double>(d) * shortSide <= s) { denom = d; break; }
  cinfo.scale_num = 1;
  cinfo.scale_denom = denom;
  cinfo.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&cinfo);
  const size_t outW = cinfo.output_width, outH = cinfo.output_height;
  out = new unsigned char[outW * outH];
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out + static_cast<size_t>(cinfo.output_scanline) * outW;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  r.data.reset(out);
  r.width = outW;
  r.height = outH;
  r.denom = denom;
}

Napi::Object toJs(Napi::Env env, const Decoded& r) {
  Napi::Uint8Array data = Napi::Uint8Array::New(env, r.width * r.height);
  std::memcpy(data.Data(), r.data.get(), r.width * r.height);
  Napi::Object res = Napi::Object::New(env);
  res.Set("width", Napi::Number::New(env, static_cast<double>(r.width)));
  res.Set("height", Napi::Number::New(env, static_cast<double>(r.height)));
  res.Set("data", data);
  res.Set("scaleDenom", Napi::Number::New(env, r.denom));
  return res;
}

void checkArgs(const Napi::CallbackInfo& info, const char* name) {
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(name) + "(buf: Uint8Array, shortSide: number)");
}

Napi::Value DecodeGray(const Napi::CallbackInfo& info) {
  checkArgs(info, "decodeGray");
  Napi::Uint8Array in = info[0].As<Napi::Uint8Array>();
  Decoded r;
  decode(in.Data(), in.ByteLength(), info[1].As<Napi::Number>().DoubleValue(), r);
  if (!r.error.empty()) throw Napi::Error::New(info.Env(), r.error);
  return toJs(info.Env(), r);
}

/** decodeGrayAsync: the same decode on libuv's thread pool; `buf` is kept alive (and must not change) until it settles. */
class DecodeWorker : public Napi::AsyncWorker {
 public:
  DecodeWorker(Napi::Env env, Napi::Uint8Array in, double shortSide)
      : Napi::AsyncWorker(env, "mmsn_jpeg.decodeGrayAsync"), deferred_(Napi::Promise::Deferred::New(env)),
        in_(Napi::Persistent(in)), buf_(in.Data()), len_(in.ByteLength()), shortSide_(shortSide) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override { decode(buf_, len_, shortSide_, r_); }
  void OnOK() override {
    if (r_.error.empty()) deferred_.Resolve(toJs(Env(), r_));
    else deferred_.Reject(Napi::Error::New(Env(), r_.error).Value());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Uint8Array> in_;
  const unsigned char* buf_;
  size_t len_;
  double shortSide_;
  Decoded r_;
};

Napi::Value DecodeGrayAsync(const Napi::CallbackInfo& info) {
  checkArgs(info, "decodeGrayAsync");
  auto* w = new DecodeWorker(info.Env(), info[0].As<Napi::Uint8Array>(), info[1].As<Napi::Number>().DoubleValue());
  Napi::Promise p = w->Promise();
  w->Queue();  // deletes itself once settled
  return p;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeGray", Napi::Function::New(env, DecodeGray));
  exports.Set("decodeGrayAsync", Napi::Function::New(env, DecodeGrayAsync));
  return exports;
}

}  // namespace

NODE_API_MODULE(mmsn_jpeg, Init)
