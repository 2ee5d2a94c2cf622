/**
 * Data glue of the CLI (the one place in src/ that reads data-loaders/): dataset roots inside a cohort
 * directory laid out like `mmsn synth` writes it (and like the real downloads), MIMIC-CXR with the MIMIC-IV
 * EHR features aligned to its images, MSN training batches that can start at any global step, and
 * evaluation batches at the model's image size.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import {
  datasetSource,
  evalTransform,
  extractEhrMatrix,
  loadChexpert,
  loadMimicCxr,
  loadNih14,
  msnBatches,
  openCache,
  readDatasetImage,
  selectSplit,
  type CxrDataset,
  type ImageSource,
  type SplitName,
} from "../../data-loaders/index.js";
import type { LabeledBatch } from "../../src/eval/types.js";
import type { MsnBatch } from "../../src/types/batch.js";
import type { MsnConfig } from "../../src/config/msn.js";
import type { EhrGroupName } from "../study/ehr_groups.js";
import { alignEhr } from "../adapters.js";

/** Datasets the CLI reads. */
export const DATASETS = ["mimic", "nih14", "chexpert"] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Relative roots inside a cohort directory (the synthetic cohort's layout, `SYNTH_PATHS`). */
export const COHORT_LAYOUT = {
  mimicCxr: "mimic-cxr-jpg/2.0.0",
  mimicIv: "mimiciv/2.2",
  nih14: "nih-chestxray14",
  chexpert: "chexpert/CheXpert-v1.0-small",
} as const;

const HOW_TO_GET = "run `mmsn synth DIR` to generate the synthetic cohort, or point --data at your MIMIC-CXR-JPG / MIMIC-IV copies";

/** @throws Error saying how to get the data when `p` does not exist. */
export function requirePath(p: string, what: string): string {
  if (!existsSync(p)) throw new Error(`${what} not found at ${p}; ${HOW_TO_GET} (layout: DIR/${COHORT_LAYOUT.mimicCxr}, DIR/${COHORT_LAYOUT.mimicIv}, DIR/${COHORT_LAYOUT.nih14}, DIR/${COHORT_LAYOUT.chexpert})`);
  return p;
}

/**
 * Load a dataset from a cohort directory with all its splits (MIMIC: the official split file; NIH-14:
 * the official lists plus a seeded validation split; CheXpert: `valid.csv` as the test set).
 * @throws Error with how to get the data when the directory or the dataset's folder is missing.
 */
export function loadDataset(dataDir: string, name: DatasetName): CxrDataset {
  // `study` and `ablate` pretrain and probe many methods on the same cohort: parse its CSVs once.
  // Datasets are read-only (splits and subsets return new objects), so sharing is safe.
  const key = `${resolve(dataDir)}\0${name}`;
  let ds = loaded.get(key);
  if (!ds) loaded.set(key, (ds = parseDataset(dataDir, name)));
  return ds;
}

const loaded = new Map<string, CxrDataset>();

function parseDataset(dataDir: string, name: DatasetName): CxrDataset {
  const dir = requirePath(resolve(dataDir), "dataset directory --data");
  switch (name) {
    case "mimic":
      return loadMimicCxr({ root: requirePath(join(dir, COHORT_LAYOUT.mimicCxr), "MIMIC-CXR-JPG") });
    case "nih14":
      return loadNih14({ root: requirePath(join(dir, COHORT_LAYOUT.nih14), "NIH ChestX-ray14") });
    case "chexpert":
      return loadChexpert({ root: requirePath(join(dir, COHORT_LAYOUT.chexpert), "CheXpert"), csv: "valid.csv", split: "test" });
  }
}

/** The rows of `split` (a new dataset). */
export function split(ds: CxrDataset, s: SplitName): CxrDataset {
  return selectSplit(ds, s);
}

/**
 * MIMIC-IV EHR features of the selected groups for the images of `ds` (a MIMIC-CXR dataset). Images the EHR
 * extraction drops (no sex record, rare views) are dropped from the returned dataset, so row i of `matrix`
 * belongs to image i of `dataset`. Age is normalised ((age − 16)/84), as the paper's main setting.
 */
export async function mimicWithEhr(
  dataDir: string,
  ds: CxrDataset,
  groups: readonly EhrGroupName[],
): Promise<{ dataset: CxrDataset; matrix: Float32Array; dim: number; columns: readonly string[]; dropped: number }> {
  const dir = resolve(dataDir);
  const root = join(dir, COHORT_LAYOUT.mimicCxr);
  const metadata = ["mimic-cxr-2.0.0-metadata.csv.gz", "mimic-cxr-2.0.0-metadata.csv"].map((f) => join(root, f)).find(existsSync);
  if (!metadata) throw new Error(`MIMIC-CXR metadata not found in ${root}; ${HOW_TO_GET}`);
  const ehr = extractEhrMatrix({
    mimicIvRoot: requirePath(join(dir, COHORT_LAYOUT.mimicIv), "MIMIC-IV 2.2"),
    metadata,
    selection: { groups, age: "norm" },
  });
  const a = alignEhr(ds, ehr);
  return { dataset: a.dataset, matrix: a.matrix, dim: a.dim, columns: a.columns, dropped: a.dropped };
}

/**
 * The images of `ds` read from a cache built by `mmsn prepare` (uint8, no JPEG decoding), in `ds` order.
 * @throws Error naming an image missing from the cache (rebuild it with `mmsn prepare`).
 */
export function cachedSource(ds: CxrDataset, cacheDir: string): ImageSource {
  const cache = openCache(cacheDir);
  const at = new Map<string, number>();
  cache.ids.forEach((id, i) => at.set(id, i));
  const index = ds.ids.map((id) => {
    const i = at.get(id);
    if (i === undefined) throw new Error(`image ${id} is not in the cache ${cacheDir}; rebuild it with \`mmsn prepare --data DIR --dataset ${ds.name === "mimic-cxr" ? "mimic" : ds.name}\``);
    return i;
  });
  return { length: ds.length, read: (i) => cache.read(index[i]!), describe: (i) => ds.ids[i] ?? String(i) };
}

/** Pretraining steps per epoch of `n` images at batch `b` (drop_last, as the loaders). */
export function stepsPerEpochFor(n: number, b: number): number {
  return Math.max(1, Math.floor(n / b));
}

/**
 * MSN batches of `ds` starting at global step `startStep`: epoch ⌊startStep / stepsPerEpoch⌋ is opened and
 * its first `startStep mod stepsPerEpoch` batches are skipped (prepared and disposed), so batch k depends
 * only on (seed, k): a resumed run sees exactly the batches of an uninterrupted one. The stream is endless
 * (epoch after epoch); the consumer disposes every batch it takes.
 * Caveat: an unreadable image shortens its epoch, which would shift the step ↔ epoch correspondence.
 */
export async function* datasetMsnBatches(
  ds: CxrDataset,
  config: MsnConfig,
  batchSize: number,
  startStep: number,
  ehr?: { readonly matrix: Float32Array; readonly dim: number },
  source?: ImageSource,
): AsyncGenerator<MsnBatch> {
  const spe = stepsPerEpochFor(ds.length, batchSize);
  const startEpoch = Math.floor(startStep / spe);
  let skip = startStep % spe;
  const stream = msnBatches(source ?? datasetSource(ds, { shortSide: 2 * config.randSize }), {
    batchSize,
    seed: config.seed,
    startEpoch,
    epochs: 1_000_000,
    views: {
      randSize: config.randSize,
      focalSize: config.focalSize,
      randViews: config.randViews,
      focalViews: config.focalViews,
      channels: config.vit.inChans === 1 ? 1 : 3,
    },
    ...(ehr ? { ehr } : {}),
  });
  for await (const b of stream) {
    if (skip > 0) {
      skip -= 1;
      tf.dispose([b.target, b.anchors, b.focal, ...(b.ehr ? [b.ehr] : [])]);
      continue;
    }
    yield b;
  }
}

/**
 * Evaluation batches at the model's input size: the paper's Resize(256) → CenterCrop(224) scaled to
 * `size` (resize ⌊size·256/224⌉, crop `size`), normalised. Unreadable images are skipped and counted in
 * `skipped`. Each batch owns its `images` tensor: the consumer (`extractFeatures`) disposes it.
 */
export async function* evalImageBatches(
  ds: CxrDataset,
  size: number,
  channels: 1 | 3,
  batchSize: number,
  skipped: { count: number } = { count: 0 },
): AsyncGenerator<LabeledBatch> {
  const L = ds.labelNames.length;
  const resize = Math.round((size * 256) / 224);
  const px = size * size * channels;
  for (let start = 0; start < ds.length; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, ds.length - start) }, (_, k) => start + k);
    const imgs = await Promise.all(idx.map((i) => readDatasetImage(ds, i, { shortSide: 2 * size }).catch(() => null)));
    const good = idx.filter((_, k) => imgs[k] !== null);
    skipped.count += idx.length - good.length;
    if (good.length === 0) continue;
    const x = new Float32Array(good.length * px);
    const y = new Float32Array(good.length * L);
    let k = 0;
    idx.forEach((i, j) => {
      const img = imgs[j];
      if (!img) return;
      x.set(evalTransform(img, { resize, crop: size, channels }), k * px);
      y.set(ds.labels.subarray(i * L, (i + 1) * L), k * L);
      k++;
    });
    yield { images: tf.tensor4d(x, [good.length, size, size, channels]), labels: y };
  }
}
