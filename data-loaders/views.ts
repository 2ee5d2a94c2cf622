/**
 * Image transforms on typed arrays, all driven by a seeded {@link RngFn} (`makeRng(seed)`):
 * - MSN views as lightly's `MSNTransform` in the paper (docs/protocol.md#views): target + random anchor at
 *   224 (RandomResizedCrop scale 0.3–1), focal views at 96 (scale 0.05–0.3), horizontal flip p = 0.5, no
 *   colour jitter/blur/grayscale, ToTensor + ImageNet normalisation on `convert('RGB')` (3 equal channels).
 * - Linear-evaluation transforms (docs/protocol.md#linear-evaluation): eval `Resize(256) → CenterCrop(224)`; train `Resize(256) → flip →
 *   RandomAffine(45°, translate 0.15, scale 0.85–1.15, nearest, fill 0) → CenterCrop(224)`, both with the
 *   paper's evaluation normalisation.
 * Grayscale option (`channels: 1`): one channel normalised with the mean of the three channel statistics
 * (ImageNet: mean 0.449, std 0.226), documented deviation that saves 3× memory.
 */
import type { GrayImage } from "./image_types.js";
import { resampleBox, resampleBoxAffine, type Box } from "./resample.js";
import type { RngFn } from "../src/utils/rng.js";

/** Uniform in [lo, hi) from a bare draw function. */
const uniformIn = (rng: RngFn, lo: number, hi: number): number => lo + rng() * (hi - lo);

/** Per-channel mean/std of a normalisation (for 3 channels; 1 channel uses their means). */
export interface Normalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** lightly's IMAGENET_NORMALIZE, used in MSN pretraining. */
export const IMAGENET_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** The paper's linear-evaluation normalisation (`evaluate.py`). */
export const EVAL_NORMALIZATION: Normalization = { mean: [0.4884, 0.455, 0.4171], std: [0.2596, 0.253, 0.2556] };

/** Channels of the produced tensors: 3 (paper, `convert('RGB')`) or 1 (grayscale option). */
export type Channels = 1 | 3;

/**
 * torchvision `RandomResizedCrop.get_params`: up to 10 tries of area ∈ scale, log-uniform ratio ∈ [3/4, 4/3];
 * fallback to a central crop with the ratio clamped.
 * @example randomResizedCropBox(makeRng(1), 1024, 1024, [0.3, 1])
 */
export function randomResizedCropBox(rng: RngFn, width: number, height: number, scale: readonly [number, number], ratio: readonly [number, number] = [3 / 4, 4 / 3]): Box {
  const area = width * height;
  const logR = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let t = 0; t < 10; t++) {
    const target = area * uniformIn(rng, scale[0], scale[1]);
    const ar = Math.exp(uniformIn(rng, logR[0], logR[1]));
    const w = Math.round(Math.sqrt(target * ar));
    const h = Math.round(Math.sqrt(target / ar));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const y = Math.floor(rng() * (height - h + 1));
      const x = Math.floor(rng() * (width - w + 1));
      return { x, y, w, h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h };
}

/** Scale of source pixel values to [0, 1]. */
function unit(img: GrayImage): number {
  return 1 / (2 ** img.bitDepth - 1);
}

/**
 * Write `plane` (values in source units, `size × size`) normalised into `out` at `offset` as HWC with `channels`.
 */
export function writeNormalized(plane: Float32Array, k: number, norm: Normalization, channels: Channels, out: Float32Array, offset: number): void {
  if (channels === 1) {
    const m = (norm.mean[0] + norm.mean[1] + norm.mean[2]) / 3;
    const s = (norm.std[0] + norm.std[1] + norm.std[2]) / 3;
    for (let i = 0; i < plane.length; i++) out[offset + i] = (plane[i]! * k - m) / s;
    return;
  }
  // (v·k − m)/s as one multiply-add per channel
  const [a0, a1, a2] = [k / norm.std[0], k / norm.std[1], k / norm.std[2]];
  const [b0, b1, b2] = [-norm.mean[0] / norm.std[0], -norm.mean[1] / norm.std[1], -norm.mean[2] / norm.std[2]];
  for (let i = 0, o = offset; i < plane.length; i++, o += 3) {
    const v = plane[i]!;
    out[o] = v * a0 + b0;
    out[o + 1] = v * a1 + b1;
    out[o + 2] = v * a2 + b2;
  }
}

/** Per-channel affine map `v·scale[c] + shift[c]` from source units to normalised values (`channels` of them). */
function affine(k: number, norm: Normalization, channels: Channels): { scale: number[]; shift: number[] } {
  if (channels === 1) {
    const m = (norm.mean[0] + norm.mean[1] + norm.mean[2]) / 3;
    const s = (norm.std[0] + norm.std[1] + norm.std[2]) / 3;
    return { scale: [k / s], shift: [-m / s] };
  }
  return { scale: norm.std.map((s) => k / s), shift: norm.mean.map((m, c) => -m / norm.std[c]!) };
}

let cached: { k: number; norm: Normalization; channels: Channels; map: { scale: number[]; shift: number[] } } | null = null;

/** {@link affine}, memoised for the last (unit, normalisation, channels): the same for every view of a run. */
function affineCached(k: number, norm: Normalization, channels: Channels): { scale: number[]; shift: number[] } {
  if (cached === null || cached.k !== k || cached.norm !== norm || cached.channels !== channels) cached = { k, norm, channels, map: affine(k, norm, channels) };
  return cached.map;
}

/**
 * One random-resized-crop view (crop, resize to `size`, flip with probability `flipP`), normalised into `out`
 * at `offset` (HWC, `size × size × channels`). The grey plane is resampled once and written to every channel
 * in the same pass; no allocation per view.
 * @example randomView(img, rng, 224, [0.3, 1], 0.5, IMAGENET_NORMALIZATION, 3, out, 0)
 */
export function randomView(img: GrayImage, rng: RngFn, size: number, scale: readonly [number, number], flipP: number, norm: Normalization, channels: Channels, out: Float32Array, offset: number): void {
  const box = randomResizedCropBox(rng, img.width, img.height, scale);
  const flip = rng() < flipP;
  const map = affineCached(unit(img), norm, channels);
  resampleBoxAffine(img.data, img.width, img.height, box, size, size, flip, channels, map.scale, map.shift, out, offset);
}

/** Crop box (in source pixels) of `Resize(resize)` (shorter side) followed by `CenterCrop(crop)`. */
function resizeCenterCropBox(w: number, h: number, resize: number, crop: number): { box: Box; rw: number; rh: number } {
  const k = resize / Math.min(w, h);
  const rw = w <= h ? resize : Math.floor(w * k);
  const rh = h <= w ? resize : Math.floor(h * k);
  const top = Math.round((rh - crop) / 2);
  const left = Math.round((rw - crop) / 2);
  return { box: { x: (left * w) / rw, y: (top * h) / rh, w: (crop * w) / rw, h: (crop * h) / rh }, rw, rh };
}

/** Options of {@link evalTransform}. */
export interface EvalTransformOptions {
  /** Shorter side after resize. Default 256. */
  readonly resize?: number;
  /** Centre crop. Default 224. */
  readonly crop?: number;
  /** Default {@link EVAL_NORMALIZATION}. */
  readonly norm?: Normalization;
  /** Default 3. */
  readonly channels?: Channels;
}

/**
 * The paper's evaluation transform `Resize(256) → CenterCrop(224) → ToTensor → Normalize`, as one
 * antialiased resample of the equivalent source box.
 * @returns a new Float32Array of `crop × crop × channels` (HWC)
 * @example const x = evalTransform(img); // 224*224*3 floats
 */
export function evalTransform(img: GrayImage, opts: EvalTransformOptions = {}): Float32Array {
  const resize = opts.resize ?? 256;
  const crop = opts.crop ?? 224;
  const channels = opts.channels ?? 3;
  const { box } = resizeCenterCropBox(img.width, img.height, resize, crop);
  const out = new Float32Array(crop * crop * channels);
  const map = affine(unit(img), opts.norm ?? EVAL_NORMALIZATION, channels);
  resampleBoxAffine(img.data, img.width, img.height, box, crop, crop, false, channels, map.scale, map.shift, out, 0);
  return out;
}

/**
 * The paper's train-time evaluation transform: `Resize(256) → RandomHorizontalFlip → RandomAffine(degrees=45,
 * translate=(0.15, 0.15), scale=(0.85, 1.15)) → CenterCrop(224) → Normalize`; nearest interpolation and
 * fill 0 as torchvision's defaults.
 * @returns a new Float32Array of `crop × crop × channels` (HWC)
 * @example const x = trainAffineTransform(img, makeRng(24));
 */
export function trainAffineTransform(img: GrayImage, rng: RngFn, opts: EvalTransformOptions = {}): Float32Array {
  const resize = opts.resize ?? 256;
  const crop = opts.crop ?? 224;
  const channels = opts.channels ?? 3;
  const k = resize / Math.min(img.width, img.height);
  const rw = img.width <= img.height ? resize : Math.floor(img.width * k);
  const rh = img.height <= img.width ? resize : Math.floor(img.height * k);
  const resized = resampleBox(img.data, img.width, img.height, { x: 0, y: 0, w: img.width, h: img.height }, rw, rh, rng() < 0.5);
  // Affine parameters (torchvision RandomAffine.get_params order: angle, translations, scale).
  const angle = (uniformIn(rng, -45, 45) * Math.PI) / 180;
  const tx = Math.round(uniformIn(rng, -0.15 * rw, 0.15 * rw));
  const ty = Math.round(uniformIn(rng, -0.15 * rh, 0.15 * rh));
  const s = uniformIn(rng, 0.85, 1.15);
  const cx = rw * 0.5;
  const cy = rh * 0.5;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const top = Math.round((rh - crop) / 2);
  const left = Math.round((rw - crop) / 2);
  const plane = new Float32Array(crop * crop);
  for (let v = 0; v < crop; v++) {
    for (let u = 0; u < crop; u++) {
      // Inverse map: output pixel centre → source, around the image centre.
      const px = left + u + 0.5 - cx - tx;
      const py = top + v + 0.5 - cy - ty;
      const sx = (cos * px + sin * py) / s + cx;
      const sy = (-sin * px + cos * py) / s + cy;
      const ix = Math.floor(sx);
      const iy = Math.floor(sy);
      plane[v * crop + u] = ix >= 0 && iy >= 0 && ix < rw && iy < rh ? resized[iy * rw + ix]! : 0;
    }
  }
  const out = new Float32Array(crop * crop * channels);
  writeNormalized(plane, unit(img), opts.norm ?? EVAL_NORMALIZATION, channels, out, 0);
  return out;
}
