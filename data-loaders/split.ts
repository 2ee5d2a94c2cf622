/** Patient-level splits: every image of a patient lands in the same split. */
import { Rng } from "../src/utils/rng.js";

/** Split names. MIMIC-CXR's official file says `validate`, so that spelling is used everywhere. */
export type SplitName = "train" | "validate" | "test";

/** Fractions of patients per split; must sum to 1. */
export interface SplitFractions {
  readonly train: number;
  readonly validate: number;
  readonly test: number;
}

/** Default seeded split: 70 / 10 / 20 % of patients. */
export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.7, validate: 0.1, test: 0.2 };

/**
 * Seeded patient-level split. Unique patient ids are sorted, shuffled with `seed`, and cut by
 * `fractions`, so the result does not depend on row order.
 * @returns the split of each row, aligned with `patientIds`
 * @example seededPatientSplit(["1","1","2"], 24) // e.g. ["train","train","test"]
 */
export function seededPatientSplit(patientIds: readonly string[], seed: number, fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS): SplitName[] {
  const sum = fractions.train + fractions.validate + fractions.test;
  if (Math.abs(sum - 1) > 1e-6 || fractions.train < 0 || fractions.validate < 0 || fractions.test < 0) {
    throw new Error(`seededPatientSplit: fractions must be >= 0 and sum to 1, got ${JSON.stringify(fractions)}`);
  }
  const unique = new Rng(seed).shuffle([...new Set(patientIds)].sort());
  const nTrain = Math.round(unique.length * fractions.train);
  const nVal = Math.round(unique.length * fractions.validate);
  const of = new Map<string, SplitName>();
  unique.forEach((p, i) => of.set(p, i < nTrain ? "train" : i < nTrain + nVal ? "validate" : "test"));
  return patientIds.map((p) => of.get(p)!);
}
