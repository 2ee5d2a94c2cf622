/**
 * Image sizes read from file headers (PNG IHDR, JPEG SOF) without decoding, and the pixel limit every
 * decoder checks against them before it allocates anything: a 15 KB file whose header claims 65500×65500
 * must not cost seconds and gigabytes (a "decompression bomb").
 */
import { ImageDecodeError } from "./image_types.js";

/**
 * Default pixel limit (width × height) of a decoded image: Pillow's `Image.MAX_IMAGE_PIXELS`
 * (89,478,485, about 9459²; a full-resolution MIMIC-CXR image is ~3000² = 9 M). Raise it per call with
 * `DecodeOptions.maxPixels`.
 */
export const DEFAULT_MAX_PIXELS = 89_478_485;

/** What a header says about an image. */
export interface ImageHeader {
  /** Width in pixels, as claimed. */
  readonly width: number;
  /** Height in pixels, as claimed. */
  readonly height: number;
  /** Sample type: 8-bit (`uchar`) or 16-bit (`ushort`, PNG only). */
  readonly depth: "uchar" | "ushort";
  /** 1 for one band, 0 for "not one". */
  readonly channels: number;
}

/**
 * Validate a `maxPixels` option: a positive number (`Infinity` disables the limit).
 * @throws Error naming the option when it is not
 */
export function resolveMaxPixels(maxPixels: number | undefined, where: string): number {
  if (maxPixels === undefined) return DEFAULT_MAX_PIXELS;
  if (typeof maxPixels !== "number" || !(maxPixels > 0)) throw new Error(`${where}: maxPixels must be a positive number (Infinity for no limit), got ${String(maxPixels)}`);
  return maxPixels;
}

/** sharp's `limitInputPixels` for a pixel limit (false: none), the second guard behind {@link checkPixelLimit}. */
export function sharpLimit(maxPixels: number): number | false {
  return Number.isFinite(maxPixels) ? Math.max(1, Math.floor(maxPixels)) : false;
}

/**
 * Throw when an image of `width × height` (as claimed by its header) exceeds `maxPixels`.
 * @param what the format, e.g. `JPEG`, used in the message
 * @throws ImageDecodeError "decompression bomb" naming the file, the claimed size, the limit and the option
 * @example checkPixelLimit(65500, 65500, DEFAULT_MAX_PIXELS, "x.jpg", "JPEG") // throws
 */
export function checkPixelLimit(width: number, height: number, maxPixels: number, name: string, what: string): void {
  const n = width * height;
  if (n <= maxPixels) return;
  const fmt = (v: number) => v.toLocaleString("en-US");
  throw new ImageDecodeError(
    name,
    `decompression bomb: the ${what} header claims ${width}×${height} = ${fmt(n)} pixels, more than the limit of ${fmt(maxPixels)}; ` +
      `not decoded. Fix: if the image is genuine, raise the limit with the decode option maxPixels (e.g. { maxPixels: ${Math.ceil(n)} })`,
  );
}

/** Width, height, depth and bands from a PNG IHDR or a JPEG SOF marker; null for other formats or when not found. */
export function quickHeader(b: Uint8Array): ImageHeader | null {
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
      if (m === 0xff) {
        i++; // fill byte
        continue;
      }
      if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
        i += 2; // TEM, RSTn: no length (libjpeg skips them the same way)
        continue;
      }
      if (m === 0xd8 || m === 0xd9 || m === 0xda) return null; // SOI/EOI/SOS before a frame header: let libjpeg judge
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
