/** Checkpointed runs: SIGKILL in the middle, then --resume, ends exactly where an uninterrupted run ends. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, it } from "node:test";
import { checkpointShards } from "../../src/io/checkpoint.js";
import { metricsWithoutTiming, ROOT, RUN_CHILD, runChildToEnd } from "../helpers/train_run.js";

const STEPS = 12;
const runToEnd = (dir: string, resume = false) => runChildToEnd(dir, STEPS, resume);

/** Start a run and SIGKILL it once it has printed `step k` for k ≥ `after`. */
function runAndKill(dir: string, after: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", RUN_CHILD, dir, String(STEPS), ""], { cwd: ROOT });
    let last = -1;
    child.stdout.on("data", (d: Buffer) => {
      for (const m of d.toString().matchAll(/step (\d+)/g)) last = Number(m[1]);
      if (last >= after) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve(last) : reject(new Error(`child exited ${code} before the kill`))));
  });
}

describe("checkpointed pretraining run", () => {
  it("a run killed with SIGKILL and resumed ends with the same weights and metrics as an uninterrupted run", async () => {
    const whole = mkdtempSync(join(tmpdir(), "mmsn-run-whole-"));
    const killed = mkdtempSync(join(tmpdir(), "mmsn-run-killed-"));
    runToEnd(whole);
    const lastStep = await runAndKill(killed, 7);
    assert.ok(lastStep >= 7 && lastStep < STEPS - 1, `killed after step ${lastStep}`);
    const state = JSON.parse(readFileSync(join(killed, "checkpoint/model.json"), "utf8")).state;
    assert.ok(state.step < STEPS && state.step % 3 === 0, `the checkpoint on disk is a complete one (step ${state.step})`);
    runToEnd(killed, true);
    assert.deepEqual(metricsWithoutTiming(killed), metricsWithoutTiming(whole));
    assert.equal(metricsWithoutTiming(whole).length, STEPS + 1);
    const [a, b] = [killed, whole].map((d) => checkpointShards(join(d, "checkpoint")));
    assert.deepEqual(a!.map((p) => basename(p)), b!.map((p) => basename(p)), "same step, same bytes: same shard name");
    assert.deepEqual(readFileSync(a![0]!), readFileSync(b![0]!));
  });

  it("a corrupt checkpoint stops --resume with the file named, and leaves it in place", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmsn-run-corrupt-"));
    runToEnd(dir);
    const bin = checkpointShards(join(dir, "checkpoint"))[0]!;
    writeFileSync(bin, readFileSync(bin).subarray(0, 64));
    const r = spawnSync(process.execPath, ["--import", "tsx", RUN_CHILD, dir, String(STEPS + 3), "resume"], { cwd: ROOT, encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /weights-12-[0-9a-f]{12}\.bin: 64 bytes but the manifest describes \d+; the checkpoint is truncated or corrupt/);
    assert.ok(existsSync(bin));
  });
});
