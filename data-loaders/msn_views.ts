/**
 * The MSN views of one image written into its batch's view-major arrays: the unit of work that
 * {@link msnBatches} runs inline or hands to a {@link ViewPool} worker. Plain data in, typed arrays out, so
 * the same function runs on either side of a `postMessage`; the views depend only on (image, seed).
 */
import type { GrayImage } from "./image_types.js";
import { makeRng } from "../src/utils/rng.js";
import { randomView, type Channels, type Normalization } from "./views.js";

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
  randomView(img, rng, p.randSize, p.randScale, p.flipP, p.norm, p.channels, out.target, b * big);
  for (let r = 0; r < p.randViews; r++) randomView(img, rng, p.randSize, p.randScale, p.flipP, p.norm, p.channels, out.anchors, (r * batch + b) * big);
  for (let f = 0; f < p.focalViews; f++) randomView(img, rng, p.focalSize, p.focalScale, p.flipP, p.norm, p.channels, out.focal, (f * batch + b) * small);
}
