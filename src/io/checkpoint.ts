/**
 * Checkpoint folders, on plain data (the model decides what goes in). Format @3:
 *
 *   dir/model.json                   { format, rng, config, state, weightsManifest, weightsSha256, specSha256 }
 *                                    (weightsManifest is the tfjs one; the digests: see manifest_checks.ts)
 *   dir/weights-STEP-HASH12.bin      every tensor, little-endian float32, in manifest order
 *   dir/config.json                  the config, pretty-printed (for people; model.json is what is read)
 *
 * A save never loses the previous checkpoint: it writes a new, uniquely named shard (temp + fsync +
 * rename), then replaces model.json, the pointer, atomically (temp + fsync + rename + fsync of the folder),
 * and only then deletes the shards model.json no longer references. At every instant model.json names a
 * complete shard. Leftovers of a killed save (temp files, orphan shards, the @2 writer's
 * `.checkpoint.{tmp,old}-PID` folders) are cleaned, or recovered, at the next write or run start
 * (checkpoint_files.ts). Reading verifies the digests; @2 and @1 checkpoints (one `weights.bin`, no
 * digests) still load, unverified, with a note.
 */
import { makeDirs } from "../utils/make_dirs.js";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../utils/atomic.js";
import { RNG_ALGORITHM } from "../utils/rng.js";
import { type CheckpointManifest, CHECKPOINT_FORMAT, type TrainingState, parseCheckpointManifest } from "./checkpoint_manifest.js";
import { recoverLegacyCheckpoint, referencedShards, removeUnreferencedShards, shardFileName, tidyCheckpoint } from "./checkpoint_files.js";
import { checkManifest, sha256Hex, shardPath, specSha256 } from "./manifest_checks.js";
import { decodeWeights, encodeWeights, parseJson, readText } from "./weights.js";

export { CHECKPOINT_FORMAT, type TrainingState } from "./checkpoint_manifest.js";

/** One tensor of a checkpoint: name, values, shape. */
export type NamedValues = readonly [name: string, values: Float32Array, shape: number[]];

/** A checkpoint as read back: its config, state and every tensor by name. */
export interface Checkpoint<C> {
  /** Path of model.json, for error messages. */
  readonly path: string;
  /** The generator whose state `state.rngState` is ("mulberry32" for format @1). */
  readonly rng: string;
  readonly config: C;
  readonly state: TrainingState;
  readonly weights: Map<string, Float32Array>;
}

/** What a failed save leaves as it was (for the disk-error message). */
const INTACT = "the previous checkpoint is intact";

/**
 * Write `config`, `state` and `tensors` to `dir` as a new checkpoint (format @3, see the module comment).
 * @throws DiskWriteError "no space left on device writing PATH (N MB needed); free space or choose another
 *   --out; the previous checkpoint is intact" (and likewise for EDQUOT, EROFS, EACCES): nothing of the new
 *   checkpoint is left behind.
 */
export function writeCheckpoint(dir: string, config: unknown, state: TrainingState, tensors: readonly NamedValues[]): void {
  tidyCheckpoint(dir);
  makeDirs(dir);
  const encoded = encodeWeights(tensors.map(([name, values, shape]) => [name, values, shape]), "weights.bin");
  const sha = sha256Hex(encoded.data);
  const shard = shardFileName(state.step, sha);
  const group = { paths: [shard], weights: encoded.group.weights };
  const s: TrainingState = { step: state.step, adamStep: state.adamStep, stepsPerEpoch: state.stepsPerEpoch, rngState: state.rngState };
  const manifest = { format: CHECKPOINT_FORMAT, rng: RNG_ALGORITHM, config, state: s, weightsManifest: [group], weightsSha256: { [shard]: sha }, specSha256: specSha256([group]) };
  try {
    writeFileAtomic(join(dir, shard), encoded.data, INTACT);
    writeFileAtomic(join(dir, "config.json"), JSON.stringify(config, null, 2), INTACT);
    writeFileAtomic(join(dir, "model.json"), JSON.stringify(manifest), INTACT); // the switch to the new checkpoint
  } catch (e) {
    if (!referencedShards(dir)?.has(shard)) rmSync(join(dir, shard), { force: true });
    throw e;
  }
  removeUnreferencedShards(dir);
}

/** Read and check `dir/model.json` (recovering an interrupted @2 save first when it is missing); `text` is its content. */
function readManifest<C>(dir: string): CheckpointManifest<C> & { path: string; text: string } {
  const path = join(dir, "model.json");
  if (!existsSync(path)) recoverLegacyCheckpoint(dir);
  if (!existsSync(path)) throw new Error(`no checkpoint at ${dir}: ${path} is missing`);
  const text = readText(path);
  return { ...parseCheckpointManifest<C>(parseJson<unknown>(text, path), path), path, text };
}

/**
 * Read a checkpoint written by {@link writeCheckpoint} (or an older @2/@1 one).
 * @throws Error naming the file when it is missing, not JSON, of another format, a state field is out of
 *   range, a weight path leaves `dir`, a shard is truncated, or a digest does not match
 *   ("PATH: checksum mismatch …; the file is corrupt; restore it or retrain").
 */
export function readCheckpoint<C>(dir: string): Checkpoint<C> {
  for (let attempt = 0; ; attempt++) {
    const m = readManifest<C>(dir);
    const digests = m.format === CHECKPOINT_FORMAT ? { weightsSha256: m.weightsSha256, specSha256: m.specSha256 } : undefined;
    try {
      const weights = decodeWeights(dir, m.weightsManifest, { source: m.path, ...(digests ? { digests } : {}) });
      if (!digests) console.error(`[mmsn] ${m.path}: format ${m.format} records no checksums; its weights were loaded unverified (the next save writes ${CHECKPOINT_FORMAT})`);
      return { path: m.path, rng: m.rng, config: m.config, state: m.state, weights };
    } catch (e) {
      // A run saving into `dir` meanwhile may have replaced model.json and removed the shard it named: read again.
      if (attempt >= 2 || readFileSync(m.path, "utf8") === m.text) throw e;
    }
  }
}

/**
 * Check that a training run can continue the random stream of the checkpoint in `dir` (same generator).
 * @throws Error naming the file and the fix when the checkpoint's stream came from another generator.
 */
export function assertResumable(dir: string): void {
  const m = readManifest(dir);
  if (m.rng !== RNG_ALGORITHM) {
    throw new Error(`${m.path}: this checkpoint's random stream comes from ${m.rng}, this version draws from ${RNG_ALGORITHM}; a resumed run would not continue it. Start a new run (another --out), or probe/export the checkpoint as it is`);
  }
}

/** The training state of the checkpoint in `dir` (checked; weights not read). @throws as {@link readCheckpoint}. */
export function checkpointState(dir: string): TrainingState {
  return readManifest(dir).state;
}

/**
 * Absolute paths of the weight files the checkpoint in `dir` references, in manifest order (for tests
 * comparing weights byte for byte, and for tools that copy a checkpoint).
 * @throws Error naming model.json when it is missing or a path leaves `dir`.
 */
export function checkpointShards(dir: string): string[] {
  const m = readManifest(dir);
  return checkManifest(dir, m.weightsManifest, m.path).flatMap((g) => g.paths.map((p) => shardPath(dir, p, m.path)));
}

/**
 * A 12-hex-digit fingerprint of the checkpoint's weights (names, shapes and bytes), e.g. for a feature
 * cache key: from the recorded digests for @3 (no weight file read), from the files' bytes before.
 */
export function checkpointFingerprint(dir: string): string {
  const m = readManifest(dir);
  const groups = checkManifest(dir, m.weightsManifest, m.path);
  const h = createHash("sha256").update(m.specSha256 ?? specSha256(groups));
  for (const p of groups.flatMap((g) => g.paths)) h.update(m.weightsSha256?.[p] ?? sha256Hex(readFileSync(shardPath(dir, p, m.path))));
  return h.digest("hex").slice(0, 12);
}

/** The weights whose names start with `prefix`, with the prefix removed. */
export function weightsUnder(weights: ReadonlyMap<string, Float32Array>, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of weights) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}
