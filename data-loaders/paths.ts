/** Path safety: every path that comes from a CSV is resolved under the dataset root or rejected. */
import path from "node:path";

/**
 * Resolve `rel` (a path read from a dataset file) under `root`. Returns `null` when it is absolute or
 * escapes the root (e.g. `../../etc/passwd`); callers skip such rows and count them.
 * @example resolveInside("/data/chexpert", "train/patient1/study1/view1_frontal.jpg")
 */
export function resolveInside(root: string, rel: string): string | null {
  if (rel === "" || path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.includes("\0")) return null;
  const absRoot = path.resolve(root);
  const abs = path.resolve(absRoot, rel);
  const back = path.relative(absRoot, abs);
  if (back === "" || back.startsWith("..") || path.isAbsolute(back)) return null;
  return abs;
}

/**
 * Where each dataset lives inside a cohort directory: the layout of the official downloads (PhysioNet's
 * `mimic-cxr-jpg/2.0.0` and `mimiciv/2.2`, NIH's `nih-chestxray14`, Stanford's `CheXpert-v1.0-small`), which
 * the synthetic cohort (`mmsn synth`) writes too.
 */
export const COHORT_LAYOUT = {
  mimicCxr: "mimic-cxr-jpg/2.0.0",
  mimicIv: "mimiciv/2.2",
  nih14: "nih-chestxray14",
  chexpert: "chexpert/CheXpert-v1.0-small",
} as const;
