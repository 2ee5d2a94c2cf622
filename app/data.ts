/**
 * The glue between the loaders (`data-loaders/`) and the library (`src/`), used by the CLI and the notebooks:
 * - where the data is: {@link loadDataset} (a cohort directory laid out as {@link COHORT_LAYOUT}),
 *   {@link resolveDataRoots} (real roots from environment variables, the synthetic cohort otherwise);
 * - EHR rows aligned with images: {@link alignEhr}, {@link mimicEhr}, {@link cohortEhr}, {@link ehrColumnShares};
 * - pretraining batches with the views of an `MsnConfig`, from any global step: {@link pretrainBatches};
 * - frozen-encoder features with the paper's eval transform at the model's size: {@link evalImageBatches},
 *   {@link datasetFeatures}, {@link splitFeatures} (each split capped by `MMSN_SUBSET`: {@link stratifiedSubset});
 * - fixed image sets for the pretraining monitors: {@link monitorImages}.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  COHORT_LAYOUT,
  datasetSource,
  evalArrays,
  extractEhrMatrix,
  loadChexpert,
  loadMimicCxr,
  loadNih14,
  msnBatches,
  openCache,
  selectionColumns,
  selectSplit,
  subsetDataset,
  writeSyntheticCohort,
  LoadReport,
  ImageDecodeError,
  CHEXPERT_TEST_LABELS,
  medfuseSplit,
  type BatchStream,
  type CxrDataset,
  type DecodeOptions,
  type EhrGroup,
  type EhrMatrix,
  type EhrVariable,
  type EvalBatch,
  type ImageSource,
  type ScanImputation,
  type MsnViewConfig,
} from "../data-loaders/index.js";
import type { SynthOptions, SynthReport } from "../data-loaders/synth/index.js";
import type { MsnConfig } from "../src/config/msn.js";
import { extractFeatures, type ExtractOptions } from "../src/eval/features.js";
import type { MonitorImages } from "../src/eval/model_monitor.js";
import { Rng } from "../src/utils/rng.js";
import type { FeatureSplits } from "../src/eval/protocols.js";
import type { Encoder, LabeledBatch, LabeledFeatures } from "../src/eval/types.js";
import { stepsPerEpoch } from "../src/train/steps.js";
import type { MsnBatch } from "../src/types/batch.js";
import { DATASETS, type DatasetName } from "./datasets.js";

export { COHORT_LAYOUT, DATASETS, type DatasetName };

const HOW_TO_GET = "run `mmsn synth DIR` to generate the synthetic cohort, or point --data at your MIMIC-CXR-JPG / MIMIC-IV copies";

/** @throws Error saying how to get the data when `p` does not exist. */
export function requirePath(p: string, what: string): string {
  if (!existsSync(p)) throw new Error(`${what} not found at ${p}; ${HOW_TO_GET} (layout: DIR/${COHORT_LAYOUT.mimicCxr}, DIR/${COHORT_LAYOUT.mimicIv}, DIR/${COHORT_LAYOUT.nih14}, DIR/${COHORT_LAYOUT.chexpert})`);
  return p;
}

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  /** Follow symlinks that lead out of the dataset root (default: such images are skipped and counted). */
  readonly allowSymlinks?: boolean;
  /**
   * MIMIC-CXR split: `official-file` (mimic-cxr-2.0.0-split.csv, the default) or `medfuse` (the paper's: MedFuse's
   * phenotyping listfiles in `DIR/medfuse`, see `medfuseSplit`).
   */
  readonly split?: "official-file" | "medfuse";
  /** CheXpert set: `valid` (valid.csv, the default) or `test` (the paper's: test_labels.csv). */
  readonly chexpertSet?: "valid" | "test";
}

/**
 * Load a dataset from a cohort directory with all its splits (MIMIC: the official split file, or MedFuse's;
 * NIH-14: the official lists plus a seeded validation split; CheXpert: `valid.csv` or `test_labels.csv` as the
 * test set). Label rows whose image file is missing (or lies outside the root) are dropped and counted in `report`.
 * @throws Error with how to get the data when the directory or the dataset's folder is missing.
 */
export function loadDataset(dataDir: string, name: DatasetName, opts: LoadDatasetOptions = {}): CxrDataset {
  // `study` and `ablate` pretrain and probe many methods on the same cohort: parse its CSVs once.
  // Datasets are read-only (splits and subsets return new objects), so sharing is safe.
  const o = { allowSymlinks: opts.allowSymlinks === true, split: opts.split ?? "official-file", chexpertSet: opts.chexpertSet ?? "valid" } as const;
  const key = `${resolve(dataDir)}\0${name}\0${JSON.stringify(o)}`;
  let ds = loaded.get(key);
  if (!ds) loaded.set(key, (ds = parseDataset(dataDir, name, o)));
  return ds;
}

const loaded = new Map<string, CxrDataset>();

function parseDataset(dataDir: string, name: DatasetName, o: Required<LoadDatasetOptions>): CxrDataset {
  const dir = requirePath(resolve(dataDir), "dataset directory --data");
  const checks = { checkImages: true, allowSymlinks: o.allowSymlinks };
  switch (name) {
    case "mimic": {
      const root = requirePath(join(dir, COHORT_LAYOUT.mimicCxr), "MIMIC-CXR-JPG");
      return loadMimicCxr({ root, ...checks, ...(o.split === "medfuse" ? { split: medfuseSplit(join(dir, COHORT_LAYOUT.medfuse)) } : {}) });
    }
    case "nih14":
      return loadNih14({ root: requirePath(join(dir, COHORT_LAYOUT.nih14), "NIH ChestX-ray14"), ...checks });
    case "chexpert":
      return loadChexpert({ root: requirePath(join(dir, COHORT_LAYOUT.chexpert), "CheXpert"), csv: o.chexpertSet === "test" ? CHEXPERT_TEST_LABELS : "valid.csv", split: "test", ...checks });
  }
}

/** The MIMIC-CXR and MIMIC-IV roots inside a cohort directory (both must exist). */
export function cohortMimicRoots(dataDir: string): { readonly mimicRoot: string; readonly mimicIvRoot: string } {
  const dir = resolve(dataDir);
  return { mimicRoot: requirePath(join(dir, COHORT_LAYOUT.mimicCxr), "MIMIC-CXR-JPG"), mimicIvRoot: requirePath(join(dir, COHORT_LAYOUT.mimicIv), "MIMIC-IV 2.2") };
}

/** Datasets a notebook can ask for, and the environment variable that points at the real copy. */
export const DATA_ROOT_ENV = {
  mimic: "MMSN_MIMIC_DIR",
  mimicIv: "MMSN_MIMIC_IV_DIR",
  nih: "MMSN_NIH14_DIR",
  chexpert: "MMSN_CHEXPERT_DIR",
} as const;
/** One of the keys of {@link DATA_ROOT_ENV}. */
export type DataRootName = keyof typeof DATA_ROOT_ENV;

/** Result of {@link resolveDataRoots}. */
export interface DataRoots {
  /** Root of each requested dataset (MIMIC-CXR-JPG root, MIMIC-IV root, NIH-14 root, `CheXpert-v1.0-small`). */
  readonly roots: Readonly<Partial<Record<DataRootName, string>>>;
  /** The requested datasets that come from the synthetic cohort. */
  readonly synthetic: readonly DataRootName[];
  /** The generator's report when a synthetic cohort was written. */
  readonly synthReport?: SynthReport;
}

const SYNTH_ROOT: Record<DataRootName, string> = {
  mimic: COHORT_LAYOUT.mimicCxr,
  mimicIv: COHORT_LAYOUT.mimicIv,
  nih: COHORT_LAYOUT.nih14,
  chexpert: COHORT_LAYOUT.chexpert,
};

/**
 * Dataset roots for `need`: each from its environment variable ({@link DATA_ROOT_ENV}) when set, else from a
 * synthetic cohort written into `synthDir` (only the datasets still missing are generated; MIMIC-CXR and
 * MIMIC-IV come together). Both MIMIC roots must be real or neither (the EHR is linked by subject).
 * @throws Error when only one of MMSN_MIMIC_DIR / MMSN_MIMIC_IV_DIR is set and both are needed.
 * @example const { roots } = await resolveDataRoots(["mimic", "mimicIv"], { synthDir, synth: { images: 300 } });
 */
export async function resolveDataRoots(
  need: readonly DataRootName[],
  opts: { readonly synthDir: string; readonly synth?: Omit<SynthOptions, "datasets">; readonly env?: Readonly<Record<string, string | undefined>> },
): Promise<DataRoots> {
  const env = opts.env ?? process.env;
  const roots: Partial<Record<DataRootName, string>> = {};
  const synthetic: DataRootName[] = [];
  for (const k of need) {
    const v = env[DATA_ROOT_ENV[k]];
    if (v) roots[k] = v;
    else synthetic.push(k);
  }
  if (need.includes("mimic") && need.includes("mimicIv") && synthetic.includes("mimic") !== synthetic.includes("mimicIv")) {
    throw new Error("set both MMSN_MIMIC_DIR and MMSN_MIMIC_IV_DIR (the EHR is linked to the images by subject), or neither for the synthetic cohort");
  }
  if (synthetic.length === 0) return { roots, synthetic };
  const datasets = [...new Set(synthetic.map((k) => (k === "mimicIv" ? "mimic" : k)))] as ("mimic" | "nih" | "chexpert")[];
  const synthReport = await writeSyntheticCohort(opts.synthDir, { ...opts.synth, datasets });
  for (const k of synthetic) roots[k] = join(opts.synthDir, SYNTH_ROOT[k]);
  return { roots, synthetic, synthReport };
}

/** Result of {@link alignEhr}: row i of `matrix` belongs to image i of `dataset`. */
export interface AlignedEhr {
  readonly dataset: CxrDataset;
  readonly matrix: Float32Array;
  readonly dim: number;
  readonly columns: readonly string[];
  /** The linked raw values (sex, age, view, …) of each kept image. */
  readonly records: EhrMatrix["records"];
  /** Images of the input without EHR features (no sex record, rare views): dropped from `dataset`. */
  readonly dropped: number;
  /** What the EHR extraction skipped, and why (an empty report when `ehr` came without one). */
  readonly report: LoadReport;
}

/**
 * Align EHR features (`extractEhrMatrix` / `extractEhrFeatures`, keyed by dicom_id) with the images of a
 * MIMIC-CXR dataset (keyed by `ids`): images without a row are dropped, the rest keep their order.
 * @example const a = alignEhr(selectSplit(mimic, "train"), extractEhrMatrix({ mimicIvRoot, metadata, selection }));
 */
export function alignEhr(ds: CxrDataset, ehr: Pick<EhrMatrix, "columns" | "matrix" | "dicomIds" | "records"> & { readonly report?: LoadReport }): AlignedEhr {
  const dim = ehr.columns.length;
  const row = new Map<string, number>();
  ehr.dicomIds.forEach((id, i) => row.set(id, i));
  const keep: number[] = [];
  const rows: number[] = [];
  ds.ids.forEach((id, i) => {
    const r = row.get(id);
    if (r !== undefined) {
      keep.push(i);
      rows.push(r);
    }
  });
  const matrix = new Float32Array(keep.length * dim);
  rows.forEach((r, k) => matrix.set(ehr.matrix.subarray(r * dim, (r + 1) * dim), k * dim));
  return { dataset: subsetDataset(ds, keep), matrix, dim, columns: ehr.columns, records: rows.map((r) => ehr.records[r]!), dropped: ds.length - keep.length, report: ehr.report ?? new LoadReport("ehr") };
}

/** The MIMIC-CXR metadata file under `mimicRoot` (`.csv.gz` or `.csv`), or undefined. */
export function mimicMetadataFile(mimicRoot: string): string | undefined {
  return ["mimic-cxr-2.0.0-metadata.csv.gz", "mimic-cxr-2.0.0-metadata.csv"].map((f) => join(mimicRoot, f)).find(existsSync);
}

/**
 * {@link mimicMetadataFile} of a cohort's MIMIC-CXR root.
 * @throws Error with how to get the data when it is missing.
 */
export function requireMimicMetadata(mimicRoot: string): string {
  const f = mimicMetadataFile(mimicRoot);
  if (!f) throw new Error(`MIMIC-CXR metadata (mimic-cxr-2.0.0-metadata.csv(.gz)) not found in ${mimicRoot}; ${HOW_TO_GET}`);
  return f;
}

/**
 * MIMIC-IV EHR features of `groups` (age normalised, the paper's main setting) aligned with the images of
 * `ds`, a MIMIC-CXR dataset loaded from `mimicRoot` (whose metadata CSV, `.csv.gz` or `.csv`, links the images).
 * `scanImputation`: `mode` (default) or `iterative` (the official IterativeImputer + random forest).
 * @throws Error when the metadata file is missing; DataFormatError for a missing MIMIC-IV table.
 * @example const ehr = mimicEhr(selectSplit(mimic, "train"), { mimicRoot, mimicIvRoot, groups: ["demographic"] });
 */
export function mimicEhr(ds: CxrDataset, o: { readonly mimicRoot: string; readonly mimicIvRoot: string; readonly groups: readonly EhrGroup[]; readonly scanImputation?: ScanImputation }): AlignedEhr {
  const metadata = mimicMetadataFile(o.mimicRoot);
  if (!metadata) throw new Error(`mimicEhr: mimic-cxr-2.0.0-metadata.csv(.gz) not found in ${o.mimicRoot}`);
  return alignEhr(ds, extractEhrMatrix({ mimicIvRoot: o.mimicIvRoot, metadata, selection: { groups: o.groups, age: "norm" }, ...(o.scanImputation ? { scanImputation: o.scanImputation } : {}) }, "mimicEhr"));
}

/** One EHR column of {@link ehrColumnShares}. */
export interface EhrColumnShare {
  readonly column: string;
  readonly variable: EhrVariable;
  /** true for one-hot columns (then `mean` is the share of images with a 1). */
  readonly oneHot: boolean;
  readonly mean: number;
}

/**
 * Column means of an EHR matrix with the variable each column encodes: for one-hot columns the share of
 * images with that value, for `age_norm` the mean normalised age.
 * @throws Error for a column name that no variable produces.
 */
export function ehrColumnShares(ehr: { readonly matrix: Float32Array; readonly columns: readonly string[] }): EhrColumnShare[] {
  const vars: EhrVariable[] = ["sex", "age", "view", "orientation", "mortality", "icu"];
  const owner = new Map<string, EhrVariable>();
  for (const v of vars) for (const c of selectionColumns({ variables: [v], age: "norm" }).columns) owner.set(c, v);
  const D = ehr.columns.length;
  const n = D > 0 ? ehr.matrix.length / D : 0;
  return ehr.columns.map((column, j) => {
    const variable = owner.get(column);
    if (!variable) throw new Error(`ehrColumnShares: unknown EHR column "${column}"`);
    let s = 0;
    for (let i = 0; i < n; i++) s += ehr.matrix[i * D + j]!;
    return { column, variable, oneHot: column !== "age_norm", mean: n > 0 ? s / n : NaN };
  });
}

/**
 * {@link mimicEhr} for a cohort directory laid out as {@link COHORT_LAYOUT} (what `mmsn pretrain --ehr` uses).
 * @throws Error with how to get the data when a root is missing.
 */
export function cohortEhr(dataDir: string, ds: CxrDataset, groups: readonly EhrGroup[], opts: { readonly scanImputation?: ScanImputation } = {}): AlignedEhr {
  const roots = cohortMimicRoots(dataDir);
  requireMimicMetadata(roots.mimicRoot);
  return mimicEhr(ds, { ...roots, groups, ...opts });
}

/**
 * The images of `ds` read from a cache built by `mmsn prepare` (uint8, no JPEG decoding), in `ds` order.
 * Images that `mmsn prepare` could not decode (the manifest's `failed`) read as unreadable: they are
 * counted and replaced like any unreadable image, since rebuilding the cache cannot bring them back.
 * @throws Error naming an image the cache has never seen (the cohort changed: rebuild it with `mmsn prepare`).
 */
export function cachedSource(ds: CxrDataset, cacheDir: string): ImageSource {
  const cache = openCache(cacheDir);
  const at = new Map<string, number>();
  cache.ids.forEach((id, i) => at.set(id, i));
  const failed = new Map(cache.manifest.failed.map((f) => [f.id, f] as const));
  const index = ds.ids.map((id) => {
    const i = at.get(id);
    if (i === undefined && !failed.has(id)) throw new Error(`image ${id} is not in the cache ${cacheDir} (the cohort has changed since it was built); rebuild it with \`mmsn prepare --data DIR --dataset ${ds.name === "mimic-cxr" ? "mimic" : ds.name}\``);
    return i;
  });
  return {
    length: ds.length,
    read: (i) => {
      const k = index[i];
      if (k !== undefined) return cache.read(k);
      const f = failed.get(ds.ids[i]!)!;
      return Promise.reject(new ImageDecodeError(f.path, `could not be decoded when the cache ${cacheDir} was built: ${f.reason}`));
    },
    describe: (i) => ds.paths[i] ?? ds.ids[i] ?? String(i),
  };
}

/** The MSN view settings of a model config (sizes, view counts, channels): what its batches must hold. */
export function msnViews(config: MsnConfig): MsnViewConfig {
  return { randSize: config.randSize, focalSize: config.focalSize, randViews: config.randViews, focalViews: config.focalViews, channels: evalViews(config).channels };
}

/** The evaluation input of a model config: its encoder's image size and channels (what its features are computed at). */
export function evalViews(config: MsnConfig): { readonly size: number; readonly channels: 1 | 3 } {
  return { size: config.vit.imgSize, channels: config.vit.inChans === 1 ? 1 : 3 };
}

/** Options of {@link pretrainBatches}. */
export interface PretrainBatchOptions {
  /** Default: the config's batch size. */
  readonly batchSize?: number;
  /** EHR rows aligned with the dataset (e.g. from {@link alignEhr}). */
  readonly ehr?: { readonly matrix: Float32Array; readonly dim: number };
  /** Default: the config's seed (the same seed gives two methods the same images and views). */
  readonly seed?: number;
  /** Passes over the dataset; default 1,000,000 (the trainer's step count stops first). */
  readonly epochs?: number;
  /**
   * Global step of the first batch (resuming). Epoch ⌊startStep / stepsPerEpoch⌋ is opened and its first
   * `startStep mod stepsPerEpoch` batches are skipped (prepared and disposed), so batch k depends only on
   * (seed, k): a resumed run sees exactly the batches of an uninterrupted one. Default 0. Unreadable images
   * do not change this: the batch plan is fixed (their slots are taken by the next readable image).
   */
  readonly startStep?: number;
  /** Where the images come from; default decoded from the dataset's files at twice the view size. */
  readonly source?: ImageSource;
}

/**
 * MSN batches of `ds` with the views the model expects ({@link msnViews}).
 * Ownership: each batch's tensors belong to the consumer (`pretrain` and `trainRun` dispose them).
 * @example await pretrain(model, pretrainBatches(train, model.config, { ehr: aligned }), { steps: 30 });
 */
export function pretrainBatches(ds: CxrDataset, config: MsnConfig, opts: PretrainBatchOptions = {}): BatchStream<MsnBatch> {
  const batchSize = opts.batchSize ?? config.batchSize;
  const startStep = opts.startStep ?? 0;
  const spe = stepsPerEpoch(ds.length, batchSize);
  const stream = msnBatches(opts.source ?? datasetSource(ds, { shortSide: 2 * config.randSize }), {
    batchSize,
    seed: opts.seed ?? config.seed,
    epochs: opts.epochs ?? 1_000_000,
    ...(startStep > 0 ? { startEpoch: Math.floor(startStep / spe) } : {}),
    views: msnViews(config),
    ...(opts.ehr ? { ehr: { matrix: opts.ehr.matrix, dim: opts.ehr.dim } } : {}),
  });
  if (startStep % spe === 0) return stream;
  return {
    report: stream.report,
    async *[Symbol.asyncIterator]() {
      let skip = startStep % spe;
      for await (const b of stream) {
        if (skip > 0) {
          skip -= 1;
          tf.dispose([b.target, b.anchors, b.focal, ...(b.ehr ? [b.ehr] : [])]);
          continue;
        }
        yield b;
      }
    },
  };
}

/**
 * Turn `evalBatches` output into the {@link LabeledBatch}es `extractFeatures` consumes: labels become plain
 * arrays (the label tensor is disposed here) and, with `size`, images are resized to `size × size` (the
 * input tensor is disposed here).
 * Ownership: every yielded `images` tensor belongs to the consumer.
 */
export async function* labeledBatches(batches: AsyncIterable<EvalBatch>, opts: { readonly size?: number } = {}): AsyncGenerator<LabeledBatch> {
  for await (const b of batches) {
    const labels = Float32Array.from(await b.labels.data()); // async: the labels may live on a GPU backend
    b.labels.dispose();
    let images = b.images;
    if (opts.size !== undefined && opts.size !== images.shape[1]) {
      images = tf.image.resizeBilinear(b.images, [opts.size, opts.size], true);
      b.images.dispose();
    }
    yield { images, labels };
  }
}

/** Options of {@link evalImageBatches}, {@link datasetFeatures} and {@link splitFeatures}. */
export interface DatasetFeatureOptions {
  /** Model input size: the paper's Resize(256) → CenterCrop(224) scaled to it. Default 224. */
  readonly size?: number;
  /** Default 3. */
  readonly channels?: 1 | 3;
  /** Images per encoder forward. Default 32. */
  readonly batchSize?: number;
  /** Decode options; default `{ shortSide: 2 × size }`. */
  readonly decode?: DecodeOptions;
  /** `eval` (Resize → CenterCrop, default) or `train` (the paper's probe augmentation: flip + RandomAffine 45°). */
  readonly transform?: "eval" | "train";
  /** Shuffle the rows (default false), seeded by `seed` (default 24); the train transform draws from it too. */
  readonly shuffle?: boolean;
  readonly seed?: number;
}

/**
 * Evaluation batches of `ds` at the model's input size ({@link DatasetFeatureOptions}), normalised. Unreadable
 * images are skipped and counted in the stream's `report`. Each batch owns its `images` tensor: the consumer
 * (`extractFeatures`) disposes it.
 */
export function evalImageBatches(ds: CxrDataset, opts: DatasetFeatureOptions = {}): BatchStream<LabeledBatch> {
  const size = opts.size ?? 224;
  const stream = evalArrays(ds, {
    batchSize: opts.batchSize ?? 32,
    size,
    channels: opts.channels ?? 3,
    decode: opts.decode ?? { shortSide: 2 * size },
    ...(opts.transform !== undefined ? { transform: opts.transform } : {}),
    ...(opts.shuffle !== undefined ? { shuffle: opts.shuffle } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  });
  return {
    report: stream.report,
    async *[Symbol.asyncIterator]() {
      for await (const b of stream) yield { images: tf.tensor4d(b.images, [...b.shape]), labels: b.labels };
    },
  };
}

/** {@link datasetFeatures}' result: the features, and what was skipped while computing them. */
export interface DatasetFeatures extends LabeledFeatures {
  /**
   * Images that could not be read. On a cache hit the images were not read again: the images missing from
   * the cached features are counted under "unreadable image (when the cached features were computed)".
   */
  readonly report: LoadReport;
}

/**
 * Frozen-encoder features of every image of `ds` ({@link evalImageBatches}), with the dataset's label names;
 * with `subset`, of at most that many images ({@link stratifiedSubset}; only when passed: `MMSN_SUBSET` is
 * read by {@link splitFeatures}, not here).
 * No tensors are returned; the encoder's outputs are disposed. `extract` passes caching and progress options
 * to `extractFeatures` (default: silent, no cache); a cache key must cover the data too ({@link dataFingerprint}).
 * @example const test = await datasetFeatures((x) => model.encode(x), selectSplit(mimic, "test"), { size: 64, channels: 1 });
 */
export async function datasetFeatures(encoder: Encoder, all: CxrDataset, opts: DatasetFeatureOptions & SubsetOptions = {}, extract: ExtractOptions = { progress: false }): Promise<DatasetFeatures> {
  const { subset, subsetSeed, ...featureOpts } = opts;
  const ds = subset === undefined ? all : stratifiedSubset(all, subset, subsetSeed);
  const batches = evalImageBatches(ds, featureOpts);
  const f = await extractFeatures(encoder, batches, { total: ds.length, ...extract });
  const report = batches.report;
  if (f.fromCache && f.n < ds.length) {
    report.read = ds.length;
    report.kept = f.n;
    report.skip("unreadable image (when the cached features were computed)", { file: extract.cacheDir ?? "", detail: `${ds.length - f.n} of ${ds.length} images have no cached features` }, ds.length - f.n);
  }
  return { features: f.features, labels: f.labels, n: f.n, dim: f.dim, labelNames: ds.labelNames, report };
}

/**
 * A short hex digest of everything the features of `ds` depend on besides the encoder: image ids and paths,
 * each file's size and modification time, the labels and label names, and the preprocessing `prep` (size,
 * channels, decoding, normalisation). A changed cohort (other images, edited files, new labels) gets a new
 * digest, so a feature cache keyed by it is never reused stale.
 */
export function dataFingerprint(ds: CxrDataset, prep: unknown): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ prep, name: ds.name, labelNames: ds.labelNames, ids: ds.ids, paths: ds.paths }));
  h.update(new Uint8Array(ds.labels.buffer, ds.labels.byteOffset, ds.labels.byteLength));
  const stamp = new Float64Array(2 * ds.length);
  ds.paths.forEach((p, i) => {
    const st = statSync(p, { throwIfNoEntry: false });
    stamp[2 * i] = st?.size ?? -1;
    stamp[2 * i + 1] = st?.mtimeMs ?? -1;
  });
  h.update(new Uint8Array(stamp.buffer));
  return h.digest("hex").slice(0, 16);
}

/** The environment variable that caps the images per split of {@link splitFeatures} (the notebooks' feature extraction). */
export const SUBSET_ENV = "MMSN_SUBSET";

/** Datasets with more images than this make {@link splitFeatures} warn when no subset is set. */
export const LARGE_DATASET_IMAGES = 5000;

/**
 * The per-split cap set by `MMSN_SUBSET` ({@link SUBSET_ENV}) in `env`: a positive integer, or undefined when the
 * variable is unset, empty or `0` (every image).
 * @throws Error for any other value (a typo must not silently run on every image).
 */
export function subsetFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const v = (env[SUBSET_ENV] ?? "").trim();
  if (v === "" || v === "0") return undefined;
  if (!/^[0-9]+$/.test(v)) throw new Error(`${SUBSET_ENV} must be a positive integer (images per split), or empty/0 for every image; got "${v}"`);
  return Number(v);
}

/** The subset options of {@link splitFeatures} and {@link datasetFeatures}. */
export interface SubsetOptions {
  /**
   * At most this many images per split: a seeded, label-stratified sample ({@link stratifiedSubset}), the same
   * for every encoder. `splitFeatures` default: `MMSN_SUBSET` ({@link subsetFromEnv}); `Infinity` (or 0) reads every
   * image whatever the environment says.
   */
  readonly subset?: number;
  /** Seed of the sample; default 24. */
  readonly subsetSeed?: number;
}

/**
 * At most `n` images of `ds`, drawn by a seeded sample stratified by label: each image's stratum is its rarest
 * positive label (prevalence within `ds`; images without a positive, NaN included, form one stratum), each
 * stratum keeps its share of `n` (largest remainder), and the images of a stratum are drawn by a seeded shuffle.
 * The kept images stay in `ds` order. The same (`ds`, `n`, `seed`) gives the same images; `ds` itself is
 * returned when it has at most `n` images (or `n` is not finite or ≤ 0).
 * @example const small = stratifiedSubset(selectSplit(mimic, "test"), 1000);
 */
export function stratifiedSubset(ds: CxrDataset, n: number, seed = 24): CxrDataset {
  if (!(n > 0) || !Number.isFinite(n) || ds.length <= n) return ds;
  const k = Math.floor(n);
  const L = ds.labelNames.length;
  const positives = new Float64Array(L);
  for (let i = 0; i < ds.length; i++) for (let j = 0; j < L; j++) if (ds.labels[i * L + j] === 1) positives[j]! += 1;
  const strata = new Map<number, number[]>();
  for (let i = 0; i < ds.length; i++) {
    let key = -1;
    for (let j = 0; j < L; j++) if (ds.labels[i * L + j] === 1 && (key < 0 || positives[j]! < positives[key]!)) key = j;
    const rows = strata.get(key);
    if (rows) rows.push(i);
    else strata.set(key, [i]);
  }
  const groups = [...strata.entries()].sort((a, b) => a[0] - b[0]).map(([, rows]) => rows);
  const exact = groups.map((g) => (k * g.length) / ds.length);
  const quota = exact.map(Math.floor);
  let left = k - quota.reduce((t, q) => t + q, 0);
  const order = groups.map((_, s) => s).sort((a, b) => exact[b]! - quota[b]! - (exact[a]! - quota[a]!) || a - b);
  for (const s of order) {
    if (left === 0) break;
    quota[s]! += 1;
    left -= 1;
  }
  const rng = new Rng(seed);
  const keep = groups.flatMap((g, s) => rng.shuffle(g.slice()).slice(0, quota[s]));
  return subsetDataset(ds, keep.sort((a, b) => a - b));
}

const warnedLarge = new Set<string>();

/** The warning of {@link splitFeatures} for a large dataset without a subset (once per dataset and process). */
function warnLarge(ds: CxrDataset, counts: Readonly<Record<"train" | "validate" | "test", number>>): void {
  const total = counts.train + counts.validate + counts.test;
  if (total <= LARGE_DATASET_IMAGES) return;
  const key = `${ds.name}\0${ds.root}\0${total}`;
  if (warnedLarge.has(key)) return;
  warnedLarge.add(key);
  const f = (v: number) => v.toLocaleString("en-US");
  console.warn(
    `splitFeatures: ${ds.name} has ${f(total)} images (train ${f(counts.train)}, validate ${f(counts.validate)}, test ${f(counts.test)}) ` +
      `and ${SUBSET_ENV} is not set, so the features of every one are extracted for each encoder read out: ` +
      `${f(total)} images × the number of passes (notebook 07: 9 = ${f(9 * total)} images; 04–06: 21; hours per pass on ` +
      `2 CPU cores at MIMIC-CXR scale, see notebooks/README.md, "Real-data scale"). For a quicker run cap each split with a seeded, label-stratified sample ` +
      `(the same images for every encoder): start Jupyter with ${SUBSET_ENV}=2000 (images per split), e.g. ` +
      `\`${SUBSET_ENV}=2000 bash environment/jupyter.sh\`, or pass { subset: 2000 }.`,
  );
}

/**
 * {@link datasetFeatures} of the train, validate and test splits of `ds`, ready for `mimicProtocol` /
 * `nih14Protocol`. Each split is capped at `subset` images ({@link SubsetOptions}; default `MMSN_SUBSET`, read
 * when called), the same images for every encoder; without a cap, a dataset of more than
 * {@link LARGE_DATASET_IMAGES} images prints a warning (once) with the cost and how to set `MMSN_SUBSET`.
 * @throws Error naming an empty split; Error for an invalid `MMSN_SUBSET`.
 */
export async function splitFeatures(encoder: Encoder, ds: CxrDataset, opts: DatasetFeatureOptions & SubsetOptions = {}): Promise<FeatureSplits> {
  const { subset, subsetSeed, ...featureOpts } = opts;
  const cap = subset ?? subsetFromEnv();
  const part = (s: "train" | "validate" | "test") => selectSplit(ds, s);
  const parts = { train: part("train"), validate: part("validate"), test: part("test") };
  if (cap === undefined) warnLarge(ds, { train: parts.train.length, validate: parts.validate.length, test: parts.test.length });
  const features = (s: "train" | "validate" | "test") => {
    const p = cap === undefined ? parts[s] : stratifiedSubset(parts[s], cap, subsetSeed);
    if (p.length === 0) throw new Error(`splitFeatures: the ${s} split of ${ds.name} is empty`);
    return datasetFeatures(encoder, p, featureOpts);
  };
  return { train: await features("train"), val: await features("validate"), test: await features("test") };
}

/** {@link monitorImages}' result: the monitor set, and the images that could not be read for it. */
export type MonitorImageSet = MonitorImages & { readonly report: LoadReport };

/**
 * A fixed monitor set of `ds` for `modelMonitor` (src/eval/model_monitor.ts): up to `n` rows picked by a seeded
 * shuffle (the same rows for every run of the same data), through the evaluation transform at the model's
 * input size ({@link evalViews}), as plain arrays. Unreadable images are skipped and counted in `report`.
 * @throws Error when no image of the pick could be read.
 * @example const query = await monitorImages(selectSplit(mimic, "validate"), model.config, 128);
 */
export async function monitorImages(ds: CxrDataset, config: MsnConfig, n: number, seed = 24): Promise<MonitorImageSet> {
  const rows = new Rng(seed).shuffle(Array.from({ length: ds.length }, (_, i) => i)).slice(0, n).sort((a, b) => a - b);
  const { size, channels } = evalViews(config);
  const stream = evalArrays(subsetDataset(ds, rows), { batchSize: 64, size, channels, decode: { shortSide: 2 * size } });
  const images: Float32Array[] = [];
  const labels: Float32Array[] = [];
  for await (const b of stream) {
    images.push(b.images);
    labels.push(b.labels);
  }
  const cat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((t, p) => t + p.length, 0));
    parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
    return out;
  };
  const kept = labels.reduce((t, l) => t + l.length, 0) / ds.labelNames.length;
  if (kept === 0) throw new Error(`monitorImages: none of the ${rows.length} picked images of ${ds.name} could be read`);
  return { images: cat(images), labels: cat(labels), n: kept, size, channels, report: stream.report };
}
