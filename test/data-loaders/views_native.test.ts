/**
 * The optional mmsn_views addon (native/jpeg/views.cc) against the TypeScript views it replaces: every MSN view
 * of writeMsnViews must equal randomView's float32 output bit for bit (so views_pillow.test.ts's Pillow parity
 * carries over), and resampleView must equal resample.ts's resampleBoxAffine for fractional boxes, boxes past
 * the edges, upsampling, tiny and non-square images, 8- and 16-bit sources, 1 and 3 channels. Skipped when the
 * addon is not built (the TypeScript path is then the only one).
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { deriveSeed, EVAL_NORMALIZATION, IMAGENET_NORMALIZATION, makeRng, randomView, readGrayImage, type GrayImage } from "../../data-loaders/index.js";
import { viewsNative, writeMsnViews, type MsnViewParams } from "../../data-loaders/msn_views.js";
import { resampleBoxAffine } from "../../data-loaders/resample.js";
import { NIH } from "./helpers.js";

const addon = viewsNative();
const skip = addon ? false : "mmsn_views addon not built (node native/build.mjs)";

function bitsEqual(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) assert.fail(`${what}: element ${i} differs: ${a[i]} vs ${b[i]}`);
}

function synthetic(w: number, h: number, bits: 8 | 16, seed: number): GrayImage {
  const rng = makeRng(seed);
  const data = bits === 8 ? new Uint8Array(w * h) : new Uint16Array(w * h);
  const max = bits === 8 ? 255 : 65535;
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * (max + 1));
  return { width: w, height: h, data, bitDepth: bits };
}

describe("mmsn_views addon = TypeScript views, bit for bit", { skip }, () => {
  it("writeMsnViews on real NIH images at 256 (RGB and grey) equals randomView's views", async () => {
    const imgs = await Promise.all(["00000001_000.png", "00001369_000.png"].map((f) => readGrayImage(path.join(NIH, "images", f), { shortSide: 256, uint8: true })));
    for (const channels of [3, 1] as const) {
      const p: MsnViewParams = { randSize: 224, focalSize: 96, randViews: 1, focalViews: 10, randScale: [0.3, 1], focalScale: [0.05, 0.3], flipP: 0.5, channels, norm: IMAGENET_NORMALIZATION };
      const big = 224 * 224 * channels, small = 96 * 96 * channels;
      for (const [k, img] of imgs.entries()) {
        for (let e = 0; e < 4; e++) {
          const seed = deriveSeed(24, e, k);
          const out = { target: new Float32Array(2 * big), anchors: new Float32Array(2 * big), focal: new Float32Array(20 * small) };
          writeMsnViews(img, seed, p, out, 1, 2); // image 1 of a batch of 2: offsets exercised
          const rng = makeRng(seed);
          const ref = (size: number, scale: readonly [number, number]) => {
            const o = new Float32Array(size * size * channels);
            randomView(img, rng, size, scale, 0.5, IMAGENET_NORMALIZATION, channels, o, 0);
            return o;
          };
          bitsEqual(out.target.subarray(big, 2 * big), ref(224, [0.3, 1]), "target");
          bitsEqual(out.anchors.subarray(big, 2 * big), ref(224, [0.3, 1]), "anchor");
          for (let f = 0; f < 10; f++) bitsEqual(out.focal.subarray((2 * f + 1) * small, (2 * f + 2) * small), ref(96, [0.05, 0.3]), `focal ${f}`);
        }
      }
    }
  });

  it("resampleView equals resampleBoxAffine: fractional boxes, past the edges, upsampling, 8/16-bit, tiny and odd sizes", () => {
    const imgs = [synthetic(256, 256, 8, 1), synthetic(300, 37, 8, 2), synthetic(5, 7, 8, 3), synthetic(1, 1, 8, 4), synthetic(200, 311, 16, 5), synthetic(64, 64, 16, 6)];
    const rng = makeRng(99);
    let n = 0;
    for (const img of imgs) {
      for (let t = 0; t < 60; t++) {
        const bits = img.bitDepth;
        const k = 1 / (2 ** bits - 1);
        const channels = t % 2 === 0 ? 3 : 1;
        const norm = t % 3 === 0 ? EVAL_NORMALIZATION : IMAGENET_NORMALIZATION;
        const m = (norm.mean[0] + norm.mean[1] + norm.mean[2]) / 3, s = (norm.std[0] + norm.std[1] + norm.std[2]) / 3;
        const scale = channels === 1 ? [k / s] : norm.std.map((v) => k / v);
        const shift = channels === 1 ? [-m / s] : norm.mean.map((v, c) => -v / norm.std[c]!);
        const box = { x: (rng() - 0.2) * img.width, y: (rng() - 0.2) * img.height, w: 0.05 + rng() * 1.3 * img.width, h: 0.05 + rng() * 1.3 * img.height };
        const dw = 1 + Math.floor(rng() * 120), dh = t % 5 === 0 ? dw : 1 + Math.floor(rng() * 120);
        const flip = rng() < 0.5;
        const a = new Float32Array(dw * dh * channels + 7), b = new Float32Array(dw * dh * channels + 7);
        resampleBoxAffine(img.data, img.width, img.height, box, dw, dh, flip, channels, scale, shift, a, 7);
        addon!.resampleView(img.data, img.width, img.height, box.x, box.y, box.w, box.h, dw, dh, flip, channels, Float64Array.from(scale), Float64Array.from(shift), b, 7);
        bitsEqual(b, a, `${img.width}×${img.height}/${bits} box ${JSON.stringify(box)} → ${dw}×${dh} flip ${flip} ch ${channels}`);
        n++;
      }
    }
    assert.equal(n, 360);
  });

  it("rejects bad arguments with a RangeError instead of reading or writing out of bounds", () => {
    const img = synthetic(16, 16, 8, 7);
    const out = new Float32Array(8 * 8 * 3);
    const sc = Float64Array.of(1, 1, 1), sh = Float64Array.of(0, 0, 0);
    assert.throws(() => addon!.resampleView(img.data, 16, 16, 0, 0, 16, 16, 8, 8, false, 3, sc, sh, out, 1), RangeError);
    assert.throws(() => addon!.resampleView(img.data, 17, 16, 0, 0, 16, 16, 8, 8, false, 3, sc, sh, out, 0), RangeError);
    addon!.resampleView(img.data, 16, 16, 0, 0, 16, 16, 8, 8, false, 3, sc, sh, out, 0);
  });
});
