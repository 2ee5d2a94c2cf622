/** Small checkpoints for the test/io tests: a saved "test" model, a dead pid, and an @2 copy of a checkpoint. */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { msnConfig } from "../../src/config/msn.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { syntheticBatch } from "../helpers/batches.js";
import { disposeBatch } from "../../src/types/batch.js";

/** The pid of a process that has exited (for stale temp files and locks). */
export const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid!;

/** Save a "test" model trained `steps` steps to `dir`; returns its model.json as parsed. */
export function saveTestModel(dir: string, steps = 0): Record<string, unknown> & { weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[]; state: { step: number } } {
  const m = new MultimodalMSN(msnConfig("test"));
  if (steps > 0) {
    const b = syntheticBatch(m.config, 2, 3);
    for (let i = 0; i < steps; i++) m.trainStep(b, { stepsPerEpoch: 4 });
    disposeBatch(b);
  }
  m.save(dir);
  m.dispose();
  return JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
}

/** Turn the @3 checkpoint in `dir` into an @2 one (weights.bin, no digests), as the previous version wrote. */
export function downgradeToV2(dir: string): void {
  const m = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
  renameSync(join(dir, m.weightsManifest[0].paths[0]), join(dir, "weights.bin"));
  const { weightsSha256: _a, specSha256: _b, ...rest } = m;
  writeFileSync(join(dir, "model.json"), JSON.stringify({ ...rest, format: "multimodal-msn/checkpoint@2", weightsManifest: [{ ...m.weightsManifest[0], paths: ["weights.bin"] }] }));
}

/** The names in `dir`, sorted. */
export const ls = (dir: string): string[] => readdirSync(dir).sort();
