/**
 * Feature extraction from the frozen target encoder (docs/protocol.md#linear-evaluation: CLS after the final LayerNorm of the EMA
 * encoder), batched, with progress, cached on disk.
 *
 * Cache layout, keyed by a caller-chosen `cacheKey` (which must encode everything the features depend on:
 * checkpoint, dataset, split, transforms):
 *   <cacheDir>/<cacheKey>.f32   float32, little-endian: features [n, dim] then labels [n, numLabels]
 *   <cacheDir>/<cacheKey>.json  header {format, version, cacheKey, n, dim, numLabels, bytes, createdAt}
 * The binary file is written first (to a temporary name, then renamed) and the header last, so a header
 * always describes a complete binary file.
 */
import { makeDirs } from "../utils/make_dirs.js";
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkOptionKeys } from "../utils/validate.js";
import { ProgressReporter, type ProgressSink } from "../utils/progress.js";
import type { Encoder, FeatureSet, LabeledBatch } from "./types.js";
import { writeFileAtomic } from "../utils/atomic.js";

const FORMAT = "mmsn-features";
const VERSION = 1;

/** JSON header of a cached feature file. */
export interface FeatureCacheHeader {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly cacheKey: string;
  readonly n: number;
  readonly dim: number;
  readonly numLabels: number;
  readonly dtype: "float32";
  readonly byteOrder: "little";
  readonly layout: string;
  readonly bytes: number;
  readonly createdAt: string;
}

/** Options of {@link extractFeatures}. */
export interface ExtractOptions {
  /** Directory of the cache; caching is on when both `cacheDir` and `cacheKey` are given. */
  readonly cacheDir?: string;
  /** File stem of the cache entry: letters, digits, `.`, `_`, `-` (e.g. "msn-tiny-ep100.mimic.test"). */
  readonly cacheKey?: string;
  /** Expected number of images (for percent and ETA). */
  readonly total?: number;
  /** false = silent; a sink to redirect; default process.stdout (line-based when it is not a TTY). */
  readonly progress?: boolean | ProgressSink;
  /** Label printed in progress lines; default the cache key or "features". */
  readonly label?: string;
}
const EXTRACT_KEYS = ["cacheDir", "cacheKey", "total", "progress", "label"] as const;

/** Result of {@link extractFeatures}: plain arrays, no tensors. */
export interface ExtractedFeatures extends FeatureSet {
  readonly numLabels: number;
  /** true when read from the cache (the batches were then not consumed). */
  readonly fromCache: boolean;
}

function cachePaths(dir: string, key: string): { bin: string; header: string } {
  if (!/^[A-Za-z0-9._-]+$/.test(key) || key.startsWith(".")) {
    throw new Error(`extractFeatures: cacheKey "${key}" must match [A-Za-z0-9._-]+ and not start with "."`);
  }
  return { bin: join(dir, `${key}.f32`), header: join(dir, `${key}.json`) };
}

/**
 * Read a cached feature set, or `undefined` when there is no complete entry for `cacheKey`.
 * @throws when the header and the binary file disagree (a corrupt cache is never used silently).
 */
export function readFeatureCache(cacheDir: string, cacheKey: string): ExtractedFeatures | undefined {
  const p = cachePaths(cacheDir, cacheKey);
  if (!existsSync(p.header) || !existsSync(p.bin)) return undefined;
  const h = JSON.parse(readFileSync(p.header, "utf8")) as FeatureCacheHeader;
  if (h.format !== FORMAT || h.version !== VERSION || h.cacheKey !== cacheKey) {
    throw new Error(`feature cache ${p.header}: unexpected header (format ${h.format} v${h.version}, key ${h.cacheKey})`);
  }
  const size = statSync(p.bin).size;
  const expected = 4 * h.n * (h.dim + h.numLabels);
  if (size !== expected || h.bytes !== expected) {
    throw new Error(`feature cache ${p.bin}: ${size} bytes, header expects ${expected}; delete both files to rebuild`);
  }
  const buf = readFileSync(p.bin);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const nf = h.n * h.dim;
  return {
    features: all.subarray(0, nf), // `all` is already a private copy of the file
    labels: all.subarray(nf),
    n: h.n,
    dim: h.dim,
    numLabels: h.numLabels,
    fromCache: true,
  };
}

/** Write a feature set to the cache (binary first, header last). */
export function writeFeatureCache(cacheDir: string, cacheKey: string, fs: FeatureSet & { numLabels: number }): void {
  const p = cachePaths(cacheDir, cacheKey);
  makeDirs(cacheDir);
  const bytes = 4 * (fs.features.length + fs.labels.length);
  const view = new Float32Array(bytes / 4); // little-endian on every platform Node supports here (x64, arm64)
  view.set(fs.features, 0);
  view.set(fs.labels, fs.features.length);
  writeFileAtomic(p.bin, new Uint8Array(view.buffer));
  const header: FeatureCacheHeader = {
    format: FORMAT,
    version: VERSION,
    cacheKey,
    n: fs.n,
    dim: fs.dim,
    numLabels: fs.numLabels,
    dtype: "float32",
    byteOrder: "little",
    layout: "features [n, dim] row-major, then labels [n, numLabels] row-major",
    bytes,
    createdAt: new Date().toISOString(),
  };
  writeFileAtomic(p.header, JSON.stringify(header, null, 1) + "\n");
}

/**
 * Run a frozen encoder over labelled batches and collect features and labels.
 * Ownership: each batch's `images` is disposed here after use; the encoder output is disposed here. The
 * returned arrays are plain memory (no tensors), so `tf.memory().numTensors` is unchanged by this call.
 * With a cache hit the batches are not iterated at all.
 * @param encoder the frozen target encoder ([B,H,W,C] → [B,D]).
 * @param batches labelled image batches (labels row-major [B, L]).
 * @param opts cache directory/key, expected total for the ETA, progress output.
 * @example
 * const f = await extractFeatures(enc, loader.batches("test"), { cacheDir: ".cache/features", cacheKey: "tiny.mimic.test" });
 */
export async function extractFeatures(
  encoder: Encoder,
  batches: AsyncIterable<LabeledBatch> | Iterable<LabeledBatch>,
  opts: ExtractOptions = {},
): Promise<ExtractedFeatures> {
  checkOptionKeys(opts, EXTRACT_KEYS, "extractFeatures");
  if ((opts.cacheDir === undefined) !== (opts.cacheKey === undefined)) {
    throw new Error("extractFeatures: give both cacheDir and cacheKey to cache, or neither");
  }
  const cache = opts.cacheDir !== undefined && opts.cacheKey !== undefined;
  if (cache) {
    const hit = readFeatureCache(opts.cacheDir!, opts.cacheKey!);
    if (hit) return hit;
  }
  const sink: ProgressSink | undefined =
    opts.progress === false ? undefined : opts.progress === true || opts.progress === undefined ? process.stdout : opts.progress;
  const progress = sink
    ? new ProgressReporter({ label: opts.label ?? opts.cacheKey ?? "features", total: opts.total, unit: "img", sink })
    : undefined;

  const featChunks: Float32Array[] = [];
  const labelChunks: Float32Array[] = [];
  let n = 0;
  let dim = -1;
  let numLabels = -1;
  for await (const batch of batches) {
    const B = batch.images.shape[0];
    try {
      if (B === 0) continue; // the finally block still disposes the empty tensor
      const L = batch.labels.length / B;
      if (!Number.isInteger(L) || L < 1) {
        throw new Error(`extractFeatures: batch of ${B} images has ${batch.labels.length} label values (not B×L)`);
      }
      if (numLabels !== -1 && L !== numLabels) throw new Error(`extractFeatures: batch has ${L} labels, earlier ${numLabels}`);
      numLabels = L;
      const f = tf.tidy(() => encoder(batch.images)); // [B, D]; intermediates freed, result owned here
      try {
        if (f.rank !== 2 || f.shape[0] !== B) {
          throw new Error(`extractFeatures: encoder returned shape [${f.shape}] for ${B} images; expected [${B}, D]`);
        }
        if (dim !== -1 && f.shape[1] !== dim) throw new Error(`extractFeatures: feature dim ${f.shape[1]}, earlier ${dim}`);
        dim = f.shape[1];
        featChunks.push((await f.data()) as Float32Array);
      } finally {
        f.dispose();
      }
      labelChunks.push(Float32Array.from(batch.labels));
      n += B;
      progress?.update(B);
    } finally {
      batch.images.dispose();
    }
  }
  progress?.done();
  if (n === 0 || dim === -1) throw new Error("extractFeatures: no images in the batches");
  const features = concat(featChunks, n * dim);
  const labels = concat(labelChunks, n * numLabels);
  const result = { features, labels, n, dim, numLabels, fromCache: false };
  if (cache) writeFeatureCache(opts.cacheDir!, opts.cacheKey!, result);
  return result;
}

function concat(chunks: readonly Float32Array[], total: number): Float32Array {
  const out = new Float32Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
