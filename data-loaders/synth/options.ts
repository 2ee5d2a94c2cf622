/**
 * Options of the synthetic cohort generator and their validation. Unknown keys are an error (a typo
 * such as `imagesize` must not silently fall back to a default).
 */

/** The three datasets the generator can write. */
export type SynthDataset = "mimic" | "nih" | "chexpert";

/** All datasets, in the order they are generated. */
export const SYNTH_DATASETS: readonly SynthDataset[] = ["mimic", "nih", "chexpert"];

/** Options of {@link writeSyntheticCohort}. Every field is optional. */
export interface SynthOptions {
  /** PRNG seed; the same seed gives byte-identical files. Default 24 (the paper code's seed). */
  seed?: number;
  /** Target number of MIMIC-CXR images (exact). Default 600. Mutually exclusive with `patients`. */
  images?: number;
  /** Number of MIMIC-CXR subjects instead of a target image count. */
  patients?: number;
  /** Mean number of CXR studies per MIMIC subject (>= 1). Default 2.5. */
  studiesPerPatient?: number;
  /** Mean number of images per study, in [1, 3]; portable AP studies get fewer. Default 1.5. */
  imagesPerStudy?: number;
  /** Number of NIH-14 images (exact). Default `round(images / 3)` (200 for the default cohort). */
  nihImages?: number;
  /** Number of CheXpert images, train + valid (exact). Default `round(images / 3)`. */
  chexpertImages?: number;
  /** Side of the square images in pixels, 32..2048. Default 256. */
  imageSize?: number;
  /** Which datasets to write. Default all three. */
  datasets?: readonly SynthDataset[];
  /** JPEG quality for MIMIC and CheXpert images, 1..100. Default 90. */
  jpegQuality?: number;
}

/** Options with every default filled in. */
export interface ResolvedSynthOptions {
  seed: number;
  images: number | null;
  patients: number | null;
  studiesPerPatient: number;
  imagesPerStudy: number;
  nihImages: number;
  chexpertImages: number;
  imageSize: number;
  datasets: SynthDataset[];
  jpegQuality: number;
}

/** The valid option keys, in documentation order. */
export const SYNTH_OPTION_KEYS: readonly (keyof SynthOptions)[] = [
  "seed",
  "images",
  "patients",
  "studiesPerPatient",
  "imagesPerStudy",
  "nihImages",
  "chexpertImages",
  "imageSize",
  "datasets",
  "jpegQuality",
];

function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new Error(`synth option ${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

function checkNum(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) {
    throw new Error(`synth option ${name} must be a number in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

/**
 * Validate options and fill defaults.
 *
 * @param options user options (may be undefined)
 * @returns the resolved options
 * @throws on unknown keys (the message lists the valid ones) or out-of-range values
 * @example resolveSynthOptions({ images: 40, imageSize: 64 }).nihImages; // 13
 */
export function resolveSynthOptions(options: SynthOptions = {}): ResolvedSynthOptions {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new Error("synth options must be an object");
  }
  const unknown = Object.keys(options).filter((k) => !(SYNTH_OPTION_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new Error(`unknown synth option(s) ${unknown.join(", ")}; valid keys: ${SYNTH_OPTION_KEYS.join(", ")}`);
  }
  const o = options as Record<string, unknown>;
  const has = (k: string): boolean => o[k] !== undefined;
  if (has("images") && has("patients")) throw new Error("synth options: give either images or patients, not both");
  const seed = has("seed") ? checkInt("seed", o.seed, 0, 2 ** 32 - 1) : 24;
  const patients = has("patients") ? checkInt("patients", o.patients, 1, 1_000_000) : null;
  const images = has("images") ? checkInt("images", o.images, 1, 5_000_000) : patients === null ? 600 : null;
  const studiesPerPatient = has("studiesPerPatient") ? checkNum("studiesPerPatient", o.studiesPerPatient, 1, 50) : 2.5;
  const imagesPerStudy = has("imagesPerStudy") ? checkNum("imagesPerStudy", o.imagesPerStudy, 1, 3) : 1.5;
  const mimicScale = images ?? Math.round(patients! * studiesPerPatient * imagesPerStudy);
  const third = Math.max(1, Math.round(mimicScale / 3));
  const nihImages = has("nihImages") ? checkInt("nihImages", o.nihImages, 1, 5_000_000) : third;
  const chexpertImages = has("chexpertImages") ? checkInt("chexpertImages", o.chexpertImages, 1, 5_000_000) : third;
  const imageSize = has("imageSize") ? checkInt("imageSize", o.imageSize, 32, 2048) : 256;
  const jpegQuality = has("jpegQuality") ? checkInt("jpegQuality", o.jpegQuality, 1, 100) : 90;
  let datasets: SynthDataset[] = [...SYNTH_DATASETS];
  if (has("datasets")) {
    const d = o.datasets;
    if (!Array.isArray(d) || d.length === 0) throw new Error("synth option datasets must be a non-empty array");
    for (const x of d) {
      if (!(SYNTH_DATASETS as readonly unknown[]).includes(x)) {
        throw new Error(`synth option datasets: unknown dataset ${String(x)}; valid: ${SYNTH_DATASETS.join(", ")}`);
      }
    }
    datasets = SYNTH_DATASETS.filter((x) => (d as unknown[]).includes(x));
  }
  return { seed, images, patients, studiesPerPatient, imagesPerStudy, nihImages, chexpertImages, imageSize, datasets, jpegQuality };
}
