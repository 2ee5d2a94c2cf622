/**
 * The MSN views of one image written into its batch's view-major arrays: the unit of work that
 * {@link msnBatches} runs inline or hands to a {@link ViewPool} worker. Plain data in, typed arrays out, so
 * the same function runs on either side of a `postMessage`; the views depend only on (image, seed).
 * Each view's resample runs in the optional mmsn_views addon when it loads (same bits as the TypeScript
 * {@link randomView}, which is the fallback; MMSN_VIEWS=js forces it).
 */
import type { GrayImage } from "./image_types.js";
import { makeRng, type RngFn } from "../src/utils/rng.js";
import { optionalAddon } from "../src/utils/find_addon.js";
import { randomResizedCropBox, randomView, type Channels, type Normalization } from "./views.js";

interface ViewsAddon {
  /** resample.ts's resampleBoxAffine in C++, bit for bit (native/jpeg/views.cc). */
  resampleView(src: Uint8Array | Uint16Array, sw: number, sh: number, bx: number, by: number, bw: number, bh: number, dw: number, dh: number,
    flip: boolean, channels: Channels, scale: Float64Array, shift: Float64Array, out: Float32Array, offset: number): void;
}
/**
 * The optional mmsn_views addon (built by `node native/build.mjs`, no system library), or null when it is not
 * built, does not load, or MMSN_VIEWS=js. It computes each view exactly as {@link randomView} does (same float32
 * bits; test/data-loaders/views_native.test.ts), 3–5× faster; it loads in the main thread and in view workers.
 */
export const viewsNative = optionalAddon<ViewsAddon>("native/jpeg/build/Release/mmsn_views.node", import.meta.url, () => process.env.MMSN_VIEWS === "js");

let affineKey: { bitDepth: number; norm: Normalization; channels: Channels } | null = null;
let affineScale = new Float64Array(3);
let affineShift = new Float64Array(3);

/** views.ts's per-channel affine map (`v·scale[c] + shift[c]`), the same arithmetic, memoised for the last settings. */
function affineFor(bitDepth: number, norm: Normalization, channels: Channels): void {
  if (affineKey && affineKey.bitDepth === bitDepth && affineKey.norm === norm && affineKey.channels === channels) return;
  const k = 1 / (2 ** bitDepth - 1);
  if (channels === 1) {
    const m = (norm.mean[0] + norm.mean[1] + norm.mean[2]) / 3;
    const s = (norm.std[0] + norm.std[1] + norm.std[2]) / 3;
    affineScale = Float64Array.of(k / s);
    affineShift = Float64Array.of(-m / s);
  } else {
    affineScale = Float64Array.from(norm.std, (s) => k / s);
    affineShift = Float64Array.from(norm.mean, (m, c) => -m / norm.std[c]!);
  }
  affineKey = { bitDepth, norm, channels };
}

/** {@link randomView} with the addon's resample: the same rng draws (box, then flip) and the same output. */
function nativeView(addon: ViewsAddon, img: GrayImage, rng: RngFn, size: number, scale: readonly [number, number], flipP: number, norm: Normalization, channels: Channels, out: Float32Array, offset: number): void {
  const box = randomResizedCropBox(rng, img.width, img.height, scale);
  const flip = rng() < flipP;
  affineFor(img.bitDepth, norm, channels);
  addon.resampleView(img.data as Uint8Array | Uint16Array, img.width, img.height, box.x, box.y, box.w, box.h, size, size, flip, channels, affineScale, affineShift, out, offset);
}

/** Resolved view settings (every field set; see `MsnViewConfig` in batches.ts for the defaults). */
export interface MsnViewParams {
  /** Side of the target and random anchor views. */
  readonly randSize: number;
  /** Side of the focal views. */
  readonly focalSize: number;
  /** Random anchor views per image (besides the target). */
  readonly randViews: number;
  /** Focal views per image. */
  readonly focalViews: number;
  /** RandomResizedCrop scale of target/anchor views. */
  readonly randScale: readonly [number, number];
  /** RandomResizedCrop scale of focal views. */
  readonly focalScale: readonly [number, number];
  /** Horizontal flip probability. */
  readonly flipP: number;
  /** Output channels. */
  readonly channels: Channels;
  /** Normalisation. */
  readonly norm: Normalization;
}

/** The view-major arrays of one batch of `batch` images (`target` [B,S,S,C], `anchors` [R·B,S,S,C], `focal` [V·B,s,s,C]). */
export interface MsnViewArrays {
  readonly target: Float32Array;
  readonly anchors: Float32Array;
  readonly focal: Float32Array;
}

/**
 * Write image `b` of a batch of `batch` images: target, then `randViews` anchors, then `focalViews` focal
 * views, all drawn from one rng seeded with `seed` (in that order, so results are reproducible anywhere).
 * @example writeMsnViews(img, deriveSeed(24, epoch, index), params, arrays, b, B)
 */
export function writeMsnViews(img: GrayImage, seed: number, p: MsnViewParams, out: MsnViewArrays, b: number, batch: number): void {
  const big = p.randSize * p.randSize * p.channels;
  const small = p.focalSize * p.focalSize * p.channels;
  const rng = makeRng(seed);
  const addon = viewsNative();
  const view = addon ? (s: number, sc: readonly [number, number], o: Float32Array, off: number) => nativeView(addon, img, rng, s, sc, p.flipP, p.norm, p.channels, o, off)
    : (s: number, sc: readonly [number, number], o: Float32Array, off: number) => randomView(img, rng, s, sc, p.flipP, p.norm, p.channels, o, off);
  view(p.randSize, p.randScale, out.target, b * big);
  for (let r = 0; r < p.randViews; r++) view(p.randSize, p.randScale, out.anchors, (r * batch + b) * big);
  for (let f = 0; f < p.focalViews; f++) view(p.focalSize, p.focalScale, out.focal, (f * batch + b) * small);
}
