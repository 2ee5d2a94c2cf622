/**
 * A checkpoint's model.json, checked field by field when read: a hand-edited or corrupt file stops with the
 * file and the field named instead of resuming from step "abc" or -5.
 *
 *   @3  { format, rng, config, state, weightsManifest, weightsSha256, specSha256 }   (digests verified)
 *   @2  { format, rng, config, state, weightsManifest }                            (no digests)
 *   @1  { format, config, state, weightsManifest }                                 (mulberry32 stream)
 */
import { RNG_ALGORITHM } from "../utils/rng.js";
import type { WeightDigests } from "./manifest_checks.js";
import type { WeightsManifestGroup } from "./weights.js";

/** Format of the checkpoints written now: @3 adds the digests (weightsSha256, specSha256) and uniquely named shards. */
export const CHECKPOINT_FORMAT = "multimodal-msn/checkpoint@3";
/** @2: records the generator (`rng`); one `weights.bin`, no digests. */
export const CHECKPOINT_FORMAT_2 = "multimodal-msn/checkpoint@2";
/** @1: written before the library's generator became splitmix32; its stream was mulberry32's. */
export const CHECKPOINT_FORMAT_1 = "multimodal-msn/checkpoint@1";

/** The training state saved next to the weights (key order is the on-disk order). */
export interface TrainingState {
  /** Completed optimizer steps. */
  readonly step: number;
  /** The optimizer's own step counter (bias correction). */
  readonly adamStep: number;
  /** Schedule steps per epoch of the latest step. */
  readonly stepsPerEpoch: number;
  /** State of the mask generator (a uint32). */
  readonly rngState: number;
}

/** model.json as read and checked (digests are absent before @3). */
export interface CheckpointManifest<C> extends WeightDigests {
  readonly format: string;
  /** The generator of `state.rngState`'s stream ("mulberry32" for @1). */
  readonly rng: string;
  readonly config: C;
  readonly state: TrainingState;
  readonly weightsManifest: WeightsManifestGroup[];
}

/** The valid range of each state field. */
const STATE_RANGES: Readonly<Record<keyof TrainingState, readonly [number, number]>> = {
  step: [0, Number.MAX_SAFE_INTEGER],
  adamStep: [0, Number.MAX_SAFE_INTEGER],
  stepsPerEpoch: [1, Number.MAX_SAFE_INTEGER],
  rngState: [0, 0xffffffff],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isHex = (v: unknown): v is string => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);

/**
 * Check the parsed JSON of `path` (a checkpoint's model.json). The weightsManifest itself is checked by
 * `decodeWeights` (paths, specs); here only that it is an array.
 * @throws Error "PATH: FIELD must be …, got …; the file is corrupt; restore it or retrain".
 */
export function parseCheckpointManifest<C>(raw: unknown, path: string): CheckpointManifest<C> {
  const corrupt = (field: string, want: string, got: unknown) =>
    new Error(`${path}: ${field} must be ${want}, got ${JSON.stringify(got)?.slice(0, 80) ?? "nothing"}; the file is corrupt; restore it or retrain`);
  if (!isObject(raw)) throw corrupt("the file", "a JSON object", raw);
  const format = raw.format;
  if (format !== CHECKPOINT_FORMAT && format !== CHECKPOINT_FORMAT_2 && format !== CHECKPOINT_FORMAT_1) {
    throw new Error(`${path}: format ${JSON.stringify(format)} is not ${CHECKPOINT_FORMAT} (or the older @2, @1); it is not a multimodal-msn checkpoint, or one from a newer version`);
  }
  const rng = format === CHECKPOINT_FORMAT_1 ? "mulberry32" : raw.rng;
  if (typeof rng !== "string") throw corrupt("rng", `a generator name such as "${RNG_ALGORITHM}"`, rng);
  if (!isObject(raw.config)) throw corrupt("config", "an object", raw.config);
  if (!isObject(raw.state)) throw corrupt("state", "an object {step, adamStep, stepsPerEpoch, rngState}", raw.state);
  const s = raw.state;
  for (const [k, [lo, hi]] of Object.entries(STATE_RANGES)) {
    const v = s[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw corrupt(`state.${k}`, `an integer in [${lo}, ${hi}]`, v);
  }
  const state: TrainingState = { step: s.step as number, adamStep: s.adamStep as number, stepsPerEpoch: s.stepsPerEpoch as number, rngState: s.rngState as number };
  if (!Array.isArray(raw.weightsManifest)) throw corrupt("weightsManifest", "an array", raw.weightsManifest);
  const out = { format, rng, config: raw.config as C, state, weightsManifest: raw.weightsManifest as WeightsManifestGroup[] };
  if (format !== CHECKPOINT_FORMAT) return out;
  const sums = raw.weightsSha256;
  if (!isObject(sums) || !Object.values(sums).every(isHex)) throw corrupt("weightsSha256", "an object {file: sha256 hex}", sums);
  if (!isHex(raw.specSha256)) throw corrupt("specSha256", "a sha256 hex string", raw.specSha256);
  return { ...out, weightsSha256: sums as Record<string, string>, specSha256: raw.specSha256 };
}
