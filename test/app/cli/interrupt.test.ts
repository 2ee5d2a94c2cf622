/**
 * Ctrl-C (SIGINT) or SIGTERM during dataset-backed pretraining: the step in flight finishes, a checkpoint is
 * saved, the process exits 130 / 143 (so `pretrain && probe` stops), and `--resume` ends exactly where an
 * uninterrupted run ends, even with unreadable images in the train split (the batch plan is fixed).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { COHORT_LAYOUT, loadMimicCxr, selectSplit, writeSyntheticCohort } from "../../../data-loaders/index.js";
import { main } from "../../../app/cli/main.js";

const ROOT = join(import.meta.dirname, "../../..");
const TMP = mkdtempSync(join(tmpdir(), "mmsn-cli-sigint-"));
const COHORT = join(TMP, "cohort");
const STEPS = 400;
const args = (out: string, steps: number) => ["pretrain", "--data", COHORT, "--ehr", "demographic", "--preset", "test", "--steps", String(steps), "--checkpoint-every", "1000", "--out", out, "--no-progress", "--max-skip-fraction", "0.5"];
const rows = (dir: string) => (existsSync(join(dir, "metrics.csv")) ? readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").length - 1 : 0);
/** The checkpoint's weights, whatever its shard is called. */
const weights = (run: string) => {
  const m = JSON.parse(readFileSync(join(run, "checkpoint/model.json"), "utf8")) as { weightsManifest: { paths: string[] }[] };
  return m.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(run, "checkpoint", p))));
};
const withoutTiming = (dir: string) => readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(",").slice(0, -1).join(","));

/** Start a pretraining process, send `signal` once 3 steps are logged; resolves with its exit code and stderr. */
async function interrupt(run: string, signal: "SIGINT" | "SIGTERM"): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "app/cli/main.ts", ...args(run, STEPS)], { cwd: ROOT });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const poll = setInterval(() => {
      if (rows(run) >= 3) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 50);
    child.on("exit", (c) => {
      clearInterval(poll);
      resolve(c);
    });
  });
  return { code, stderr };
}

describe("mmsn pretrain and Ctrl-C / SIGTERM", () => {
  it("SIGINT saves a checkpoint and exits 130; --resume completes the run bit-for-bit despite unreadable images", async () => {
    await writeSyntheticCohort(COHORT, { images: 40, imageSize: 64, datasets: ["mimic"] });
    const train = selectSplit(loadMimicCxr({ root: join(COHORT, COHORT_LAYOUT.mimicCxr) }), "train").paths;
    truncateSync(train[5]!, 100);
    writeFileSync(train[9]!, "not an image");
    const run = join(TMP, "run");
    const { code, stderr } = await interrupt(run, "SIGINT");
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted at step (\d+): checkpoint saved to .*; continue with --resume/);
    assert.match(stderr, /mmsn: interrupted by SIGINT; the checkpoint is saved, continue with --resume/);
    const step = JSON.parse(readFileSync(join(run, "checkpoint/model.json"), "utf8")).state.step;
    assert.ok(step >= 3 && step < STEPS, `checkpoint at step ${step}`);
    assert.equal(rows(run), step, "metrics.csv holds exactly the saved steps");

    const log = console.log;
    console.log = () => {};
    try {
      const end = step + 30; // past an epoch boundary (the train split has fewer than 30 batches)
      await main([...args(run, end), "--resume"]);
      const whole = join(TMP, "whole");
      await main(args(whole, end));
      assert.deepEqual(withoutTiming(run), withoutTiming(whole));
      assert.deepEqual(weights(run), weights(whole));
      const skips = readFileSync(join(whole, "skips.csv"), "utf8");
      assert.match(skips, /truncated JPEG/);
      assert.match(skips, /not an image/);
    } finally {
      console.log = log;
    }
  });

  it("a second pretrain on the same --out refuses while the first runs, naming it", async () => {
    const run = join(TMP, "busy");
    const child = spawn(process.execPath, ["--import", "tsx", "app/cli/main.ts", ...args(run, STEPS)], { cwd: ROOT });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    while (rows(run) < 1) await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(main([...args(run, STEPS), "--resume"]), new RegExp(`is in use by process ${child.pid} \\(\`mmsn pretrain\`, started `));
    await assert.rejects(main([...args(run, STEPS), "--overwrite"]), /is in use by process/);
    child.kill("SIGTERM");
    assert.equal(await exited, 143);
  });

  it("SIGTERM saves a checkpoint and exits 143", async () => {
    const run = join(TMP, "term");
    const { code, stderr } = await interrupt(run, "SIGTERM");
    assert.equal(code, 143, stderr);
    assert.match(stderr, /interrupted by SIGTERM/);
    const step = JSON.parse(readFileSync(join(run, "checkpoint/model.json"), "utf8")).state.step;
    assert.equal(rows(run), step);
  });
});
