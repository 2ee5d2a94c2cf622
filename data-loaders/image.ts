/**
 * Image decoding with sharp (libvips): PNG 8/16-bit, JPEG, RGBA (channel 0 is taken, as torchxrayvision
 * does) and DICOM (through {@link decodeDicom}). Always returns one channel. Optionally resizes during
 * decoding (`shortSide`), which lets libjpeg shrink on load and is much faster than a full decode.
 *
 * JPEG (recognised by its FF D8 FF magic, not the extension) goes through the optional mmsn_jpeg addon
 * (native/jpeg, libjpeg-turbo; built by `npm install` when libjpeg62-turbo-dev is present) when it loaded:
 * libjpeg's DCT scaling straight to 1/2, 1/4 or 1/8 (the largest with scaled shorter side ≥ `shortSide`, Pillow's
 * draft() rule), grey output (the Y plane), then the same libvips "linear" resize for what remains. A 1024² JPEG
 * at shortSide 256 takes ~1.5 ms instead of sharp's ~4.5 ms (sharp shrinks on load only to 1/2 for an exact 4×).
 * Like sharp's, the addon's decode runs on libuv's thread pool, so concurrent decodes (the loaders'
 * `concurrency`) run in parallel and the event loop (a training step's dispatch) stays free.
 * CMYK/YCCK/12-bit JPEGs and a missing addon use sharp; MMSN_JPEG=sharp forces sharp (for comparison).
 *
 * PNG goes through the optional mmsn_png addon (native/jpeg/png.cc: vendored libdeflate + our own unfiltering,
 * no system library; see png_native.ts) when it loaded, then the same libvips resize: about twice as fast as
 * sharp's decode and pixel for pixel the same. It takes well-formed non-interlaced 8/16-bit PNGs; every other
 * file (palette, 1/2/4-bit, interlaced, tRNS/iCCP, alpha when resized, corrupt, truncated) is decoded by sharp as before, so errors
 * are sharp's. MMSN_PNG=sharp forces sharp.
 *
 * Every decode is bounded: the size the header claims (PNG IHDR, JPEG SOF, DICOM Rows/Columns, else libvips'
 * header read) is checked against `maxPixels` ({@link DEFAULT_MAX_PIXELS}, Pillow's limit) before any pixel
 * is decoded, for every decoder (addon, sharp, DICOM); sharp's own `limitInputPixels` is set to the same
 * limit as a second guard.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import sharp from "sharp";
import { decodeDicom, isDicom } from "./dicom.js";
import { checkPixelLimit, quickHeader, resolveMaxPixels, sharpLimit } from "./image_header.js";
import { ImageDecodeError, toUint8, type GrayImage } from "./image_types.js";
import { pngDecoder } from "./png_native.js";
import { findAddon } from "../src/utils/find_addon.js";
import { checkOptionKeys } from "../src/utils/validate.js";

/** Options of {@link readGrayImage} / {@link decodeGray}. */
export interface DecodeOptions {
  /**
   * Resize so that the shorter side has this many pixels (aspect kept, Lanczos-free bilinear-class
   * "linear" kernel of libvips). Omitted: full resolution. Never upsamples.
   */
  readonly shortSide?: number;
  /** Force 8-bit output (16-bit PNG and 12/16-bit DICOM are scaled by 255 / max). Default false. */
  readonly uint8?: boolean;
  /**
   * Largest image (width × height, as its header claims) that is decoded; larger ones are refused before
   * decoding with an {@link ImageDecodeError} "decompression bomb" (loaders skip and count it). Default
   * {@link DEFAULT_MAX_PIXELS} (89,478,485, Pillow's); `Infinity` disables the check.
   */
  readonly maxPixels?: number;
}

const DECODE_KEYS = ["shortSide", "uint8", "maxPixels"];

export { DEFAULT_MAX_PIXELS } from "./image_header.js";

interface JpegDecoded {
  width: number;
  height: number;
  data: Uint8Array;
  scaleDenom: number;
}
interface JpegAddon {
  /** Decodes on the calling thread. */
  decodeGray(buf: Uint8Array, shortSide: number): JpegDecoded;
  /** Decodes on libuv's thread pool (as sharp does): `buf` must not change until the promise settles. */
  decodeGrayAsync(buf: Uint8Array, shortSide: number): Promise<JpegDecoded>;
}
let jpegAddon: JpegAddon | null | undefined;

/** The mmsn_jpeg addon, or null when it is not built, does not load, or MMSN_JPEG=sharp. */
export function jpegDecoder(): JpegAddon | null {
  if (jpegAddon !== undefined) return jpegAddon;
  jpegAddon = null;
  if (process.env.MMSN_JPEG === "sharp") return jpegAddon;
  const p = findAddon("native/jpeg/build/Release/mmsn_jpeg.node", import.meta.url);
  if (p) {
    try {
      const addon = createRequire(import.meta.url)(p) as Pick<JpegAddon, "decodeGray"> & Partial<JpegAddon>;
      // an addon built before decodeGrayAsync existed decodes on the calling thread until rebuilt (node native/build.mjs)
      jpegAddon = { decodeGray: addon.decodeGray, decodeGrayAsync: addon.decodeGrayAsync ?? (async (b, s) => addon.decodeGray(b, s)) };
    } catch {
      jpegAddon = null; // e.g. libjpeg.so missing at run time: sharp decodes JPEG
    }
  }
  return jpegAddon;
}

/** Which JPEG decoder {@link decodeGray} uses: "libjpeg-turbo DCT scaling (mmsn_jpeg)" or "sharp". */
export function jpegDecoderName(): string {
  return jpegDecoder() ? "libjpeg-turbo DCT scaling (mmsn_jpeg)" : "sharp";
}

function isJpeg(b: Uint8Array): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/**
 * Read and decode an image file to one channel.
 * @throws ImageDecodeError naming the file when it is missing, truncated, corrupt, unsupported or larger than
 *   `maxPixels` ("decompression bomb")
 * @example const img = await readGrayImage("00000001_000.png"); img.width // 1024
 */
export async function readGrayImage(file: string, opts: DecodeOptions = {}): Promise<GrayImage> {
  let buf: Uint8Array;
  try {
    const raw = await readFile(file);
    buf = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageDecodeError(file, code === "ENOENT" ? "image file not found" : `cannot read image (${code ?? String(e)})`);
  }
  return decodeGray(buf, opts, file);
}

/**
 * Decode image bytes (PNG, JPEG, DICOM, or anything else libvips reads) to one channel. The size claimed by
 * the header is checked against `opts.maxPixels` before decoding.
 * @param name used in error messages
 * @throws ImageDecodeError when the bytes cannot be decoded, or the header claims more than `maxPixels`
 *   pixels ("decompression bomb": names the file, the claimed size, the limit and the option)
 * @example const img = await decodeGray(readFileSync("x.jpg"), { shortSide: 256 });
 */
export async function decodeGray(buf: Uint8Array, opts: DecodeOptions = {}, name = "<buffer>"): Promise<GrayImage> {
  checkOptionKeys(opts, DECODE_KEYS, "decodeGray");
  const maxPixels = resolveMaxPixels(opts.maxPixels, "decodeGray");
  if (buf.length === 0) throw new ImageDecodeError(name, "empty image file");
  if (isDicom(buf)) {
    const { image } = await decodeDicom(buf, name, { maxPixels });
    return finish(image, opts, name);
  }
  // Size, bit depth and bands from the PNG/JPEG header when possible (also avoids a second libvips
  // pipeline), else from libvips' header read; either way before any pixel is decoded.
  let meta: { width?: number | undefined; height?: number | undefined; depth?: string | undefined; channels?: number | undefined; format?: string | undefined };
  const quick = quickHeader(buf);
  try {
    meta = quick ?? (await sharp(buf, { limitInputPixels: false }).metadata());
  } catch (e) {
    throw new ImageDecodeError(name, `cannot decode image (${e instanceof Error ? e.message : String(e)})`);
  }
  checkPixelLimit(meta.width ?? 0, meta.height ?? 0, maxPixels, name, isJpeg(buf) ? "JPEG" : quick ? "PNG" : (meta.format ?? "image").toUpperCase());
  // PNG through the optional mmsn_png addon (libdeflate): the same pixels as sharp's decode for the files it
  // takes; it answers a reason string for every other file (unusual or corrupt), which sharp then decodes as before.
  // With an alpha channel (colour types 4, 6) sharp resizes premultiplied bands before taking channel 0: left to sharp.
  const alpha = buf[25] === 4 || buf[25] === 6;
  const resizes = opts.shortSide !== undefined && Math.min(meta.width ?? 0, meta.height ?? 0) > opts.shortSide;
  const png = quick && !isJpeg(buf) && !(alpha && resizes) ? pngDecoder() : null;
  if (png) {
    const r = await png.decodePngAsync(buf);
    if (typeof r !== "string") {
      let img: GrayImage | null = null;
      if (r.bitDepth === 8) img = { width: r.width, height: r.height, data: r.data, bitDepth: 8 };
      // 16 → 8 bits of a colour file's channel 0, not resized: the high byte, as the sharp path below casts it (a
      // one-band file goes through libvips' grey16 → b-w, which rounds differently, and sharp resizes before the
      // cast: both left to sharp)
      else if (opts.uint8) img = meta.channels === 1 || resizes ? null : { width: r.width, height: r.height, data: high8(r.data as Uint16Array), bitDepth: 8 };
      // sharp's grey16 of a 16-bit colour file's channel 0 is not the raw sample: only one-band files here
      else if (meta.channels === 1) img = { width: r.width, height: r.height, data: r.data, bitDepth: 16 };
      if (img) return finish(img, opts, name);
    }
  }
  const jpeg = isJpeg(buf) ? jpegDecoder() : null;
  if (jpeg) {
    let img: GrayImage | undefined;
    try {
      const r = await jpeg.decodeGrayAsync(buf, opts.shortSide ?? 0);
      img = { width: r.width, height: r.height, data: r.data, bitDepth: 8 };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // Unsupported kinds (CMYK, 12-bit) fall through to sharp; corrupt data is an error, as with sharp.
      if (!msg.startsWith("unsupported JPEG")) throw new ImageDecodeError(name, `cannot decode image (${msg})`);
    }
    if (img) return finish(img, opts, name);
  }
  try {
    const is16 = meta.depth === "ushort";
    // One-band files (X-rays usually are) skip the band extraction: asking for a grey output colourspace
    // is then a no-op and saves ~0.3 ms per JPEG; other files keep channel 0, as torchxrayvision does.
    let pipe = sharp(buf, { failOn: "error", limitInputPixels: sharpLimit(maxPixels) });
    if (meta.channels !== 1) pipe = pipe.extractChannel(0);
    if (opts.shortSide !== undefined) pipe = pipe.resize(resizeSpec(meta.width ?? 0, meta.height ?? 0, opts.shortSide));
    if (is16 && !opts.uint8) {
      const { data, info } = await pipe.toColourspace("grey16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
      const u16 = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
      return { width: info.width, height: info.height, data: u16, bitDepth: 16 };
    }
    if (meta.channels === 1) pipe = pipe.toColourspace("b-w");
    const { data, info } = await pipe.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected one band, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), bitDepth: 8 };
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(name, `cannot decode image (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The high byte of each 16-bit sample (libvips' ushort → uchar for grey16). */
function high8(d: Uint16Array): Uint8Array {
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i]! >> 8;
  return out;
}

/** Resize (via sharp) and/or convert a decoded image, used for DICOM pixels, DCT-scaled JPEGs and mmsn_png's PNGs. */
async function finish(img: GrayImage, opts: DecodeOptions, name: string): Promise<GrayImage> {
  let out = img;
  if (opts.uint8 && !(out.data instanceof Uint8Array)) {
    out = toUint8(out);
  }
  if (opts.shortSide === undefined) return out;
  const spec = resizeSpec(out.width, out.height, opts.shortSide);
  if (spec.width === out.width && spec.height === out.height) return out;
  try {
    const is16 = !(out.data instanceof Uint8Array);
    // Already decoded within the limit: no second limit on the raw pixels.
    const input = sharp(out.data, { raw: { width: out.width, height: out.height, channels: 1 }, limitInputPixels: false });
    if (is16) {
      const { data, info } = await input.resize(spec).toColourspace("grey16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, data: new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)), bitDepth: out.bitDepth };
    }
    const { data, info } = await input.resize(spec).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), bitDepth: 8 };
  } catch (e) {
    throw new ImageDecodeError(name, `cannot resize decoded pixels (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Target size so that the shorter side equals `shortSide` (never upsampling), aspect kept. */
function resizeSpec(w: number, h: number, shortSide: number): { width: number; height: number; fit: "fill"; kernel: "linear" } {
  if (!(shortSide > 0)) throw new Error(`decodeGray: shortSide must be > 0, got ${shortSide}`);
  const s = Math.min(w, h);
  if (s <= shortSide || s === 0) return { width: w, height: h, fit: "fill", kernel: "linear" };
  const k = shortSide / s;
  return { width: Math.max(1, Math.round(w * k)), height: Math.max(1, Math.round(h * k)), fit: "fill", kernel: "linear" };
}
