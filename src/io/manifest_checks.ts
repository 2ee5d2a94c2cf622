/**
 * What a tfjs weights manifest may say, checked before any file is opened, and the digests that make
 * weights verifiable.
 *
 * Checks: every shard path is a plain file name inside the manifest's folder (not empty, not absolute, no
 * `..`, no `/` or `\`, no NUL), so a manifest can never make a reader open `../../etc/passwd`; every spec
 * has a unique string name, a shape of non-negative integers and dtype "float32".
 *
 * Digests (hex sha256), recorded in a checkpoint's model.json next to `weightsManifest`:
 *   weightsSha256  { [shard path]: sha256 of the shard file's bytes }   (a flipped byte)
 *   specSha256     sha256 of the UTF-8 JSON of [[name, shape], …] over every spec, groups in order
 *                  (swapped or edited names/shapes, which the bytes alone cannot reveal)
 */
import { createHash } from "node:crypto";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { WeightSpec, WeightsManifestGroup } from "./weights.js";

/** The digests a reader verifies (both optional: manifests written before them carry none). */
export interface WeightDigests {
  /** sha256 (hex) of each shard's bytes, by its manifest path. */
  readonly weightsSha256?: Readonly<Record<string, string>>;
  /** sha256 (hex) of the specs, see {@link specSha256}. */
  readonly specSha256?: string;
}

/** sha256 of `data`, hex. */
export const sha256Hex = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** sha256 (hex) of the UTF-8 JSON of `[[name, shape], …]` over every spec of `groups`, in order. */
export function specSha256(groups: readonly WeightsManifestGroup[]): string {
  const specs = groups.flatMap((g) => g.weights.map((w) => [w.name, w.shape]));
  return createHash("sha256").update(JSON.stringify(specs), "utf8").digest("hex");
}

/**
 * `dir/p` when `p` is a plain file name inside `dir`.
 * @param source the manifest file, for the message.
 * @throws Error naming `source` when `p` is empty, absolute, contains `..`, a separator or NUL, or resolves outside `dir`.
 */
export function shardPath(dir: string, p: unknown, source: string): string {
  const bad = (why: string) => new Error(`${source}: weight file path ${JSON.stringify(p)} ${why}; a manifest may only name files in its own folder (the file is corrupt or was edited)`);
  if (typeof p !== "string" || p.length === 0) throw bad("is not a file name");
  if (isAbsolute(p) || /^[a-zA-Z]:/.test(p)) throw bad("is absolute");
  if (p.includes("..")) throw bad('contains ".."');
  if (/[/\\\0]/.test(p)) throw bad("contains a path separator");
  if (p === ".") throw bad("names the folder itself");
  const full = resolve(dir, p);
  const rel = relative(resolve(dir), full);
  if (rel !== p || isAbsolute(rel)) throw bad(`resolves outside ${dir}`);
  return join(dir, p);
}

/**
 * Check the shape of a `weightsManifest` read from JSON: groups with `paths` (confined by {@link shardPath})
 * and `weights` specs (unique names, non-negative integer shapes, float32).
 * @throws Error naming `source` and the entry at fault.
 */
export function checkManifest(dir: string, manifest: unknown, source: string): WeightsManifestGroup[] {
  if (!Array.isArray(manifest) || manifest.length === 0) throw new Error(`${source}: weightsManifest must be a non-empty array of {paths, weights}, got ${JSON.stringify(manifest)?.slice(0, 80)}; the file is corrupt`);
  const names = new Set<string>();
  manifest.forEach((g: Partial<WeightsManifestGroup> | null, i) => {
    const where = `${source}: weightsManifest[${i}]`;
    if (typeof g !== "object" || g === null || !Array.isArray(g.paths) || g.paths.length === 0 || !Array.isArray(g.weights)) {
      throw new Error(`${where} must be {paths: [file, …], weights: [spec, …]}; the file is corrupt`);
    }
    for (const p of g.paths) shardPath(dir, p, source);
    g.weights.forEach((w: Partial<WeightSpec> | null, j) => {
      const okShape = (s: unknown): boolean => Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 0);
      if (w === null || typeof w !== "object" || typeof w.name !== "string" || !okShape(w.shape) || w.dtype !== "float32") {
        throw new Error(`${where}.weights[${j}] must be {name, shape: [non-negative integers], dtype: "float32"}, got ${JSON.stringify(w)?.slice(0, 120)}; the file is corrupt`);
      }
      if (names.has(w.name)) throw new Error(`${where}.weights[${j}]: weight "${w.name}" appears twice; the file is corrupt`);
      names.add(w.name);
    });
  });
  return manifest as WeightsManifestGroup[];
}
