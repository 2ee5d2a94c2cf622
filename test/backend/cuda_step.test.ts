/**
 * One full MSN training step on the cuda backend (the GPU when there is one, else the addon's host reference
 * device) agrees with the wasm backend within 1e-4, and repeated steps leave `tf.memory().numTensors`
 * unchanged (the shared tests of test/helpers/step_parity.ts); a step copies from the device once. Skipped (loudly) when the addon is not built.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import type { CudaBackend } from "../../src/backend/cuda/backend.js";
import { msnConfig } from "../../src/config/msn.js";
import { disposeBatch } from "../../src/types/batch.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { syntheticBatch } from "../helpers/batches.js";
import { useCudaBackend } from "../helpers/cuda.js";
import { skipLoudly } from "../helpers/skip.js";
import { describeStepParity } from "../helpers/step_parity.js";

describeStepParity("cuda", async (t) => {
  const r = await useCudaBackend();
  if ("skip" in r) {
    skipLoudly(t, r.skip);
    return false;
  }
  return true;
});

describe("cuda backend: device → host copies in a training step", () => {
  it("one download per MSN step: the host never waits for the device mid-step", async (t) => {
    const r = await useCudaBackend();
    if ("skip" in r) return skipLoudly(t, r.skip);
    const be = tf.backend() as CudaBackend;
    const download = be.addon.download;
    let downloads = 0;
    be.addon.download = (buf, dst) => (downloads++, download.call(be.addon, buf, dst));
    const cfg = msnConfig("test", { ehr: { ehrIn: 4 }, optimizer: { clipGrad: 1 } });
    const model = new MultimodalMSN(cfg);
    const batch = syntheticBatch(cfg, 4);
    try {
      model.trainStep(batch);
      downloads = 0;
      model.trainStep(batch);
      assert.equal(downloads, 1, "device → host copies in one trainStep");
    } finally {
      be.addon.download = download;
      disposeBatch(batch);
      model.dispose();
    }
  });
});
