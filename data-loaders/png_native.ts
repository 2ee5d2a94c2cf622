/**
 * The optional mmsn_png addon (native/jpeg/png.cc, built by `node native/build.mjs` with the vendored
 * libdeflate; no system library): PNG → channel 0 with libdeflate's inflate and our own row unfiltering,
 * about twice as fast as sharp's libpng + zlib-ng decode, pixel for pixel the same (test/data-loaders/png_native.test.ts).
 * It decodes only well-formed, non-interlaced 8/16-bit grey/RGB/grey+alpha/RGBA PNGs without tRNS/iCCP; for
 * any other file (and for every corrupt or truncated one) it answers a reason string and
 * {@link decodeGray} decodes with sharp, so errors are sharp's, as before. MMSN_PNG=sharp disables it.
 */
import { optionalAddon } from "../src/utils/find_addon.js";

/** What the addon returns: the pixels of channel 0, or why it did not decode the file (the caller uses sharp). */
export type PngDecoded = { width: number; height: number; bitDepth: 8 | 16; data: Uint8Array | Uint16Array } | string;

interface PngAddon {
  /** Decodes on the calling thread. */
  decodePng(buf: Uint8Array): PngDecoded;
  /** Decodes on libuv's thread pool (as sharp does): `buf` must not change until the promise settles. */
  decodePngAsync(buf: Uint8Array): Promise<PngDecoded>;
}
/** The mmsn_png addon, or null when it is not built, does not load, or MMSN_PNG=sharp. */
export const pngDecoder = optionalAddon<PngAddon>("native/jpeg/build/Release/mmsn_png.node", import.meta.url, () => process.env.MMSN_PNG === "sharp");

/** Which PNG decoder {@link decodeGray} tries first: "libdeflate (mmsn_png)" or "sharp". */
export function pngDecoderName(): string {
  return pngDecoder() ? "libdeflate (mmsn_png)" : "sharp";
}
