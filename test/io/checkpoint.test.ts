/** Checkpoints record their random generator: old (@1, mulberry32) ones load, but a run refuses to resume them. */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { msnConfig } from "../../src/config/msn.js";
import { CHECKPOINT_FORMAT } from "../../src/io/checkpoint.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { trainRun } from "../../src/train/run.js";
import { RNG_ALGORITHM } from "../../src/utils/rng.js";

describe("checkpoint generator tag", () => {
  const dir = mkdtempSync(join(tmpdir(), "mmsn-ckpt-rng-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a new checkpoint names its generator; an @1 checkpoint still loads but is not resumed", async () => {
    const m = new MultimodalMSN(msnConfig("test"));
    const ckpt = join(dir, "checkpoint");
    m.save(ckpt);
    m.dispose();
    const path = join(ckpt, "model.json");
    const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    assert.equal(manifest.format, CHECKPOINT_FORMAT);
    assert.equal(manifest.rng, RNG_ALGORITHM);
    const { rng: _, ...old } = manifest;
    writeFileSync(path, JSON.stringify({ ...old, format: "multimodal-msn/checkpoint@1" }));
    MultimodalMSN.load(ckpt).dispose();
    await assert.rejects(
      trainRun(msnConfig("test"), { dir, steps: 1, stepsPerEpoch: 1, checkpointEvery: 1, resume: true, progress: false, batches: () => { throw new Error("no batch is drawn"); } }),
      /random stream comes from mulberry32.*Start a new run/,
    );
  });
});
