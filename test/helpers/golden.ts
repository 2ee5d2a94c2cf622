/** Reading golden files (JSON index + float32 binary) and comparing arrays with a tolerance. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export interface GoldenIndex {
  readonly tensors: { name: string; shape: number[]; offset: number }[];
  readonly [k: string]: unknown;
}

/** Load `<prefix>.json` and `<prefix>.bin`; returns the metadata and a name → Float32Array map. */
export function readGolden<M extends GoldenIndex>(prefix: string): { meta: M; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  const meta = JSON.parse(readFileSync(prefix + ".json", "utf8")) as M;
  const buf = readFileSync(prefix + ".bin");
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of meta.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    tensors.set(t.name, { shape: t.shape, data: all.subarray(t.offset, t.offset + n) });
  }
  return { meta, tensors };
}

/** Largest |a−b| / max(1, |b|) (absolute for small values, relative for large ones). */
export function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "length mismatch");
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** Assert arrays agree within `tol` (scaled as in `maxScaledDiff`). */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  const d = maxScaledDiff(actual, expected);
  assert.ok(d <= tol, `${what}: max scaled difference ${d.toExponential(3)} > ${tol}`);
}
