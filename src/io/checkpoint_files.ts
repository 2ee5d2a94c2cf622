/**
 * Housekeeping of a checkpoint folder, run before every write and when a run starts:
 *  - recovery: the @2 writer swapped whole folders (`checkpoint` → `.checkpoint.old-PID`, then
 *    `.checkpoint.tmp-PID` → `checkpoint`); a kill between the two renames left no `checkpoint/`. The
 *    newest complete leftover is moved back, with a note;
 *  - clean-up: leftover `.checkpoint.{tmp,old}-PID` folders of dead processes, temp files of dead
 *    processes, and weight shards that model.json no longer references.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { removeStaleTemps } from "../utils/atomic.js";
import { isPidAlive } from "../utils/run_lock.js";

/** Shard files a checkpoint writer owns: `weights.bin` (@1/@2) and `weights-STEP-HASH.bin` (@3). */
export const SHARD_PATTERN = /^weights(-\d+-[0-9a-f]+)?\.bin$/;

/** The @3 shard name of the weights of step `step` whose bytes hash to `sha256`. */
export const shardFileName = (step: number, sha256: string): string => `weights-${step}-${sha256.slice(0, 12)}.bin`;

/** The shard paths model.json in `dir` references, or undefined when it is missing or unreadable. */
export function referencedShards(dir: string): Set<string> | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as { weightsManifest?: { paths?: unknown }[] };
    const paths = (m.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? g.paths : []));
    return new Set(paths.filter((p): p is string => typeof p === "string"));
  } catch {
    return undefined;
  }
}

/**
 * Delete shard files of `dir` that model.json does not reference (nothing when model.json is unreadable:
 * then no shard is known to be garbage). `keep` names shards to spare anyway.
 * @returns the paths removed.
 */
export function removeUnreferencedShards(dir: string, keep: readonly string[] = []): string[] {
  const used = referencedShards(dir);
  if (!used) return [];
  const removed: string[] = [];
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!SHARD_PATTERN.test(name) || used.has(name) || keep.includes(name)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

/** `.NAME.tmp-PID` / `.NAME.old-PID` folders beside `dir` left by processes that are gone. */
function legacyLeftovers(dir: string): { path: string; step: number | undefined; kind: "tmp" | "old" }[] {
  const parent = dirname(dir);
  const base = basename(dir);
  if (!existsSync(parent)) return [];
  const out: { path: string; step: number | undefined; kind: "tmp" | "old" }[] = [];
  for (const name of readdirSync(parent)) {
    const m = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(tmp|old)-(\\d+)$`).exec(name);
    if (!m || (Number(m[2]) !== process.pid && isPidAlive(Number(m[2])))) continue;
    const path = join(parent, name);
    if (!statSync(path).isDirectory()) continue;
    let step: number | undefined;
    try {
      const s = (JSON.parse(readFileSync(join(path, "model.json"), "utf8")) as { state?: { step?: unknown } }).state?.step;
      step = typeof s === "number" && Number.isInteger(s) && s >= 0 ? s : undefined;
    } catch {
      step = undefined; // no complete model.json: a save killed while filling the folder
    }
    out.push({ path, step, kind: m[1] as "tmp" | "old" });
  }
  return out;
}

/**
 * When `dir` has no model.json (missing, or an empty folder) but an interrupted @2 save left a complete
 * copy beside it, move the newest such copy back (printing a note); then delete the other leftovers.
 * @returns the step recovered, or undefined.
 */
export function recoverLegacyCheckpoint(dir: string): number | undefined {
  const left = legacyLeftovers(dir);
  if (left.length === 0) return undefined;
  let recovered: number | undefined;
  const emptyOrMissing = !existsSync(dir) || (statSync(dir).isDirectory() && readdirSync(dir).length === 0);
  if (emptyOrMissing) {
    // The tmp copy was complete once its model.json existed (written last), and it is the newer save.
    const best = left.filter((l) => l.step !== undefined).sort((a, b) => b.step! - a.step! || (a.kind === "tmp" ? -1 : 1))[0];
    if (best) {
      if (existsSync(dir)) rmdirSync(dir);
      renameSync(best.path, dir);
      recovered = best.step;
      console.error(`[mmsn] recovered the checkpoint at step ${best.step}: an interrupted save had left it in ${best.path}; moved back to ${dir}`);
    }
  }
  for (const l of left) if (existsSync(l.path)) rmSync(l.path, { recursive: true, force: true });
  return recovered;
}

/** Recover an interrupted @2 save, then remove temp files of dead processes and unreferenced shards in `dir`. */
export function tidyCheckpoint(dir: string): void {
  recoverLegacyCheckpoint(dir);
  if (!existsSync(dir)) return;
  removeStaleTemps(dir);
  removeUnreferencedShards(dir);
}

