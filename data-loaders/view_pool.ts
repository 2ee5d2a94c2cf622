/**
 * A small `worker_threads` pool that computes MSN views off the main thread (decoding stays where it is:
 * sharp already runs on libuv's threads). Jobs write straight into SharedArrayBuffer-backed batch arrays,
 * so nothing is copied back; the decoded image (≈64 KB at 256²) is copied once to the worker.
 * Views depend only on (image, seed), so results do not depend on the number of workers or on timing.
 * Workers hold the process open only while they have jobs; {@link ViewPool.close} terminates them.
 */
import { Worker } from "node:worker_threads";
import type { GrayImage } from "./image_types.js";
import type { MsnViewArrays, MsnViewParams } from "./msn_views.js";
import type { ViewDone, ViewTask } from "./view_worker.js";

/**
 * Start a view worker: `view_worker.js` once compiled; from sources (run through tsx) the worker registers
 * tsx's loader first, since Node 20 workers do not inherit it for their entry module.
 */
function startWorker(params: MsnViewParams): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./view_worker.js", import.meta.url), { workerData: params });
  const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const entry = JSON.stringify(new URL("./view_worker.ts", import.meta.url).href);
  return new Worker(`import(${api}).then((m) => { m.register(); return import(${entry}); });`, { eval: true, workerData: params });
}

interface Slot {
  readonly worker: Worker;
  inFlight: number;
}

/**
 * Allocate the view-major arrays of a batch on SharedArrayBuffers (what {@link ViewPool.run} writes into).
 * @example const out = sharedViewArrays(params, 64);
 */
export function sharedViewArrays(p: MsnViewParams, batch: number): MsnViewArrays {
  const big = p.randSize * p.randSize * p.channels;
  const small = p.focalSize * p.focalSize * p.channels;
  const f32 = (n: number) => new Float32Array(new SharedArrayBuffer(n * 4));
  return { target: f32(batch * big), anchors: f32(p.randViews * batch * big), focal: f32(p.focalViews * batch * small) };
}

/**
 * A pool of `size` view workers for one set of view settings.
 * @example
 * const pool = new ViewPool(2, params);
 * try { await Promise.all(imgs.map((img, b) => pool.run(img, seeds[b], out, b, imgs.length))); } finally { await pool.close(); }
 */
export class ViewPool {
  /** Number of workers. */
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, { slot: Slot; resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  /** @param size workers (≥ 1) @param params view settings, sent once to every worker */
  constructor(size: number, params: MsnViewParams) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`ViewPool: size must be an integer >= 1, got ${size}`);
    this.size = size;
    for (let k = 0; k < size; k++) {
      const worker = startWorker(params);
      const slot: Slot = { worker, inFlight: 0 };
      worker.unref();
      worker.on("message", (m: ViewDone) => this.settle(m));
      worker.on("error", (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      worker.on("exit", (code) => {
        if (!this.closed) this.fail(new Error(`view worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /**
   * Compute the views of image `b` of a batch of `batch` images into `out` (from {@link sharedViewArrays}).
   * @param seed the image's seed, e.g. `deriveSeed(seed, epoch, index)`
   */
  run(img: GrayImage, seed: number, out: MsnViewArrays, b: number, batch: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error("ViewPool: closed"));
    if (this.failure) return Promise.reject(this.failure);
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.inFlight < slot.inFlight) slot = s;
    const id = this.nextId++;
    // Copy only the image's own bytes (its buffer may be a larger pool) and hand that copy over. A Node
    // Buffer's slice() is a view of that pool, so copy through the typed-array constructors.
    const data = img.data instanceof Uint16Array ? new Uint16Array(img.data) : new Uint8Array(img.data);
    const task: ViewTask = { id, img: { width: img.width, height: img.height, bitDepth: img.bitDepth, data }, seed, out, b, batch };
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { slot, resolve, reject });
      if (slot.inFlight++ === 0) slot.worker.ref(); // keep the process alive while a job is out
      slot.worker.postMessage(task, [data.buffer as ArrayBuffer]);
    });
  }

  /** Terminate the workers; jobs still running are rejected. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [, p] of this.pending) p.reject(new Error("ViewPool: closed"));
    this.pending.clear();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private settle(m: ViewDone): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (--p.slot.inFlight === 0) p.slot.worker.unref();
    if (m.error !== undefined) p.reject(new Error(`view worker: ${m.error}`));
    else p.resolve();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const [, p] of this.pending) p.reject(e);
    this.pending.clear();
    for (const s of this.slots) {
      s.inFlight = 0;
      s.worker.unref();
    }
  }
}
