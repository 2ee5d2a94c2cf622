// mmsn_jpeg: JPEG → 8-bit grayscale with libjpeg(-turbo) DCT scaling (1/1, 1/2, 1/4, 1/8), the same
// shrink-on-load Pillow's Image.draft() uses. A separate addon from mmsn_native so that a machine without
// libjpeg62-turbo-dev only loses this fast path (data-loaders/image.ts then decodes JPEG with sharp).
//
// decodeGray(buf: Uint8Array, shortSide: number) -> { width, height, data: Uint8Array, scaleDenom }
//   shortSide 0: full resolution. Otherwise the largest denom in {8,4,2,1} with denom·shortSide ≤ min(w, h)
//   (Pillow's draft rule). Output colour space JCS_GRAYSCALE: libjpeg keeps the Y plane of YCbCr files.
// Errors are JS Errors, never aborts: "unsupported JPEG: ..." for CMYK/YCCK/12-bit (callers fall back to
// sharp), "corrupt JPEG: ..." for anything libjpeg rejects and for truncated data (libjpeg's premature-end
// warning is promoted to an error, as sharp's failOn: "error" does; other corrupt-data warnings are not).
#include <napi.h>
#include <csetjmp>
#include <cstdio>
#include <cstring>
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

Napi::Value DecodeGray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "decodeGray(buf: Uint8Array, shortSide: number)");
  Napi::Uint8Array in = info[0].As<Napi::Uint8Array>();
  const double shortSide = info[1].As<Napi::Number>().DoubleValue();

  jpeg_decompress_struct cinfo;
  ErrMgr err;
  err.msg[0] = 0;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = onError;
  err.pub.emit_message = onMessage;
  // Everything that must be freed on longjmp lives outside the setjmp scope and has a trivial destructor
  // or is released explicitly below.
  std::string problem;
  bool unsupported = false;
  unsigned char* volatile out = nullptr;  // volatile: read after longjmp
  size_t outW = 0, outH = 0;
  int denom = 1;
  jpeg_create_decompress(&cinfo);
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    delete[] out;
    throw Napi::Error::New(env, std::string("corrupt JPEG: ") + err.msg);
  }
  jpeg_mem_src(&cinfo, in.Data(), in.ByteLength());
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.data_precision != 8) {
    unsupported = true;
    problem = std::to_string(cinfo.data_precision) + "-bit samples";
  } else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    unsupported = true;
    problem = "CMYK/YCCK colour space";
  } else if (cinfo.num_components != 1 && cinfo.num_components != 3) {
    unsupported = true;
    problem = std::to_string(cinfo.num_components) + " components";
  }
  if (unsupported) {
    jpeg_destroy_decompress(&cinfo);
    throw Napi::Error::New(env, "unsupported JPEG: " + problem);
  }
  const unsigned w = cinfo.image_width, h = cinfo.image_height;
  const unsigned s = w < h ? w : h;
  if (shortSide > 0)
    for (int d : {8, 4, 2}) if (static_cast<double>(d) * shortSide <= s) { denom = d; break; }
  cinfo.scale_num = 1;
  cinfo.scale_denom = denom;
  cinfo.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&cinfo);
  outW = cinfo.output_width;
  outH = cinfo.output_height;
  out = new unsigned char[outW * outH];
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out + static_cast<size_t>(cinfo.output_scanline) * outW;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);

  Napi::Uint8Array data = Napi::Uint8Array::New(env, outW * outH);
  std::memcpy(data.Data(), out, outW * outH);
  delete[] out;
  Napi::Object res = Napi::Object::New(env);
  res.Set("width", Napi::Number::New(env, static_cast<double>(outW)));
  res.Set("height", Napi::Number::New(env, static_cast<double>(outH)));
  res.Set("data", data);
  res.Set("scaleDenom", Napi::Number::New(env, denom));
  return res;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeGray", Napi::Function::New(env, DecodeGray));
  return exports;
}

}  // namespace

NODE_API_MODULE(mmsn_jpeg, Init)
