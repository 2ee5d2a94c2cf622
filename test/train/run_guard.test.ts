/**
 * A run directory is never replaced or truncated silently: an existing run needs --resume or --overwrite,
 * --resume without a checkpoint says it starts at 0, and a metrics.csv that cannot be read stops the
 * resume instead of losing rows.
 */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { captureStderr, run } from "./run_fixtures.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-run-guard-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir, { recursive: true }).map(String).filter((f) => !f.endsWith("checkpoint")).map((f) => [f, readFileSync(join(dir, f)).toString("hex")]));
const rows = (dir: string) => readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").length - 1;

describe("trainRun and an existing run", () => {
  it("refuses to start over a run without --resume or --overwrite, touching nothing", async () => {
    const dir = join(TMP, "taken");
    await run(dir, 2);
    const before = snapshot(dir);
    await assert.rejects(run(dir, 4), new RegExp(`^Error: ${dir} already holds a run \\(checkpoint at step 2, 2 metric rows\\); continue it with --resume, replace it with --overwrite, or choose another --out$`));
    assert.deepEqual(snapshot(dir), before);
  });

  it("metric rows without a checkpoint count as a run too", async () => {
    const dir = join(TMP, "rows-only");
    mkdirSync(dir);
    writeFileSync(join(dir, "metrics.csv"), "step,loss,ce,me_max,entropy,lr,weight_decay,momentum,grad_norm,images_per_second\n0,1,1,0,1,0.001,0.04,0.996,1,1\n");
    await assert.rejects(run(dir, 1), /already holds a run \(1 metric rows, no checkpoint\)/);
  });

  it("--overwrite replaces it (and says so); resume and overwrite together are refused", async () => {
    const dir = join(TMP, "overwrite");
    await run(dir, 3, { checkpointEvery: 1 });
    const { value, stderr } = await captureStderr(() => run(dir, 1, { overwrite: true }));
    assert.equal(value.startStep, 0);
    assert.equal(value.step, 1);
    assert.equal(rows(dir), 1);
    assert.match(stderr, /--overwrite: removed the run in .* \(checkpoint at step 3, 3 metric rows\)/);
    await assert.rejects(run(dir, 2, { overwrite: true, resume: true }), /--resume \(continue the run\) and --overwrite \(replace it\) contradict each other; give one of them/);
  });

  it("--resume without a checkpoint starts at step 0 and says so", async () => {
    const dir = join(TMP, "resume-nothing");
    const { value, stderr } = await captureStderr(() => run(dir, 1, { resume: true }));
    assert.equal(value.startStep, 0);
    assert.match(stderr, /--resume: no checkpoint in .*checkpoint; starting at step 0/);
  });

  it("--resume with garbage in metrics.csv stops naming the file and line, and deletes no row", async () => {
    const dir = join(TMP, "garbage");
    await run(dir, 2);
    const path = join(dir, "metrics.csv");
    const text = readFileSync(path, "utf8").replace(/\n1,/, "\nabc,");
    writeFileSync(path, text);
    await assert.rejects(run(dir, 4, { resume: true }), /metrics\.csv line 3: "abc,.*" is not a metrics row .*repair or delete it.*--overwrite/);
    assert.equal(readFileSync(path, "utf8"), text);
  });

  it("--resume drops the rows after the checkpoint, a torn last line with a note", async () => {
    const dir = join(TMP, "torn");
    await run(dir, 3); // checkpoints at 2 and 3
    const path = join(dir, "metrics.csv");
    writeFileSync(path, readFileSync(path, "utf8") + "3,0.5,0.");
    const { value, stderr } = await captureStderr(() => run(dir, 4, { resume: true }));
    assert.equal(value.startStep, 3);
    assert.match(stderr, /dropped a partial last line "3,0\.5,0\."/);
    assert.deepEqual(readFileSync(path, "utf8").trim().split("\n").slice(1).map((l) => l.split(",")[0]), ["0", "1", "2", "3"]);
  });

  it("--resume with metrics.csv gone starts a new one with its header, and says which steps are not recorded", async () => {
    const dir = join(TMP, "no-metrics");
    await run(dir, 2);
    rmSync(join(dir, "metrics.csv"));
    const { value, stderr } = await captureStderr(() => run(dir, 3, { resume: true }));
    assert.equal(value.startStep, 2);
    assert.match(stderr, /metrics\.csv is missing: a new one is started; the metrics of steps 0\.\.1 are not recorded/);
    assert.deepEqual(readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(",")[0]), ["step", "2"]);
  });

  it("a checkpoint with an invalid step stops --resume naming the field, before metrics.csv is touched", async () => {
    const dir = join(TMP, "bad-step");
    await run(dir, 2);
    const model = join(dir, "checkpoint", "model.json");
    const m = JSON.parse(readFileSync(model, "utf8"));
    const metrics = readFileSync(join(dir, "metrics.csv"), "utf8");
    for (const step of ["abc", -5]) {
      writeFileSync(model, JSON.stringify({ ...m, state: { ...m.state, step } }));
      await assert.rejects(run(dir, 4, { resume: true }), /model\.json: state\.step must be an integer in \[0, \d+\]/);
      assert.equal(readFileSync(join(dir, "metrics.csv"), "utf8"), metrics);
    }
    assert.ok(!existsSync(join(dir, ".lock")), "the lock is released on failure");
  });
});
