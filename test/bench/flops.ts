/**
 * FLOPs of one MSN training step (multiply–adds × 2), counted from the configuration: ViT encoders
 * (patch embedding, per-block q/k/v/proj/MLP matMuls and attention) for the target view (forward only)
 * and the anchor + focal views (forward + backward ≈ 3× forward). The projection head, EHR fusion and
 * prototypes are < 1% at these sizes and left out, so FLOP/s figures derived from this are a slight
 * underestimate. Matches the perf notes' count (ViT-Tiny, B=8, 224 px: 7.41 GFLOP per image trained).
 */
import type { MsnConfig } from "../../src/config/msn.js";

/** Forward FLOPs of the ViT for `images` square images of side `size`, keeping `tokens` tokens (incl. CLS). */
export function vitForwardFlops(c: MsnConfig, images: number, size: number, masked: boolean): number {
  const { patchSize: p, inChans: ch, embedDim: d, depth, mlpRatio } = c.vit;
  const n = (size / p) ** 2;
  const t = masked ? Math.floor(n * (1 - c.patchDropRatio)) + 1 : n + 1;
  const patch = 2 * n * p * p * ch * d;
  const block = 2 * t * (4 * d * d + 2 * d * mlpRatio * d) + 4 * t * t * d;
  return images * (patch + depth * block);
}

/** FLOPs of one training step at batch `b` (see the module note). */
export function msnStepFlops(c: MsnConfig, b: number): number {
  const target = vitForwardFlops(c, b, c.randSize, false);
  const anchors = vitForwardFlops(c, c.randViews * b, c.randSize, c.patchDropRatio > 0);
  const focal = c.focalViews > 0 ? vitForwardFlops(c, c.focalViews * b, c.focalSize, c.maskFocal && c.patchDropRatio > 0) : 0;
  return target + 3 * (anchors + focal);
}
