/** The protocols in the official probe mode (training images) and the official loaders' drop_last quirks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "./tf_setup.js";
import {
  dropIncompleteBatch,
  dropNoFindingOnly,
  labelFractionSweep,
  mimicProtocol,
  nih14Protocol,
  probeMode,
  type ImageTrainSplits,
} from "../../src/eval/protocols.js";
import { OFFICIAL_PROBE_OPTIONS } from "../../src/eval/probe_options.js";
import type { ImageTrainSet, LabeledFeatures, TrainPass } from "../../src/eval/types.js";
import { separableSet } from "./helpers.js";
import { fastOrderSet } from "./image_helpers.js";

const D = 6;
const L = 3;
const train = separableSet(320, D, L, 1);
const val = separableSet(200, D, L, 2);
const testSet = separableSet(600, D, L, 3);
const probe = { learningRate: 1e-2, maxEpochs: 3, patience: 100 } as const;
const evaluate = { bootstrap: 0 } as const;
const officialSchedule = { scheduler: OFFICIAL_PROBE_OPTIONS.scheduler, valAurocDecimals: OFFICIAL_PROBE_OPTIONS.valAurocDecimals };

test("dropIncompleteBatch: ⌊n/64⌋·64 rows kept; the last rows, or a seeded random subset", () => {
  const last = dropIncompleteBatch(testSet, 64);
  assert.equal(last.dropped, 600 - 576);
  assert.equal(last.set.n, 576);
  assert.deepEqual(last.set.features, testSet.features.subarray(0, 576 * D));
  assert.deepEqual(last.set.labels, testSet.labels.subarray(0, 576 * L));
  const random = dropIncompleteBatch(testSet, 64, 7);
  assert.equal(random.set.n, 576);
  assert.notDeepEqual(random.set.features, last.set.features);
  assert.deepEqual(random.set.features, dropIncompleteBatch(testSet, 64, 7).set.features);
  const full = separableSet(128, D, L, 4);
  assert.equal(dropIncompleteBatch(full, 64).set, full);
  assert.throws(() => dropIncompleteBatch(separableSet(63, D, L, 4), 64), /63 rows make no full batch of 64/);
});

test("dropLastTestBatch / dropLastValBatch: the official loaders' drop_last on test and validation", async () => {
  const plain = await mimicProtocol({ train, val, test: testSet }, { probe, evaluate });
  assert.equal(plain.evaluation.n, 600);
  assert.deepEqual(plain.notes, []);
  const quirk = await mimicProtocol({ train, val, test: testSet }, { probe, evaluate, dropLastTestBatch: true, dropLastValBatch: true });
  assert.equal(quirk.evaluation.n, 576);
  assert.deepEqual(quirk.notes, [
    "val: dropped the last incomplete batch of 64 (official drop_last): 8 of 200 rows",
    "test: dropped the last incomplete batch of 64 (official drop_last): 24 of 600 rows",
  ]);
  // Early stopping saw 192 validation rows: another validation value than with all 200.
  assert.notEqual(quirk.training!.history[0]!.valMacroAuroc, plain.training!.history[0]!.valMacroAuroc);
  // NIH-14 drops the last rows (file order), after the "No Finding" filter.
  const nih = await nih14Protocol({ train: withNoFinding(train), val: withNoFinding(val), test: withNoFinding(testSet) }, { probe, evaluate, dropLastTestBatch: true });
  const nTest = dropNoFindingOnly(withNoFinding(testSet)).set.n;
  assert.equal(nih.evaluation.n, Math.floor(nTest / 64) * 64);
  await assert.rejects(mimicProtocol({ train, val, test: testSet }, { dropLastTest: true } as never), /valid options: probe, evaluate, dropLastValBatch, dropLastTestBatch/);
});

test("mimicProtocol with training images trains in the official mode; unaugmented in the fast order it equals the fast mode", async () => {
  const splits: ImageTrainSplits = { train: fastOrderSet(train, 24, 40), val, test: testSet };
  assert.equal(probeMode(splits), "official");
  assert.equal(probeMode({ train, val, test: testSet }), "fast");
  const before = tf.memory().numTensors;
  const official = await mimicProtocol(splits, { probe, evaluate });
  assert.equal(tf.memory().numTensors, before);
  // The official mode defaults to the cosine schedule and rounded validation AUROC; the fast mode takes them as options.
  const fast = await mimicProtocol({ train, val, test: testSet }, { probe: { ...probe, ...officialSchedule }, evaluate });
  assert.deepEqual(official.probe.weights, fast.probe.weights);
  assert.equal(official.evaluation.macroAuroc, fast.evaluation.macroAuroc);
  assert.deepEqual(official.notes, ["probe mode official: augmented training images through the frozen encoder every epoch"]);
  assert.equal(official.training!.history[0]!.lr, 1e-2 * 1, "official defaults: cosine, first epoch at the base rate");
  assert.ok(official.training!.history[1]!.lr < 1e-2);
});

test("nih14Protocol with training images: 'No Finding'-only rows never asked of the loader, the column stripped from batches", async () => {
  const trainNf = withNoFinding(train);
  const asked: TrainPass[] = [];
  const base = fastOrderSet(trainNf, 24, 50, L);
  const spy: ImageTrainSet = {
    ...base,
    batches: (p) => {
      asked.push(p);
      return base.batches(p);
    },
  };
  // The fast-order loader shuffles the rows it is asked for, which the protocol maps to kept rows: same order as the fast mode's.
  const splits = { train: spy, val: withNoFinding(val), test: withNoFinding(testSet) };
  const official = await nih14Protocol(splits, { probe, evaluate });
  const fast = await nih14Protocol({ train: trainNf, val: withNoFinding(val), test: withNoFinding(testSet) }, { probe: { ...probe, ...officialSchedule }, evaluate });
  assert.deepEqual(official.probe.labelNames, ["L0", "L1", "L2"]);
  assert.deepEqual(official.probe.weights, fast.probe.weights);
  assert.deepEqual(official.notes.slice(0, 3), fast.notes);
  const nf = trainNf.labelNames.indexOf("No Finding");
  for (const p of asked) for (const r of p.rows) assert.notEqual(trainNf.labels[r * (L + 1) + nf], 1, `row ${r} is "No Finding"-only`);
  assert.equal(official.training!.nTrain, dropNoFindingOnly(trainNf).set.n);
});

test("labelFractionSweep with training images: the loader is asked for the seeded subset", async () => {
  const asked: number[] = [];
  const base = fastOrderSet(train, 24, 64);
  const runs = await labelFractionSweep(
    { train: { ...base, batches: (p) => (asked.push(p.rows.length), base.batches(p)) }, val, test: testSet },
    [0.5, 1],
    { probe: { ...probe, maxEpochs: 1 }, evaluate },
  );
  assert.deepEqual(asked, [160, 320]);
  assert.deepEqual(runs.map((r) => r.training!.nTrain), [160, 320]);
});

/** The set with a "No Finding" column appended: 1 where no other label is 1. */
function withNoFinding(fs: LabeledFeatures): LabeledFeatures {
  const labels = new Float32Array(fs.n * (L + 1));
  for (let i = 0; i < fs.n; i++) {
    let any = false;
    for (let l = 0; l < L; l++) {
      labels[i * (L + 1) + l] = fs.labels[i * L + l]!;
      any ||= fs.labels[i * L + l] === 1;
    }
    labels[i * (L + 1) + L] = any ? 0 : 1;
  }
  return { ...fs, labels, labelNames: [...fs.labelNames, "No Finding"] };
}
