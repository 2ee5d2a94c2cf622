/**
 * One body for a sync/async pair. An operation that reads the device is written once as a generator: it
 * yields the tensors to read and resumes with their values (or with the read's error thrown at the
 * `yield`, so its catch/finally clean up). `readSync` reads with `dataSync()` (CPU, wasm, native);
 * `readAsync` awaits `data()` (every backend, webgpu included).
 */
import type * as tf from "@tensorflow/tfjs-core";

/** An operation paused at its device reads; `T` is its result. */
export type DeviceRead<T> = Generator<readonly tf.Tensor[], T, ArrayLike<number>[]>;

/** Run `op`, reading the device synchronously. */
export function readSync<T>(op: DeviceRead<T>): T {
  let r = op.next();
  while (!r.done) {
    let values: ArrayLike<number>[];
    try {
      values = r.value.map((t) => t.dataSync());
    } catch (e) {
      r = op.throw(e);
      continue;
    }
    r = op.next(values);
  }
  return r.value;
}

/** Run `op`, awaiting each device read. */
export async function readAsync<T>(op: DeviceRead<T>): Promise<T> {
  let r = op.next();
  while (!r.done) {
    let values: ArrayLike<number>[];
    try {
      values = await Promise.all(r.value.map((t) => t.data()));
    } catch (e) {
      r = op.throw(e);
      continue;
    }
    r = op.next(values);
  }
  return r.value;
}
