/** Synthetic feature sets for the evaluation tests (seeded). */
import { Rng } from "../../src/utils/rng.js";
import type { LabeledFeatures } from "../../src/eval/types.js";

/**
 * n rows of D Gaussian features; label l is 1 when features · w_l > 0 (linearly separable), with fixed
 * random directions w_l drawn from `dirSeed` (shared by train/val/test splits of one problem).
 */
export function separableSet(n: number, D: number, L: number, seed: number, dirSeed = 99): LabeledFeatures {
  const dirRng = new Rng(dirSeed);
  const dirs = Array.from({ length: L }, () => Array.from({ length: D }, () => dirRng.normal()));
  const rng = new Rng(seed);
  const features = new Float32Array(n * D);
  const labels = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) features[i * D + d] = rng.normal();
    for (let l = 0; l < L; l++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += features[i * D + d]! * dirs[l]![d]!;
      labels[i * L + l] = dot > 0.3 ? 1 : 0;
    }
  }
  return { features, labels, n, dim: D, labelNames: Array.from({ length: L }, (_, l) => `L${l}`) };
}

/** The same set with the rows of its label matrix permuted (labels no longer related to features). */
export function shuffledLabels(fs: LabeledFeatures, seed: number): LabeledFeatures {
  const L = fs.labelNames.length;
  const perm = new Rng(seed).shuffle(Int32Array.from({ length: fs.n }, (_, i) => i));
  const labels = new Float32Array(fs.labels.length);
  for (let i = 0; i < fs.n; i++) labels.set(fs.labels.subarray(perm[i]! * L, (perm[i]! + 1) * L), i * L);
  return { ...fs, labels };
}
