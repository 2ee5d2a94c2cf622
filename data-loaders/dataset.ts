/**
 * The dataset contract shared by the NIH-14, CheXpert and MIMIC-CXR loaders (one label space per dataset,
 * labels 1/0/NaN, views normalised, patient-level splits), plus subsetting helpers that return new
 * objects and never mutate.
 */
import { readGrayImage, type DecodeOptions } from "./image.js";
import { confineImagePath } from "./paths.js";
import type { GrayImage } from "./image_types.js";
import { LoadReport } from "./report.js";
import type { SplitName } from "./split.js";

/** Patient sex, `""` when unknown. */
export type Sex = "M" | "F" | "";

/**
 * A loaded CXR dataset, column-oriented (row i of every array is image i).
 * Views use MIMIC's vocabulary: `PA`, `AP`, `LATERAL`, `LL`, `RL`, ..., `UNKNOWN` when missing.
 */
export interface CxrDataset {
  /** Dataset name, e.g. `nih14`. */
  readonly name: string;
  /** Dataset root: every path is inside it. */
  readonly root: string;
  /** Number of images. */
  readonly length: number;
  /** Image ids (NIH `Image Index`, CheXpert `Path`, MIMIC `dicom_id`), unique. */
  readonly ids: readonly string[];
  /** Absolute image paths (checked to lie inside `root`; the files themselves are read lazily). */
  readonly paths: readonly string[];
  /** Labels, row-major `length × labelNames.length`; 1 positive, 0 negative, NaN = ignore. */
  readonly labels: Float32Array;
  /** Label names, in column order. */
  readonly labelNames: readonly string[];
  /** View of each image. */
  readonly views: readonly string[];
  /** Patient id of each image (splits are patient-level). */
  readonly patientIds: readonly string[];
  /** Study id of each image (`""` when the dataset has no studies). */
  readonly studyIds: readonly string[];
  /** Split of each image. */
  readonly split: readonly SplitName[];
  /** Age in years at the image (NaN when unknown). */
  readonly ages: Float32Array;
  /** Sex of each image's patient. */
  readonly sexes: readonly Sex[];
  /** What was skipped while loading, and why. */
  readonly report: LoadReport;
  /**
   * Whether images may resolve (through symlinks) outside `root`. Absent or false: {@link readDatasetImage}
   * confines every image to the root's real path (the loaders' `allowSymlinks` option sets it).
   */
  readonly allowSymlinks?: boolean;
}

/**
 * Read image `i` of a dataset as one channel (see {@link readGrayImage}). Unless `ds.allowSymlinks`, the
 * path is first resolved with realpath and must lie under the real path of `ds.root` ({@link confineImagePath}).
 * @throws ImageDecodeError when the file is missing, corrupt, too large ("decompression bomb") or resolves
 *   outside the dataset root ("path outside the dataset root"); batch iterators catch it, skip and count
 * @throws RangeError when `i` is out of range
 * @example const img = await readDatasetImage(ds, 0, { shortSide: 256 });
 */
export async function readDatasetImage(ds: CxrDataset, i: number, opts: DecodeOptions = {}): Promise<GrayImage> {
  const p = ds.paths[i];
  if (p === undefined) throw new RangeError(`readDatasetImage: index ${i} out of range [0, ${ds.length})`);
  if (ds.allowSymlinks !== true) await confineImagePath(ds.root, p);
  return readGrayImage(p, opts);
}

/**
 * The labels of image `i` (a view into `ds.labels`, not a copy).
 * @example labelRow(ds, 0)[ds.labelNames.indexOf("Edema")]
 */
export function labelRow(ds: CxrDataset, i: number): Float32Array {
  const L = ds.labelNames.length;
  return ds.labels.subarray(i * L, (i + 1) * L);
}

/**
 * A new dataset holding rows `indices` of `ds`, in that order. The report is shared.
 * @example const test = subsetDataset(ds, [0, 2, 5]);
 */
export function subsetDataset(ds: CxrDataset, indices: readonly number[]): CxrDataset {
  const L = ds.labelNames.length;
  const labels = new Float32Array(indices.length * L);
  const ages = new Float32Array(indices.length);
  indices.forEach((src, k) => {
    if (src < 0 || src >= ds.length) throw new RangeError(`subsetDataset: index ${src} out of range [0, ${ds.length})`);
    labels.set(ds.labels.subarray(src * L, (src + 1) * L), k * L);
    ages[k] = ds.ages[src]!;
  });
  const pick = <T>(a: readonly T[]): T[] => indices.map((i) => a[i]!);
  return {
    name: ds.name,
    root: ds.root,
    length: indices.length,
    ids: pick(ds.ids),
    paths: pick(ds.paths),
    labels,
    labelNames: ds.labelNames,
    views: pick(ds.views),
    patientIds: pick(ds.patientIds),
    studyIds: pick(ds.studyIds),
    split: pick(ds.split),
    ages,
    sexes: pick(ds.sexes),
    report: ds.report,
    ...(ds.allowSymlinks !== undefined ? { allowSymlinks: ds.allowSymlinks } : {}),
  };
}

/**
 * The images of one split.
 * @example const test = selectSplit(ds, "test");
 */
export function selectSplit(ds: CxrDataset, split: SplitName): CxrDataset {
  const idx: number[] = [];
  ds.split.forEach((s, i) => {
    if (s === split) idx.push(i);
  });
  return subsetDataset(ds, idx);
}

/** Mutable columns used by the loaders while building a dataset. */
export interface DatasetColumns {
  ids: string[];
  paths: string[];
  labels: number[];
  views: string[];
  patientIds: string[];
  studyIds: string[];
  split: SplitName[];
  ages: number[];
  sexes: Sex[];
}

/** Empty {@link DatasetColumns}. */
export function emptyColumns(): DatasetColumns {
  return { ids: [], paths: [], labels: [], views: [], patientIds: [], studyIds: [], split: [], ages: [], sexes: [] };
}

/**
 * Freeze built columns into a {@link CxrDataset}; `report.kept` is set to the row count.
 * @param opts.allowSymlinks recorded as {@link CxrDataset.allowSymlinks} (default false)
 */
export function finishDataset(name: string, root: string, labelNames: readonly string[], c: DatasetColumns, report: LoadReport, opts: { readonly allowSymlinks?: boolean } = {}): CxrDataset {
  report.kept = c.ids.length;
  return {
    name,
    root,
    length: c.ids.length,
    ids: c.ids,
    paths: c.paths,
    labels: Float32Array.from(c.labels),
    labelNames,
    views: c.views,
    patientIds: c.patientIds,
    studyIds: c.studyIds,
    split: c.split,
    ages: Float32Array.from(c.ages),
    sexes: c.sexes,
    report,
    allowSymlinks: opts.allowSymlinks ?? false,
  };
}

/** View filter: `"*"` keeps every view; otherwise a list such as `["PA", "AP"]`. */
export type ViewFilter = "*" | readonly string[];

/** True when `view` passes `filter`. */
export function viewAllowed(view: string, filter: ViewFilter): boolean {
  return filter === "*" || filter.includes(view);
}

export { LoadReport };
