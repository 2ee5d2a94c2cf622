/**
 * Attention maps of a ViT for notebooks: the CLS token's attention to the patches (mean over heads) and
 * image / heat map / overlay tiles for {@link imageGridPng}.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ImageTile } from "./image_grid.js";

/** CLS-to-patch attention of a batch: `maps` row-major [batch, grid, grid], each map summing to ≤ 1. */
export interface ClsAttention {
  readonly maps: Float32Array;
  readonly batch: number;
  readonly grid: number;
}

/**
 * The CLS token's attention to every patch, averaged over heads.
 * Ownership: `attention` ([B, heads, T, T] probabilities of one block, T = 1 + grid², as filled by
 * `VisionTransformer.tokens(images, undefined, attention)`) is not disposed; no tensor is returned.
 * @throws Error when T − 1 is not a square number of patches.
 */
export function clsAttention(attention: tf.Tensor4D): ClsAttention {
  const [B, , T] = attention.shape;
  const grid = Math.round(Math.sqrt(T - 1));
  if (grid * grid !== T - 1) throw new Error(`clsAttention: ${T} tokens is not CLS + a square grid of patches`);
  const mean = tf.tidy(() => tf.mean(tf.slice(attention, [0, 0, 0, 1], [-1, -1, 1, T - 1]), [1, 2]));
  try {
    return { maps: Float32Array.from(mean.dataSync()), batch: B, grid };
  } finally {
    mean.dispose();
  }
}

/** Bilinear (align-corners) resampling of a [g, g] map to [size, size]. */
function upsample(map: Float32Array, g: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const s = g > 1 && size > 1 ? (g - 1) / (size - 1) : 0;
  for (let y = 0; y < size; y++) {
    const fy = y * s, y0 = Math.floor(fy), y1 = Math.min(g - 1, y0 + 1), wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = x * s, x0 = Math.floor(fx), x1 = Math.min(g - 1, x0 + 1), wx = fx - x0;
      const top = map[y0 * g + x0]! * (1 - wx) + map[y0 * g + x1]! * wx;
      const bottom = map[y1 * g + x0]! * (1 - wx) + map[y1 * g + x1]! * wx;
      out[y * size + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** Options of {@link attentionOverlayRows}. */
export interface OverlayOptions {
  /** Weight of the heat map in the overlay. Default 0.4. */
  readonly alpha?: number;
}

/**
 * One row per image: the image, its CLS attention heat map (min–max scaled, upsampled to the image size)
 * and a red (high) / blue (low) overlay.
 * @param images grey images in [0, 1], row-major [B, size, size] (undo the input normalisation first).
 * @param att from {@link clsAttention}, same batch.
 */
export function attentionOverlayRows(images: Float32Array, size: number, att: ClsAttention, opts: OverlayOptions = {}): ImageTile[][] {
  const a = opts.alpha ?? 0.4;
  const n = size * size;
  if (images.length !== att.batch * n) throw new Error(`attentionOverlayRows: ${images.length} pixel values for ${att.batch} images of ${size}×${size}`);
  const g2 = att.grid * att.grid;
  return Array.from({ length: att.batch }, (_, b) => {
    const img = images.subarray(b * n, (b + 1) * n);
    const up = upsample(att.maps.subarray(b * g2, (b + 1) * g2), att.grid, size);
    let lo = Infinity, hi = -Infinity;
    for (const v of up) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const heat = Float32Array.from(up, (v) => (v - lo) / (hi - lo + 1e-12));
    const overlay = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      overlay[3 * i] = (1 - a) * img[i]! + a * heat[i]!;
      overlay[3 * i + 1] = (1 - a) * img[i]!;
      overlay[3 * i + 2] = (1 - a) * img[i]! + a * (1 - heat[i]!);
    }
    return [
      { width: size, height: size, pixels: Float32Array.from(img) },
      { width: size, height: size, pixels: heat },
      { width: size, height: size, pixels: overlay, channels: 3 as const },
    ];
  });
}
