/** Driving test/fixtures/train/run_child.ts (a checkpointed `trainRun`) from tests, in a child process. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "../..");
export const RUN_CHILD = join(ROOT, "test/fixtures/train/run_child.ts");

/** Run (or with `resume`, resume) a `steps`-step run in `dir` to its end; `env` adds to the environment. */
export function runChildToEnd(dir: string, steps: number, resume = false, env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(process.execPath, ["--import", "tsx", RUN_CHILD, dir, String(steps), resume ? "resume" : ""], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
}

/** metrics.csv's lines without the last (wall-clock) column. */
export const metricsWithoutTiming = (dir: string): string[] =>
  readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(",").slice(0, -1).join(","));
