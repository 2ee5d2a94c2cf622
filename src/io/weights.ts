/**
 * Weights in the TensorFlow.js format: a JSON file with a `weightsManifest` (names, shapes, dtypes, shard
 * paths) next to little-endian float32 binary shards, so `tf.io` tooling and browsers can read them.
 * Reading checks the manifest and the digests of manifest_checks.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type WeightDigests, checkManifest, sha256Hex, shardPath, specSha256 } from "./manifest_checks.js";

/** One tensor of a manifest. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: "float32";
}

/** One group of a manifest: its shard files (concatenated, in order) and the tensors they hold. */
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
 * Read every weight of a manifest from `dir`. The manifest is checked first ({@link checkManifest}: shard
 * paths confined to `dir`, well-formed specs), so no file outside `dir` is ever opened; then the recorded
 * digests, when given, are verified (specs before any read, each shard's bytes after its size).
 * @param source the manifest file, for messages (default `dir`).
 * @throws Error naming the file when the manifest is malformed, a path leaves `dir`, a shard is missing,
 *   its size does not match the manifest, or a digest does not match ("checksum mismatch … restore it or retrain").
 */
export function decodeWeights(dir: string, manifest: readonly WeightsManifestGroup[], o: { source?: string; digests?: WeightDigests } = {}): Map<string, Float32Array> {
  const source = o.source ?? dir;
  const groups = checkManifest(dir, manifest, source);
  const d = o.digests ?? {};
  if (d.specSha256 !== undefined && d.specSha256 !== specSha256(groups)) {
    throw new Error(`${source}: checksum mismatch of the weight names and shapes (specSha256); the manifest was edited or is corrupt; restore it or retrain`);
  }
  const out = new Map<string, Float32Array>();
  for (const g of groups) {
    const files = g.paths.map((p) => shardPath(dir, p, source));
    const bufs = files.map((f) => {
      try {
        return readFileSync(f);
      } catch (e) {
        throw new Error(`cannot read ${f} (listed in ${source}): ${(e as Error).message}; the checkpoint is incomplete; restore it or retrain`);
      }
    });
    const all = Buffer.concat(bufs as unknown as Uint8Array[]);
    const need = g.weights.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    if (all.length !== need) {
      throw new Error(`${join(dir, g.paths.join("+"))}: ${all.length} bytes but the manifest describes ${need}; the checkpoint is truncated or corrupt`);
    }
    if (d.weightsSha256 !== undefined) {
      g.paths.forEach((p, i) => {
        const want = d.weightsSha256![p];
        const got = sha256Hex(bufs[i]! as unknown as Uint8Array);
        if (want === undefined) throw new Error(`${source}: no checksum recorded for ${p} (weightsSha256); the file is corrupt; restore it or retrain`);
        if (got !== want) throw new Error(`${files[i]}: checksum mismatch (sha256 ${got.slice(0, 12)}…, ${source} records ${String(want).slice(0, 12)}…); the file is corrupt; restore it or retrain`);
      });
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

/** Read a text file, with an error naming it on failure. */
export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Parse `text`, the content of `path`, with an error naming the file on failure. */
export function parseJson<T>(text: string, path: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message}); the file is corrupt`);
  }
}

/** Read a JSON file, with an error naming it on failure. */
export const readJson = <T>(path: string): T => parseJson<T>(readText(path), path);
