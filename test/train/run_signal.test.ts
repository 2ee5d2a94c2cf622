/**
 * SIGTERM stops a run like SIGINT: the step in flight finishes, a checkpoint is saved, trainRun returns with
 * `interrupted` and the `signal` (so a CLI can exit 130 / 143), and the process exits cleanly.
 */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ROOT, RUN_CHILD } from "../helpers/train_run.js";
import { batches, captureStderr, run } from "./run_fixtures.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-run-signal-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const savedStep = (dir: string): number => JSON.parse(readFileSync(join(dir, "checkpoint/model.json"), "utf8")).state.step;
const rows = (dir: string) => readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").length - 1;

describe("stopping a run with a signal", () => {
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    it(`${sig} during step 1: the step finishes, a checkpoint at step 2 is saved, the result names ${sig}`, async () => {
      const dir = join(TMP, sig);
      const { value, stderr } = await captureStderr(() =>
        run(dir, 10, { checkpointEvery: 100, batches: (s) => batches(s, async (k) => void (k === 1 && process.emit(sig as "SIGTERM"))) }),
      );
      assert.equal(value.interrupted, true);
      assert.equal(value.signal, sig);
      assert.equal(value.step, 2);
      assert.equal(savedStep(dir), 2);
      assert.equal(rows(dir), 2);
      assert.match(stderr, new RegExp(`${sig}: finishing step 1 and saving a checkpoint`));
      assert.match(stderr, new RegExp(`interrupted at step 2: checkpoint saved to .*; continue with --resume \\(received ${sig}\\)`));
      assert.equal(process.listenerCount(sig), 0, "the handler is removed");
    });
  }

  it("a run that ends normally reports no signal", async () => {
    const r = await run(join(TMP, "plain"), 1);
    assert.equal(r.interrupted, false);
    assert.equal(r.signal, undefined);
  });

  it("a SIGTERMed child process saves, exits 0 and leaves no lock", async () => {
    const dir = join(TMP, "child");
    const child = spawn(process.execPath, ["--import", "tsx", RUN_CHILD, dir, "200", ""], { cwd: ROOT });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let sent = false;
    child.stdout.on("data", (d: Buffer) => {
      if (!sent && /step [4-9]/.test(d.toString())) {
        sent = true;
        child.kill("SIGTERM");
      }
    });
    const code = await new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /interrupted at step (\d+): checkpoint saved to .*\(received SIGTERM\)/);
    assert.equal(rows(dir), savedStep(dir));
    assert.ok(!existsSync(join(dir, ".lock")));
  });
});
