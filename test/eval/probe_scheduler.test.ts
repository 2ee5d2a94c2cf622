/** The probe's learning-rate schedulers follow torch's CosineAnnealingLR and ReduceLROnPlateau. */
import assert from "node:assert/strict";
import { test } from "node:test";
import "./tf_setup.js";
import { trainLinearProbe, type EpochLog } from "../../src/eval/linear_probe.js";
import { separableSet } from "./helpers.js";

const train = separableSet(300, 6, 2, 1);
const val = separableSet(100, 6, 2, 2);

test("cosine: lr_e = lr·(1 + cos(π(e−1)/T))/2 per epoch, T = maxEpochs", async () => {
  const logs: EpochLog[] = [];
  await trainLinearProbe(train, val, { learningRate: 1e-2, maxEpochs: 6, patience: 100, scheduler: "cosine", onEpoch: (l) => logs.push(l) });
  assert.equal(logs.length, 6);
  logs.forEach((l, i) => assert.ok(Math.abs(l.lr - (1e-2 * (1 + Math.cos((Math.PI * i) / 6))) / 2) < 1e-15, `epoch ${l.epoch}: lr ${l.lr}`));
});

test("reduce: halves the learning rate after more than 3 epochs without validation improvement", async () => {
  const logs: EpochLog[] = [];
  // A vanishing learning rate freezes the probe, so validation AUROC plateaus from the first epoch.
  await trainLinearProbe(train, val, { learningRate: 1e-12, maxEpochs: 12, patience: 100, scheduler: "reduce", onEpoch: (l) => logs.push(l) });
  let best = -Infinity;
  let bad = 0;
  let lr = 1e-12;
  for (const l of logs) {
    assert.equal(l.lr, lr, `epoch ${l.epoch}`);
    if (l.valMacroAuroc > best * (1 + 1e-4)) (best = l.valMacroAuroc), (bad = 0);
    else if (++bad > 3) (lr *= 0.5), (bad = 0);
  }
  assert.ok(logs.some((l) => l.lr < 1e-12), "the plateau reduced the learning rate at least once");
});

test("an unknown scheduler is rejected with the valid choices", async () => {
  await assert.rejects(trainLinearProbe(train, val, { scheduler: "step" as never }), /scheduler must be one of "none", "cosine", "reduce"/);
});
