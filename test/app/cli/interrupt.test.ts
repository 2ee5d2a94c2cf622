/**
 * Ctrl-C during dataset-backed pretraining: the step in flight finishes, a checkpoint is saved, the process
 * exits cleanly, and `--resume` ends exactly where an uninterrupted run ends.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { writeSyntheticCohort } from "../../../data-loaders/index.js";
import { main } from "../../../app/cli/main.js";

const ROOT = join(import.meta.dirname, "../../..");
const TMP = mkdtempSync(join(tmpdir(), "mmsn-cli-sigint-"));
const COHORT = join(TMP, "cohort");
const STEPS = 400;
const args = (out: string, steps: number) => ["pretrain", "--data", COHORT, "--ehr", "demographic", "--preset", "test", "--steps", String(steps), "--checkpoint-every", "1000", "--out", out, "--no-progress"];
const rows = (dir: string) => (existsSync(join(dir, "metrics.csv")) ? readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").length - 1 : 0);
const withoutTiming = (dir: string) => readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(",").slice(0, -1).join(","));

describe("mmsn pretrain and Ctrl-C", () => {
  it("SIGINT saves a checkpoint and exits 0; --resume completes the run bit-for-bit", async () => {
    await writeSyntheticCohort(COHORT, { images: 40, imageSize: 64, datasets: ["mimic"] });
    const run = join(TMP, "run");
    const child = spawn(process.execPath, ["--import", "tsx", "app/cli/main.ts", ...args(run, STEPS)], { cwd: ROOT });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        if (rows(run) >= 3) {
          clearInterval(poll);
          child.kill("SIGINT");
        }
      }, 50);
      child.on("exit", (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /interrupted at step (\d+): checkpoint saved to .*; continue with --resume/);
    const step = JSON.parse(readFileSync(join(run, "checkpoint/model.json"), "utf8")).state.step;
    assert.ok(step >= 3 && step < STEPS, `checkpoint at step ${step}`);
    assert.equal(rows(run), step, "metrics.csv holds exactly the saved steps");

    const log = console.log;
    console.log = () => {};
    try {
      const end = step + 4;
      await main([...args(run, end), "--resume"]);
      const whole = join(TMP, "whole");
      await main(args(whole, end));
      assert.deepEqual(withoutTiming(run), withoutTiming(whole));
      assert.deepEqual(readFileSync(join(run, "checkpoint/weights.bin")), readFileSync(join(whole, "checkpoint/weights.bin")));
    } finally {
      console.log = log;
    }
  });
});
