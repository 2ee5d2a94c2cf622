/** Deterministic synthetic MSN batches for tests (the caller disposes them with disposeBatch). */
import * as tf from "@tensorflow/tfjs-core";
import type { MsnConfig } from "../../src/config/msn.js";
import type { MsnBatch } from "../../src/types/batch.js";
import { Rng } from "../../src/utils/rng.js";

/** A batch of `b` images shaped for `config`, filled from a seeded generator. */
export function syntheticBatch(config: MsnConfig, b: number, seed = 1): MsnBatch {
  const rng = new Rng(seed);
  const ch = config.vit.inChans;
  const img = (n: number, s: number) => tf.tensor4d(rng.uniformArray(n * s * s * ch, -1, 1), [n, s, s, ch]);
  return {
    target: img(b, config.randSize),
    anchors: img(config.randViews * b, config.randSize),
    focal: img(config.focalViews * b, config.focalSize),
    ehr: config.ehr.ehrIn > 0 ? tf.tensor2d(rng.uniformArray(b * config.ehr.ehrIn, 0, 1), [b, config.ehr.ehrIn]) : undefined,
  };
}
