/**
 * The optional mmsn_png addon (native/jpeg/png.cc: vendored libdeflate + our own unfiltering) against sharp,
 * the decoder it replaces for the PNGs it takes: channel 0 of the real NIH PNGs and of synthetic PNGs of every
 * colour type (grey, RGB, grey+alpha, RGBA) × bit depth (8, 16) × filter type (None, Sub, Up, Average, Paeth,
 * and all five mixed row by row), odd widths and split IDAT chunks, pixel for pixel, with and without resizing
 * and uint8 (a file with alpha that is resized, whose bands sharp premultiplies first, a 16-bit grey file asked for uint8, and a resized 16-bit colour file asked for uint8 are left to sharp). Files it does not take (interlaced, palette, tRNS) and corrupt or truncated ones are answered
 * with a reason string, and decodeGray then gives sharp's pixels or sharp's error, as before the addon.
 * Skipped when the addon is not built.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { decodeGray, ImageDecodeError, makeRng } from "../../data-loaders/index.js";
import { pngDecoder } from "../../data-loaders/png_native.js";
import { NIH } from "./helpers.js";

const addon = pngDecoder();
const skip = addon ? false : "mmsn_png addon not built (node native/build.mjs)";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A PNG of `w`×`h` with `channels` samples per pixel (colour type from channels) at `depth` bits, random
 * smooth-ish pixels, each row filtered with `filters[y % filters.length]`, the zlib stream split into `parts` IDATs.
 */
function makePng(w: number, h: number, channels: 1 | 2 | 3 | 4, depth: 8 | 16, filters: readonly number[], seed: number, parts = 1, extra: Buffer[] = []): Buffer {
  const rng = makeRng(seed);
  const bps = depth / 8, bpp = channels * bps, rowBytes = w * bpp;
  const rows: Uint8Array[] = [];
  for (let y = 0; y < h; y++) {
    const r = new Uint8Array(rowBytes);
    for (let i = 0; i < rowBytes; i++) r[i] = (Math.floor(128 + 100 * Math.sin((i + 3 * y) / 9)) + Math.floor(rng() * 40)) & 0xff;
    rows.push(r);
  }
  const raw = new Uint8Array(h * (rowBytes + 1));
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  for (let y = 0; y < h; y++) {
    const f = filters[y % filters.length]!;
    const cur = rows[y]!, prev = y ? rows[y - 1]! : new Uint8Array(rowBytes);
    const o = y * (rowBytes + 1);
    raw[o] = f;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0, b = prev[i]!, c = i >= bpp ? prev[i - bpp]! : 0;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
      raw[o + 1 + i] = (cur[i]! - pred) & 0xff;
    }
  }
  const z = deflateSync(raw);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = depth;
  ihdr[9] = channels === 1 ? 0 : channels === 2 ? 4 : channels === 3 ? 2 : 6;
  const idats: Buffer[] = [];
  const step = Math.ceil(z.length / parts);
  for (let p = 0; p < z.length; p += step) idats.push(chunk("IDAT", z.subarray(p, p + step)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), ...extra, ...idats, chunk("IEND", new Uint8Array(0))]);
}

/** The pre-addon decodeGray PNG path (sharp only), as data-loaders/image.ts runs it. */
async function sharpGray(buf: Uint8Array, o: { shortSide?: number; uint8?: boolean }): Promise<{ width: number; height: number; data: Uint8Array | Uint16Array }> {
  const meta = await sharp(buf).metadata();
  let pipe = sharp(buf, { failOn: "error" });
  if (meta.channels !== 1) pipe = pipe.extractChannel(0);
  if (o.shortSide !== undefined) {
    const w = meta.width!, h = meta.height!, s = Math.min(w, h), k = o.shortSide / s;
    if (s > o.shortSide) pipe = pipe.resize({ width: Math.max(1, Math.round(w * k)), height: Math.max(1, Math.round(h * k)), fit: "fill", kernel: "linear" });
  }
  if (meta.depth === "ushort" && !o.uint8) {
    const { data, info } = await pipe.toColourspace("grey16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) };
  }
  if (meta.channels === 1) pipe = pipe.toColourspace("b-w");
  const { data, info } = await pipe.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

function samePixels(a: { width: number; height: number; data: Uint8Array | Uint16Array }, b: { width: number; height: number; data: Uint8Array | Uint16Array }, what: string): void {
  assert.equal(`${a.width}×${a.height}`, `${b.width}×${b.height}`, what);
  assert.equal(a.data.constructor.name, b.data.constructor.name, what);
  assert.equal(a.data.length, b.data.length, what);
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) assert.fail(`${what}: pixel ${i} is ${a.data[i]}, sharp says ${b.data[i]}`);
}

describe("mmsn_png addon = sharp's decode", { skip }, () => {
  it("every real NIH PNG (8 L + 1 RGBA): the addon decodes it, and decodeGray's pixels equal sharp's at full size, 256 and 224", async () => {
    const files = readdirSync(path.join(NIH, "images")).filter((f) => f.endsWith(".png"));
    assert.equal(files.length, 9);
    for (const f of files) {
      const buf = new Uint8Array(readFileSync(path.join(NIH, "images", f)));
      const r = addon!.decodePng(buf);
      assert.notEqual(typeof r, "string", `${f}: ${String(r)}`);
      for (const o of [{}, { shortSide: 256, uint8: true }, { shortSide: 224 }]) samePixels(await decodeGray(buf, o), await sharpGray(buf, o), `${f} ${JSON.stringify(o)}`);
    }
  });

  it("synthetic PNGs: every colour type × 8/16 bits × filter type (and mixed), odd widths, split IDATs", async () => {
    let n = 0;
    for (const channels of [1, 2, 3, 4] as const) {
      for (const depth of [8, 16] as const) {
        for (const filters of [[0], [1], [2], [3], [4], [4, 1, 3, 0, 2, 4, 4, 3]]) {
          for (const [w, h, parts] of [[37, 23, 1], [1, 5, 3], [130, 70, 4]] as const) {
            const png = new Uint8Array(makePng(w, h, channels, depth, filters, n, parts));
            const what = `ch ${channels}, ${depth}-bit, filters ${filters}, ${w}×${h}`;
            const r = addon!.decodePng(png);
            assert.notEqual(typeof r, "string", `${what}: ${String(r)}`);
            const opts = depth === 16 && channels !== 1 ? [{ uint8: true }, { uint8: true, shortSide: 20 }] : [{}, { uint8: true }, { shortSide: 20 }, { shortSide: 20, uint8: true }];
            for (const o of opts) samePixels(await decodeGray(png, o), await sharpGray(png, o), `${what} ${JSON.stringify(o)}`);
            n++;
          }
        }
      }
    }
    assert.equal(n, 4 * 2 * 6 * 3);
  });

  it("PNGs it does not take (interlaced, palette, tRNS, 16-bit colour at 16 bits) go to sharp: same pixels as before", async () => {
    const base = makePng(40, 30, 3, 8, [4], 1);
    const interlaced = await sharp(base).png({ progressive: true }).toBuffer();
    const palette = await sharp(base).png({ palette: true, colours: 16 }).toBuffer();
    const trns = makePng(40, 30, 1, 8, [1], 2, 1, [chunk("tRNS", new Uint8Array([0, 7]))]);
    for (const [name, buf] of [["interlaced", interlaced], ["palette", palette], ["tRNS", trns]] as const) {
      assert.equal(typeof addon!.decodePng(new Uint8Array(buf)), "string", name);
      for (const o of [{}, { shortSide: 20, uint8: true }]) samePixels(await decodeGray(new Uint8Array(buf), o), await sharpGray(new Uint8Array(buf), o), `${name} ${JSON.stringify(o)}`);
    }
    const rgb16 = new Uint8Array(makePng(40, 30, 3, 16, [2], 3));
    samePixels(await decodeGray(rgb16, {}), await sharpGray(rgb16, {}), "16-bit RGB at 16 bits");
  });

  it("corrupt and truncated PNGs: the addon declines, decodeGray gives sharp's error (ImageDecodeError 'cannot decode image (…)')", async () => {
    const good = makePng(64, 48, 1, 8, [4, 1], 4);
    const idat = good.indexOf("IDAT");
    const badCrc = Buffer.from(good);
    badCrc[idat + 20] ^= 0x55; // IDAT data changed, CRC not: libpng refuses the chunk
    const badZlib = Buffer.from(good);
    badZlib[idat + 20] ^= 0x55;
    const n = badZlib.readUInt32BE(idat - 4);
    badZlib.writeUInt32BE(crc32(badZlib.subarray(idat, idat + 4 + n)), idat + 4 + n); // valid CRC over corrupt deflate data
    const truncated = good.subarray(0, Math.floor(good.length / 2));
    const noEnd = good.subarray(0, good.length - 12);
    const cases: [string, Buffer][] = [["IDAT CRC", badCrc], ["corrupt zlib", badZlib], ["truncated", truncated], ["no IEND", noEnd]];
    for (const [name, buf] of cases) {
      const u8 = new Uint8Array(buf);
      assert.equal(typeof addon!.decodePng(u8), "string", name);
      let sharpError: string | null = null;
      let sharpPixels: Awaited<ReturnType<typeof sharpGray>> | null = null;
      try {
        sharpPixels = await sharpGray(u8, {});
      } catch (e) {
        sharpError = (e as Error).message;
      }
      if (sharpError === null) samePixels(await decodeGray(u8, {}, name), sharpPixels!, name); // sharp tolerates it: so do we, with its pixels
      else await assert.rejects(decodeGray(u8, {}, name), (e: unknown) => e instanceof ImageDecodeError && e.file === name && e.message.includes(`cannot decode image (${sharpError}`));
    }
    // A bad filter byte (valid zlib and CRCs) is declined too.
    const raw = new Uint8Array(5 * 4);
    raw[0] = 9;
    const ihdr = Buffer.from([0, 0, 0, 4, 0, 0, 0, 4, 8, 0, 0, 0, 0]);
    const badFilter = Buffer.concat([good.subarray(0, 8), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0))]);
    assert.equal(typeof addon!.decodePng(new Uint8Array(badFilter)), "string");
    await assert.rejects(decodeGray(new Uint8Array(badFilter), {}, "f.png"), ImageDecodeError);
  });
});
