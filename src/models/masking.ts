/**
 * Random patch dropping for anchor views (MSN's "masking"): choose which tokens each image keeps.
 * Indices refer to the token sequence [CLS, patch 1, …, patch N]; CLS (index 0) is always kept and first.
 */
import type { Rng } from "../utils/rng.js";

/** Kept token indices for a batch: `idx[b*keep + j]` is the j-th kept token of image b. */
export interface KeepIndices {
  readonly batch: number;
  /** Tokens kept per image, CLS included. */
  readonly keep: number;
  /** Tokens per image before dropping (numPatches + 1). */
  readonly tokens: number;
  readonly idx: Int32Array;
}

/**
 * Draw kept tokens like lightly's `random_token_mask` (uniform noise, argsort, CLS forced first).
 * @param quirk reproduce the official CXR-EHR-MSN call, which passes numPatches as the sequence length:
 *   ⌊N(1−r)⌋ tokens are kept *including* CLS and the last patch is never kept. Without it,
 *   CLS + ⌊N(1−r)⌋ patches are kept (facebookresearch/msn).
 */
export function randomKeepIndices(batch: number, numPatches: number, ratio: number, rng: Rng, quirk: boolean): KeepIndices {
  const seqLen = quirk ? numPatches : numPatches + 1;
  const keep = quirk ? Math.max(1, Math.floor(numPatches * (1 - ratio))) : Math.floor(numPatches * (1 - ratio)) + 1;
  const idx = new Int32Array(batch * keep);
  const noise = new Float64Array(seqLen);
  const order = Array.from({ length: seqLen }, (_, i) => i);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen; t++) noise[t] = rng.next();
    noise[0] = -1;
    order.sort((x, y) => noise[x]! - noise[y]! || x - y);
    for (let j = 0; j < keep; j++) idx[b * keep + j] = order[j]!;
  }
  return { batch, keep, tokens: numPatches + 1, idx };
}

/** Check user-supplied indices: in range, CLS first, no repeats within an image. */
export function validateKeepIndices(k: KeepIndices, batch: number, tokens: number): void {
  if (k.batch !== batch || k.tokens !== tokens || k.idx.length !== batch * k.keep) {
    throw new Error(`keep indices are for batch ${k.batch} × ${k.tokens} tokens, but the views have batch ${batch} × ${tokens} tokens`);
  }
  for (let b = 0; b < batch; b++) {
    const seen = new Set<number>();
    for (let j = 0; j < k.keep; j++) {
      const t = k.idx[b * k.keep + j]!;
      if (t < 0 || t >= tokens || seen.has(t)) throw new Error(`keep indices of image ${b}: invalid or repeated token ${t}`);
      seen.add(t);
    }
    if (k.idx[b * k.keep] !== 0) throw new Error(`keep indices of image ${b} must start with the CLS token 0`);
  }
}
