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
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import sharp from "sharp";
import { decodeDicom, isDicom } from "./dicom.js";
import { ImageDecodeError, toUint8, type GrayImage } from "./image_types.js";
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
}

const DECODE_KEYS = ["shortSide", "uint8"];

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
 * @throws ImageDecodeError naming the file when it is missing, truncated, corrupt or unsupported
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
 * Decode image bytes (PNG, JPEG, DICOM, or anything else libvips reads) to one channel.
 * @param name used in error messages
 * @throws ImageDecodeError when the bytes cannot be decoded
 * @example const img = await decodeGray(readFileSync("x.jpg"), { shortSide: 256 });
 */
export async function decodeGray(buf: Uint8Array, opts: DecodeOptions = {}, name = "<buffer>"): Promise<GrayImage> {
  checkOptionKeys(opts, DECODE_KEYS, "decodeGray");
  if (buf.length === 0) throw new ImageDecodeError(name, "empty image file");
  if (isDicom(buf)) {
    const { image } = await decodeDicom(buf, name);
    return finish(image, opts, name);
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
    // Bit depth and size from the PNG/JPEG header when possible (avoids a second libvips pipeline).
    const quick = quickHeader(buf);
    const meta = quick ?? (await sharp(buf).metadata());
    const is16 = meta.depth === "ushort";
    // One-band files (X-rays usually are) skip the band extraction: asking for a grey output colourspace
    // is then a no-op and saves ~0.3 ms per JPEG; other files keep channel 0, as torchxrayvision does.
    let pipe = sharp(buf, { failOn: "error" });
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

/** Resize (via sharp) and/or convert a decoded image, used for DICOM pixels and DCT-scaled JPEGs. */
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
    const input = sharp(out.data, { raw: { width: out.width, height: out.height, channels: 1 } });
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

/** Width, height, depth and bands (1, or 0 for "not one") from a PNG IHDR or a JPEG SOF marker; null for other formats. */
function quickHeader(b: Uint8Array): { width: number; height: number; depth: "uchar" | "ushort"; channels: number } | null {
  if (b.length > 29 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    const w = ((b[16]! << 24) | (b[17]! << 16) | (b[18]! << 8) | b[19]!) >>> 0;
    const h = ((b[20]! << 24) | (b[21]! << 16) | (b[22]! << 8) | b[23]!) >>> 0;
    // Colour type 0 is grey without alpha; a tRNS chunk would add alpha, so only trust it when none follows IHDR.
    const grey = b[25] === 0 && !hasPngChunk(b, "tRNS");
    return { width: w, height: h, depth: b[24] === 16 ? "ushort" : "uchar", channels: grey ? 1 : 0 };
  }
  if (b.length > 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length && b[i] === 0xff) {
      const m = b[i + 1]!;
      const len = (b[i + 2]! << 8) | b[i + 3]!;
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        return { height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]!, depth: "uchar", channels: b[i + 9] === 1 ? 1 : 0 };
      }
      i += 2 + len;
    }
  }
  return null;
}

/** Whether a PNG has a chunk of `type` before its first IDAT (ancillary chunks such as tRNS must precede it). */
function hasPngChunk(b: Uint8Array, type: string): boolean {
  let i = 8;
  while (i + 8 <= b.length) {
    const len = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    const t = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    if (t === type) return true;
    if (t === "IDAT" || t === "IEND") return false;
    i += 12 + len;
  }
  return false;
}
