/**
 * Weights in the TensorFlow.js format: a JSON file with a `weightsManifest` (names, shapes, dtypes, shard
 * paths) next to little-endian float32 binary shards, so `tf.io` tooling and browsers can read them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: "float32";
}

export interface WeightsManifestGroup {
  readonly paths: string[];
  readonly weights: WeightSpec[];
}

/** Encode named arrays into one binary shard and its manifest entry. */
export function encodeWeights(
  tensors: Iterable<[string, Float32Array, number[]]>,
  shardName: string,
): { group: WeightsManifestGroup; data: Uint8Array } {
  const weights: WeightSpec[] = [];
  const chunks: Float32Array[] = [];
  let total = 0;
  for (const [name, values, shape] of tensors) {
    weights.push({ name, shape, dtype: "float32" });
    chunks.push(values);
    total += values.length;
  }
  const out = new Float32Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return { group: { paths: [shardName], weights }, data: new Uint8Array(out.buffer) };
}

/**
 * Read every weight of a manifest from `dir`.
 * @throws Error naming the file when a shard is missing or its size does not match the manifest.
 */
export function decodeWeights(dir: string, manifest: readonly WeightsManifestGroup[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const g of manifest) {
    const bufs = g.paths.map((p) => readFileSync(join(dir, p)));
    const all = Buffer.concat(bufs as unknown as Uint8Array[]);
    const need = g.weights.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    if (all.length !== need) {
      throw new Error(`${join(dir, g.paths.join("+"))}: ${all.length} bytes but the manifest describes ${need}; the checkpoint is truncated or corrupt`);
    }
    const f = new Float32Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.length));
    let off = 0;
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      out.set(w.name, f.slice(off, off + n));
      off += n;
    }
  }
  return out;
}

/** Read a JSON file, with an error naming it on failure. */
export function readJson<T>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message}); the file is corrupt`);
  }
}
