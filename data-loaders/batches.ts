/**
 * Batches as `AsyncIterable`s with prefetch: images are decoded (sharp runs on libuv's threadpool) and
 * views computed on typed arrays ahead of the consumer, so decoding overlaps training; the next batch is
 * decoded while this one's views are built. `msnBatches({ workers: n })` builds the views on a
 * {@link ViewPool} of n worker threads, leaving the main thread to the training step (same batches).
 * Tensors are created only when a batch is handed out: **each yielded batch owns its tensors and the
 * consumer must dispose them** (`disposeBatch(b)` from `src/types/batch.ts`, or `tf.dispose(b)`). A bad
 * image never stops an epoch: it is counted in `report`; in training batches its slot is taken by the next
 * readable image (the batch plan never shifts, so resuming stays exact), in evaluation batches it is skipped.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { MsnBatch } from "../src/types/batch.js";
import { readDatasetImage, type CxrDataset } from "./dataset.js";
import type { DecodeOptions } from "./image.js";
import type { GrayImage } from "./image_types.js";
import { checkOptionKeys } from "../src/utils/validate.js";
import { LoadReport } from "./report.js";
import { deriveSeed, makeRng, Rng } from "../src/utils/rng.js";
import { writeMsnViews, type MsnViewArrays, type MsnViewParams } from "./msn_views.js";
import { sharedViewArrays, ViewPool } from "./view_pool.js";
import { evalTransform, IMAGENET_NORMALIZATION, trainAffineTransform, type Channels, type Normalization } from "./views.js";

export { writeMsnViews, type MsnViewArrays, type MsnViewParams } from "./msn_views.js";
export { sharedViewArrays, ViewPool } from "./view_pool.js";

/** Anything that can read image `i` of `length` images. */
export interface ImageSource {
  readonly length: number;
  /** Read image `i`; may reject with ImageDecodeError (the image is then skipped and counted). */
  read(i: number): Promise<GrayImage>;
  /** Name of image `i` for reports. */
  describe?(i: number): string;
}

/**
 * An {@link ImageSource} over a {@link CxrDataset}'s files.
 * @param decode e.g. `{ shortSide: 256 }` to shrink on load (much faster than a full decode)
 */
export function datasetSource(ds: CxrDataset, decode: DecodeOptions = {}): ImageSource {
  return { length: ds.length, read: (i) => readDatasetImage(ds, i, decode), describe: (i) => ds.paths[i] ?? String(i) };
}

/** MSN view settings; defaults are the paper's (lightly MSNTransform as configured in CXR-EHR-MSN). */
export interface MsnViewConfig {
  /** Side of target and random anchor views. Default 224. */
  readonly randSize?: number;
  /** Side of focal views. Default 96. */
  readonly focalSize?: number;
  /** Random anchor views per image (besides the target). Default 1. */
  readonly randViews?: number;
  /** Focal views per image. Default 10. */
  readonly focalViews?: number;
  /** RandomResizedCrop scale of target/anchor views. Default [0.3, 1]. */
  readonly randScale?: readonly [number, number];
  /** RandomResizedCrop scale of focal views. Default [0.05, 0.3]. */
  readonly focalScale?: readonly [number, number];
  /** Horizontal flip probability. Default 0.5. */
  readonly flipP?: number;
  /** 3 (paper) or 1 (grayscale option). Default 3. */
  readonly channels?: Channels;
  /** Default {@link IMAGENET_NORMALIZATION}. */
  readonly norm?: Normalization;
}

const VIEW_KEYS = ["randSize", "focalSize", "randViews", "focalViews", "randScale", "focalScale", "flipP", "channels", "norm"];

/** Options of {@link msnBatches}. Unknown keys throw. */
export interface MsnBatchOptions {
  /** Images per batch (B). */
  readonly batchSize: number;
  /** View settings. */
  readonly views?: MsnViewConfig;
  /** Seed of shuffling and augmentation. Default 24. */
  readonly seed?: number;
  /** Number of epochs to iterate. Default 1. */
  readonly epochs?: number;
  /** First epoch number (for resuming: epoch e always gives the same order and views). Default 0. */
  readonly startEpoch?: number;
  /** Shuffle each epoch. Default true. */
  readonly shuffle?: boolean;
  /** Drop the last incomplete batch of each epoch. Default true (as the paper's loaders). */
  readonly dropLast?: boolean;
  /** Batches prepared ahead of the consumer. Default 2. */
  readonly prefetch?: number;
  /** Images decoded concurrently. Default 4. */
  readonly concurrency?: number;
  /**
   * Worker threads computing the views (a {@link ViewPool}), freeing the main thread for training. 0 (the
   * default) computes them on the main thread. Batches are identical for every value.
   */
  readonly workers?: number;
  /** EHR features, row-major `length × ehrDim` (row i belongs to image i). */
  readonly ehr?: { readonly matrix: Float32Array; readonly dim: number };
}

const BATCH_KEYS = ["batchSize", "views", "seed", "epochs", "startEpoch", "shuffle", "dropLast", "prefetch", "concurrency", "workers", "ehr"];

interface Prepared {
  target: Float32Array;
  anchors: Float32Array;
  focal: Float32Array;
  ehr: Float32Array | null;
  n: number;
}

/** An async-iterable stream of batches with a live {@link LoadReport} of skipped images. */
export interface BatchStream<T> extends AsyncIterable<T> {
  /** Skipped images so far, by reason, with examples. */
  readonly report: LoadReport;
}

/** Decode one image, or record why it failed. */
async function tryRead(src: ImageSource, i: number, report: LoadReport): Promise<GrayImage | null> {
  try {
    return await src.read(i);
  } catch (e) {
    report.skip("unreadable image", { file: src.describe?.(i) ?? String(i), detail: e instanceof Error ? e.message : String(e) });
    return null;
  }
}

type Read = { img: GrayImage; index: number; epoch: number };

/**
 * Batches of a fixed plan (MSN training): batch k of an epoch is always the k-th window of `batchSize` images
 * of the epoch's order, whichever images turn out unreadable. An unreadable image is counted once per
 * stream and its slot is taken by the next readable image after the window (wrapping around the order), so
 * the number of batches per epoch and the images of every other batch never change: a run resumed at any
 * step sees the batches of an uninterrupted one. With `dropLast` false the last, shorter window is yielded too.
 * @throws Error when no image of an epoch is readable (the run would otherwise never yield a batch)
 */
async function* fixedPlanBatches(src: ImageSource, orders: Iterable<{ epoch: number; order: number[] }>, batchSize: number, dropLast: boolean, concurrency: number, report: LoadReport): AsyncGenerator<Read[]> {
  const bad = new Set<number>();
  const read = async (i: number): Promise<GrayImage | null> => {
    if (bad.has(i)) return null;
    report.read += 1;
    const img = await tryRead(src, i, report);
    if (img === null) bad.add(i);
    return img;
  };
  for (const { epoch, order } of orders) {
    const N = order.length;
    const windows = dropLast ? Math.floor(N / batchSize) : Math.ceil(N / batchSize);
    for (let w = 0; w < windows; w++) {
      const idx = order.slice(w * batchSize, (w + 1) * batchSize);
      const imgs: (GrayImage | null)[] = [];
      for (let k = 0; k < idx.length; k += concurrency) imgs.push(...(await Promise.all(idx.slice(k, k + concurrency).map(read))));
      const batch: Read[] = [];
      let next = (w + 1) * batchSize;
      for (let k = 0; k < idx.length; k++) {
        let img: GrayImage | null = imgs[k]!;
        let index = idx[k]!;
        for (let tries = 0; img === null; tries++) {
          if (tries >= N) throw new Error(`no readable image in ${N} images (epoch ${epoch}); ${report.toString()}`);
          index = order[next++ % N]!;
          img = await read(index);
        }
        batch.push({ img, index, epoch });
      }
      report.kept += batch.length;
      yield batch;
    }
  }
}

/** Walks `order`, decodes with bounded concurrency, skips failures and groups the good images by `batchSize` (evaluation). */
async function* skippingBatches(src: ImageSource, orders: Iterable<{ epoch: number; order: number[] }>, batchSize: number, dropLast: boolean, concurrency: number, report: LoadReport): AsyncGenerator<Read[]> {
  for (const { epoch, order } of orders) {
    let pos = 0;
    while (pos < order.length) {
      const good: Read[] = [];
      while (good.length < batchSize && pos < order.length) {
        const want = Math.min(concurrency, order.length - pos, batchSize - good.length);
        const idx = order.slice(pos, pos + want);
        pos += want;
        report.read += idx.length;
        const imgs = await Promise.all(idx.map((i) => tryRead(src, i, report)));
        imgs.forEach((img, k) => {
          if (img !== null) good.push({ img, index: idx[k]!, epoch });
        });
      }
      if (good.length === 0 || (dropLast && good.length < batchSize)) continue;
      report.kept += good.length;
      yield good;
    }
  }
}

/**
 * Generic prefetching producer over `plan` (fixed for training, skipping for evaluation), handing each
 * group of images to `build` (typed arrays only; no tensors).
 */
async function* preparedBatches<P>(plan: AsyncGenerator<Read[]>, prefetch: number, build: (imgs: Read[]) => P | Promise<P>): AsyncGenerator<P> {
  const queue: Promise<P | null>[] = [];
  const producer = plan;
  // Prefetch: keep up to `prefetch` batches being prepared ahead. Reading is chained (the producer is
  // sequential) but building is not: the next batch decodes while this one's views are computed.
  let done = false;
  type Raw = Read[] | null;
  let tail: Promise<Raw> = Promise.resolve(null);
  const enqueue = () => {
    const raw = tail.then(async (): Promise<Raw> => {
      if (done) return null;
      const r = await producer.next();
      return r.done ? null : r.value;
    });
    tail = raw;
    const built = raw.then(async (imgs) => {
      if (imgs === null) return null;
      // Yield to the event loop so the consumer can run between preparations.
      await new Promise((res) => setImmediate(res));
      return build(imgs);
    });
    // Marked handled: a failure surfaces when its turn is awaited, never as an unhandled rejection (nor
    // after the consumer stopped early and the rest of the queue is dropped).
    built.catch(() => undefined);
    queue.push(built);
  };
  for (let k = 0; k < Math.max(1, prefetch); k++) enqueue();
  try {
    while (queue.length > 0) {
      const p = await queue.shift()!;
      if (p === null) {
        done = true;
        break;
      }
      enqueue();
      yield p;
    }
  } finally {
    done = true;
    await producer.return(undefined);
  }
}

function epochOrders(length: number, seed: number, startEpoch: number, epochs: number, shuffle: boolean): Iterable<{ epoch: number; order: number[] }> {
  return {
    *[Symbol.iterator]() {
      for (let e = startEpoch; e < startEpoch + epochs; e++) {
        const order = Array.from({ length }, (_, i) => i);
        if (shuffle) new Rng(deriveSeed(seed, e)).shuffle(order);
        yield { epoch: e, order };
      }
    },
  };
}

/**
 * MSN training batches: per image 1 target + `randViews` random anchors at `randSize` and `focalViews` focal
 * views at `focalSize`, stacked view-major as the {@link MsnBatch} contract says. Views of image i in epoch e
 * depend only on (seed, e, i), not on timing or concurrency.
 * @returns a stream; **every yielded batch owns its tensors: the consumer disposes them** (`disposeBatch`)
 * @example
 * for await (const b of msnBatches(datasetSource(ds, { shortSide: 256 }), { batchSize: 64 })) { step(b); disposeBatch(b); }
 */
export function msnBatches(src: ImageSource, opts: MsnBatchOptions): BatchStream<MsnBatch> {
  checkOptionKeys(opts, BATCH_KEYS, "msnBatches");
  const v = opts.views ?? {};
  checkOptionKeys(v, VIEW_KEYS, "msnBatches views");
  const S = v.randSize ?? 224;
  const s = v.focalSize ?? 96;
  const R = v.randViews ?? 1;
  const V = v.focalViews ?? 10;
  const C = v.channels ?? 3;
  const norm = v.norm ?? IMAGENET_NORMALIZATION;
  const randScale = v.randScale ?? [0.3, 1];
  const focalScale = v.focalScale ?? [0.05, 0.3];
  const flipP = v.flipP ?? 0.5;
  if (!(opts.batchSize >= 1)) throw new Error(`msnBatches: batchSize must be >= 1, got ${opts.batchSize}`);
  if (C !== 1 && C !== 3) throw new Error(`msnBatches: channels must be 1 or 3, got ${String(C)}`);
  if (opts.ehr && opts.ehr.matrix.length !== src.length * opts.ehr.dim) {
    throw new Error(`msnBatches: ehr.matrix has ${opts.ehr.matrix.length} values, expected length ${src.length} × dim ${opts.ehr.dim}`);
  }
  const workers = opts.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`msnBatches: workers must be an integer >= 0, got ${workers}`);
  const report = new LoadReport("msnBatches");
  const seed = opts.seed ?? 24;
  const params: MsnViewParams = { randSize: S, focalSize: s, randViews: R, focalViews: V, randScale, focalScale, flipP, channels: C, norm };
  const ehrRows = (imgs: { index: number }[]): Float32Array | null => {
    if (!opts.ehr) return null;
    const { matrix, dim } = opts.ehr;
    const ehr = new Float32Array(imgs.length * dim);
    imgs.forEach(({ index }, b) => ehr.set(matrix.subarray(index * dim, (index + 1) * dim), b * dim));
    return ehr;
  };
  const buildWith = (pool: ViewPool | null) => (imgs: { img: GrayImage; index: number; epoch: number }[]): Prepared | Promise<Prepared> => {
    const B = imgs.length;
    if (pool === null) {
      const out: MsnViewArrays = { target: new Float32Array(B * S * S * C), anchors: new Float32Array(R * B * S * S * C), focal: new Float32Array(V * B * s * s * C) };
      imgs.forEach(({ img, index, epoch }, b) => writeMsnViews(img, deriveSeed(seed, epoch, index), params, out, b, B));
      return { ...out, ehr: ehrRows(imgs), n: B };
    }
    const out = sharedViewArrays(params, B);
    return Promise.all(imgs.map(({ img, index, epoch }, b) => pool.run(img, deriveSeed(seed, epoch, index), out, b, B))).then(() => ({ ...out, ehr: ehrRows(imgs), n: B }));
  };
  const orders = epochOrders(src.length, seed, opts.startEpoch ?? 0, opts.epochs ?? 1, opts.shuffle ?? true);
  return {
    report,
    async *[Symbol.asyncIterator]() {
      const pool = workers > 0 ? new ViewPool(workers, params) : null;
      try {
        const plan = fixedPlanBatches(src, orders, opts.batchSize, opts.dropLast ?? true, opts.concurrency ?? 4, report);
        const gen = preparedBatches(plan, opts.prefetch ?? 2, buildWith(pool));
        for await (const p of gen) {
          const B = p.n;
          const batch: MsnBatch = {
            target: tf.tensor4d(p.target, [B, S, S, C]),
            anchors: tf.tensor4d(p.anchors, [R * B, S, S, C]),
            focal: tf.tensor4d(p.focal, [V * B, s, s, C]),
            ...(p.ehr && opts.ehr ? { ehr: tf.tensor2d(p.ehr, [B, opts.ehr.dim]) } : {}),
          };
          yield batch;
        }
      } finally {
        await pool?.close();
      }
    },
  };
}

/** An evaluation batch: images, labels (NaN = ignore) and the dataset rows they came from. Owns its tensors. */
export interface EvalBatch {
  /** [B, crop, crop, C] normalised images. */
  readonly images: tf.Tensor4D;
  /** [B, L] labels, NaN = ignore. */
  readonly labels: tf.Tensor2D;
  /** Dataset row of each image. */
  readonly indices: readonly number[];
}

/** Options of {@link evalBatches}. Unknown keys throw. */
export interface EvalBatchOptions {
  readonly batchSize: number;
  /**
   * Output side (crop) in pixels. Default 224, the paper's. Other sizes scale the whole transform: resize to
   * ⌊size·256/224⌉, crop `size` (a model trained at 64 px sees the same field of view as one at 224 px).
   */
  readonly size?: number;
  /** `eval` (Resize 256 → CenterCrop 224, default) or `train` (the paper's flip + RandomAffine). */
  readonly transform?: "eval" | "train";
  /** Default 3. */
  readonly channels?: Channels;
  /** Seed of the train transform and shuffling. Default 24. */
  readonly seed?: number;
  /** Shuffle rows. Default false. */
  readonly shuffle?: boolean;
  /** Default false. */
  readonly dropLast?: boolean;
  /** Default 2. */
  readonly prefetch?: number;
  /** Default 4. */
  readonly concurrency?: number;
  /** Decode options, e.g. `{ shortSide: 256 }` (the transform resizes to 256 anyway). */
  readonly decode?: DecodeOptions;
}

const EVAL_KEYS = ["batchSize", "size", "transform", "channels", "seed", "shuffle", "dropLast", "prefetch", "concurrency", "decode"];

/** {@link evalBatches} before the tensors: row-major typed arrays the consumer can upload as it needs. */
export interface EvalArrays {
  /** [B, size, size, C] normalised images, row-major. */
  readonly images: Float32Array;
  /** [B, L] labels, NaN = ignore. */
  readonly labels: Float32Array;
  /** Dataset row of each image. */
  readonly indices: readonly number[];
  /** [B, size, size, C]. */
  readonly shape: readonly [number, number, number, number];
}

/**
 * The batches of {@link evalBatches} as typed arrays (no tensors: nothing to dispose, and no label tensor
 * to read back for a consumer that wants plain labels).
 */
export function evalArrays(ds: CxrDataset, opts: EvalBatchOptions): BatchStream<EvalArrays> {
  checkOptionKeys(opts, EVAL_KEYS, "evalBatches");
  const C = opts.channels ?? 3;
  const seed = opts.seed ?? 24;
  const L = ds.labelNames.length;
  const report = new LoadReport(`evalBatches (${ds.name})`);
  const src = datasetSource(ds, opts.decode ?? {});
  const crop = opts.size ?? 224;
  const size = { resize: Math.round((crop * 256) / 224), crop, channels: C };
  const build = (imgs: { img: GrayImage; index: number; epoch: number }[]): EvalArrays => {
    const B = imgs.length;
    const px = crop * crop * C;
    const images = new Float32Array(B * px);
    const labels = new Float32Array(B * L);
    imgs.forEach(({ img, index }, b) => {
      const x = opts.transform === "train" ? trainAffineTransform(img, makeRng(deriveSeed(seed, index)), size) : evalTransform(img, size);
      images.set(x, b * px);
      labels.set(ds.labels.subarray(index * L, (index + 1) * L), b * L);
    });
    return { images, labels, indices: imgs.map((g) => g.index), shape: [B, crop, crop, C] };
  };
  const orders = epochOrders(ds.length, seed, 0, 1, opts.shuffle ?? false);
  return {
    report,
    [Symbol.asyncIterator]: () => preparedBatches(skippingBatches(src, orders, opts.batchSize, opts.dropLast ?? false, opts.concurrency ?? 4, report), opts.prefetch ?? 2, build),
  };
}

/**
 * Linear-evaluation batches over a dataset with the paper's transforms and labels.
 * @returns a stream; **the consumer disposes each batch's `images` and `labels`** (`tf.dispose(b)`)
 * @example for await (const b of evalBatches(test, { batchSize: 64 })) { ...; tf.dispose([b.images, b.labels]); }
 */
export function evalBatches(ds: CxrDataset, opts: EvalBatchOptions): BatchStream<EvalBatch> {
  const arrays = evalArrays(ds, opts);
  const L = ds.labelNames.length;
  return {
    report: arrays.report,
    async *[Symbol.asyncIterator]() {
      for await (const p of arrays) yield { images: tf.tensor4d(p.images, [...p.shape]), labels: tf.tensor2d(p.labels, [p.shape[0], L]), indices: p.indices };
    },
  };
}
