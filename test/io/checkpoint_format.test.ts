/**
 * Checkpoint format @3: uniquely named, checksummed shards behind an atomically replaced model.json, so no
 * moment of a save (or a kill during it) loses the previous checkpoint; leftovers are cleaned, interrupted
 * @2 saves recovered, and @2 checkpoints still load.
 */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { msnConfig } from "../../src/config/msn.js";
import { CHECKPOINT_FORMAT, checkpointShards } from "../../src/io/checkpoint.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { trainRun } from "../../src/train/run.js";
import { deadPid, downgradeToV2, ls, saveTestModel } from "./checkpoint_fixtures.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-ckpt3-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
/** A batch stream that is never read (the runs here start at their last step). */
const noBatches = () => (async function* () {})();

describe("checkpoint format @3", () => {
  it("writes a uniquely named shard with its sha256 and a spec digest; a later save replaces it and leaves nothing else", () => {
    const dir = join(TMP, "layout");
    const m1 = saveTestModel(dir, 1);
    assert.equal(m1.format, CHECKPOINT_FORMAT);
    const shard1 = m1.weightsManifest[0]!.paths[0]!;
    assert.match(shard1, /^weights-1-[0-9a-f]{12}\.bin$/);
    assert.deepEqual(m1.weightsSha256, { [shard1]: sha256(join(dir, shard1)) });
    assert.match(String(m1.specSha256), /^[0-9a-f]{64}$/);
    assert.deepEqual(ls(dir), ["config.json", "model.json", shard1].sort());
    const m2 = saveTestModel(dir, 2);
    const shard2 = m2.weightsManifest[0]!.paths[0]!;
    assert.notEqual(shard2, shard1);
    assert.deepEqual(ls(dir), ["config.json", "model.json", shard2].sort(), "the old shard is removed once model.json points past it");
    assert.deepEqual(checkpointShards(dir), [join(dir, shard2)]);
    const before = tf.memory().numTensors;
    MultimodalMSN.load(dir).dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it("a save killed at any point leaves model.json naming a complete shard; its leftovers go at the next save", () => {
    const dir = join(TMP, "killed");
    const m = saveTestModel(dir, 1);
    // What a kill leaves: a new shard model.json never pointed to, and half-written temp files of a dead process.
    const pid = deadPid();
    writeFileSync(join(dir, "weights-2-0123456789ab.bin"), "orphan");
    writeFileSync(join(dir, `.model.json.tmp-${pid}`), "{ half");
    writeFileSync(join(dir, `.weights-2-0123456789ab.bin.tmp-${pid}`), "half");
    const loaded = MultimodalMSN.load(dir);
    assert.equal(loaded.step, 1);
    loaded.save(dir);
    loaded.dispose();
    assert.deepEqual(ls(dir), ["config.json", "model.json", m.weightsManifest[0]!.paths[0]!].sort());
  });

  it("recovers a checkpoint that an interrupted @2 save left in .checkpoint.old-PID (no checkpoint/ left), and resumes from it", async () => {
    const run = join(TMP, "legacy-run");
    const ckpt = join(run, "checkpoint");
    saveTestModel(ckpt, 2);
    downgradeToV2(ckpt);
    writeFileSync(join(run, "metrics.csv"), "step,loss,ce,me_max,entropy,lr,weight_decay,momentum,grad_norm,images_per_second\n0,1,1,0,1,0.001,0.04,0.996,1,1\n1,1,1,0,1,0.001,0.04,0.996,1,1\n");
    // The @2 writer was killed between its two renames: the old folder moved aside, the new one (half filled) not yet in.
    const pid = deadPid();
    renameSync(ckpt, join(run, `.checkpoint.old-${pid}`));
    mkdirSync(join(run, `.checkpoint.tmp-${pid}`));
    writeFileSync(join(run, `.checkpoint.tmp-${pid}`, "weights.bin"), "partial");
    const err: string[] = [];
    const log = console.error;
    console.error = (s: string) => void err.push(String(s));
    try {
      const r = await trainRun(msnConfig("test"), { dir: run, steps: 2, stepsPerEpoch: 4, checkpointEvery: 1, resume: true, progress: false, batches: noBatches });
      assert.equal(r.startStep, 2, "resumed at the recovered step, not 0");
      r.model.dispose();
    } finally {
      console.error = log;
    }
    assert.match(err.join("\n"), /recovered the checkpoint at step 2: an interrupted save had left it in .*\.checkpoint\.old-\d+; moved back to .*checkpoint/);
    assert.deepEqual(ls(run), ["checkpoint", "config.json", "metrics.csv"], "the leftover folders are gone");
  });

  it("an @2 checkpoint (weights.bin, no checksums) still loads, with a note; the next save is @3 and drops weights.bin", () => {
    const dir = join(TMP, "v2");
    saveTestModel(dir, 1);
    downgradeToV2(dir);
    const err: string[] = [];
    const log = console.error;
    console.error = (s: string) => void err.push(String(s));
    let m: MultimodalMSN;
    try {
      m = MultimodalMSN.load(dir);
    } finally {
      console.error = log;
    }
    assert.match(err.join("\n"), /checkpoint@2 records no checksums; its weights were loaded unverified/);
    assert.equal(m.step, 1);
    m.save(dir);
    m.dispose();
    assert.equal(JSON.parse(readFileSync(join(dir, "model.json"), "utf8")).format, CHECKPOINT_FORMAT);
    assert.ok(!existsSync(join(dir, "weights.bin")));
  });
});
