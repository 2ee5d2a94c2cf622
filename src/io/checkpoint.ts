/**
 * Checkpoint directories, on plain data (the model decides what goes in):
 *
 *   dir/model.json    { format, rng, config, state, weightsManifest } (the tfjs weights manifest)
 *   dir/weights.bin   every tensor, little-endian float32, in manifest order
 *   dir/config.json   the config, pretty-printed
 *
 * Written atomically: a crash leaves the previous checkpoint intact.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeDirAtomic, writeFileAtomic } from "../utils/atomic.js";
import { RNG_ALGORITHM } from "../utils/rng.js";
import { type WeightsManifestGroup, decodeWeights, encodeWeights, readJson } from "./weights.js";

/** Format of the checkpoints written now: @2 records the random generator (`rng`) of the run's stream. */
export const CHECKPOINT_FORMAT = "multimodal-msn/checkpoint@2";
/** @1: written before the library's generator became splitmix32; its stream was mulberry32's. */
const CHECKPOINT_FORMAT_1 = "multimodal-msn/checkpoint@1";

/** The training state saved next to the weights (key order is the on-disk order). */
export interface TrainingState {
  /** Completed optimizer steps. */
  readonly step: number;
  /** The optimizer's own step counter (bias correction). */
  readonly adamStep: number;
  /** Schedule steps per epoch of the latest step. */
  readonly stepsPerEpoch: number;
  /** State of the mask generator. */
  readonly rngState: number;
}

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

/** Write `config`, `state` and `tensors` to `dir` atomically. */
export function writeCheckpoint(dir: string, config: unknown, state: TrainingState, tensors: readonly NamedValues[]): void {
  const { group, data } = encodeWeights(tensors.map(([name, values, shape]) => [name, values, shape]), "weights.bin");
  const s: TrainingState = { step: state.step, adamStep: state.adamStep, stepsPerEpoch: state.stepsPerEpoch, rngState: state.rngState };
  const manifest = { format: CHECKPOINT_FORMAT, rng: RNG_ALGORITHM, config, state: s, weightsManifest: [group] };
  writeDirAtomic(dir, (tmp) => {
    writeFileAtomic(join(tmp, "weights.bin"), data);
    writeFileAtomic(join(tmp, "config.json"), JSON.stringify(config, null, 2));
    writeFileAtomic(join(tmp, "model.json"), JSON.stringify(manifest));
  });
}

/**
 * Read a checkpoint written by {@link writeCheckpoint}.
 * @throws Error naming the file when it is missing, not JSON, of another format, or truncated.
 */
export function readCheckpoint<C>(dir: string): Checkpoint<C> {
  const path = join(dir, "model.json");
  if (!existsSync(path)) throw new Error(`no checkpoint at ${dir}: ${path} is missing`);
  const manifest = readJson<{ format: string; rng?: string; config: C; state: TrainingState; weightsManifest: WeightsManifestGroup[] }>(path);
  if (manifest.format !== CHECKPOINT_FORMAT && manifest.format !== CHECKPOINT_FORMAT_1) throw new Error(`${path}: format "${manifest.format}" is not ${CHECKPOINT_FORMAT}`);
  const rng = manifest.format === CHECKPOINT_FORMAT_1 ? "mulberry32" : String(manifest.rng);
  return { path, rng, config: manifest.config, state: manifest.state, weights: decodeWeights(dir, manifest.weightsManifest) };
}

/**
 * Check that a training run can continue the random stream of the checkpoint in `dir` (same generator).
 * @throws Error naming the file and the fix when the checkpoint's stream came from another generator.
 */
export function assertResumable(dir: string): void {
  const path = join(dir, "model.json");
  const m = readJson<{ format: string; rng?: string }>(path);
  const rng = m.format === CHECKPOINT_FORMAT_1 ? "mulberry32" : m.rng;
  if (rng !== RNG_ALGORITHM) {
    throw new Error(`${path}: this checkpoint's random stream comes from ${rng ?? "an unknown generator"}, this version draws from ${RNG_ALGORITHM}; a resumed run would not continue it. Start a new run (another --out), or probe/export the checkpoint as it is`);
  }
}

/** The weights whose names start with `prefix`, with the prefix removed. */
export function weightsUnder(weights: ReadonlyMap<string, Float32Array>, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of weights) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}
