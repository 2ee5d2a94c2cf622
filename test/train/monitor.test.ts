/**
 * Pretraining monitors in the loop (src/train/monitor.ts, src/eval/model_monitor.ts): when a reading is due,
 * how it is written, what monitorModel reads from a model (against the pure monitor functions on features
 * from model.encode), that it changes nothing and leaks nothing, and trainRun with a monitor: the metrics.csv
 * columns filled exactly on the monitored steps, the same values after an interrupted and resumed run, and
 * the checkpoints kept by `keepSteps`.
 */
import "../eval/tf_setup.js";
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, it } from "node:test";
import { MONITOR_COLUMNS, METRICS_COLUMNS } from "../../src/io/metrics_csv.js";
import { checkpointShards } from "../../src/io/checkpoint.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { effectiveRank, featureStd, knnMacroAuroc, prototypeUsage } from "../../src/eval/monitors.js";
import { modelMonitor, monitorModel, type MonitorImages } from "../../src/eval/model_monitor.js";
import { monitorDue, monitorFields, monitorText, type MonitorRow } from "../../src/train/monitor.js";
import { keptCheckpoint, trainRun } from "../../src/train/run.js";
import { pretrain, type StepReport } from "../../src/train/pretrain.js";
import { Rng } from "../../src/utils/rng.js";
import { metricsWithoutTiming } from "../helpers/train_run.js";
import { batches, CONFIG, captureStderr } from "./run_fixtures.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-monitor-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const SIZE = CONFIG.randSize; // 32
const CH = CONFIG.vit.inChans;
const L = 3;

/** `n` random images in [-1, 1] and L labels, each label with both classes (row i of label l is 1 when (i + l) % 3 === 0). */
function images(n: number, seed: number, nanAt?: number): MonitorImages {
  const rng = new Rng(seed);
  const labels = new Float32Array(n * L);
  for (let i = 0; i < n; i++) for (let l = 0; l < L; l++) labels[i * L + l] = (i + l) % 3 === 0 ? 1 : 0;
  if (nanAt !== undefined) labels[nanAt] = NaN;
  return { images: rng.uniformArray(n * SIZE * SIZE * CH, -1, 1) as Float32Array, n, size: SIZE, channels: CH, labels };
}
const BANK = images(24, 1, 4);
const QUERY = images(14, 2);

const reading = (o: Partial<MonitorRow> = {}): MonitorRow => ({
  step: 4, knnAuroc: 0.6123456789, effectiveRank: 11.04, featureStd: 0.0625, featureStdRef: 0.125,
  protoEntropy: 2.5, protoMeanEntropy: 1.0000004, protosInUse: 9, seconds: 0.25, ...o,
});

describe("monitorDue, monitorFields, monitorText", () => {
  it("monitorDue: every `every` steps and at the last step; never with every = 0", () => {
    const due = (every: number, last: number) => Array.from({ length: last }, (_, i) => i + 1).filter((s) => monitorDue(s, every, last));
    assert.deepEqual(due(2, 5), [2, 4, 5]);
    assert.deepEqual(due(3, 9), [3, 6, 9]);
    assert.deepEqual(due(1, 3), [1, 2, 3]);
    assert.deepEqual(due(10, 4), [4]);
    assert.deepEqual(due(0, 4), []);
    assert.equal(monitorDue(0, 2, 5), true, "step 0 is a multiple (the loop only asks after a step)");
  });

  it("monitorFields: six fields in MONITOR_COLUMNS order, integers plain, others to 6 decimals; empty without a reading", () => {
    assert.deepEqual(monitorFields(undefined), ["", "", "", "", "", ""]);
    assert.equal(monitorFields(undefined).length, MONITOR_COLUMNS.length);
    assert.deepEqual(monitorFields(reading()), ["0.612346", "11.040000", "0.062500", "2.500000", "1.000000", "9"]);
    assert.deepEqual(monitorFields(reading({ knnAuroc: 1, effectiveRank: 3, protosInUse: 16 })), ["1", "3", "0.062500", "2.500000", "1.000000", "16"]);
    assert.deepEqual(monitorFields(reading({ knnAuroc: NaN })).slice(0, 1), ["NaN"]);
  });

  it("monitorText: kNN to 3 places, rank to 1, std relative to 1/√D, prototypes in use of K", () => {
    assert.equal(monitorText(reading(), 16), "kNN 0.612  rank 11.0  std 0.50/√D  protos 9/16");
    assert.equal(monitorText(reading({ knnAuroc: 0.5, effectiveRank: 1.96, featureStd: 0.125, protosInUse: 1 }), 1024), "kNN 0.500  rank 2.0  std 1.00/√D  protos 1/1024");
  });
});

/** Every variable of the model (anchor, target, optimizer moments) as name → values. */
function weights(model: MultimodalMSN): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [prefix, store] of [["anchor/", model.anchorParams], ["target/", model.targetParams]] as const) {
    for (const [name, v] of store.vars) out.set(prefix + name, Float32Array.from(v.dataSync() as Float32Array));
  }
  for (const [prefix, map] of [["m/", model.optimizer.m], ["v/", model.optimizer.v]] as const) for (const [name, v] of map) out.set(prefix + name, Float32Array.from(v.dataSync() as Float32Array));
  return out;
}

/** Target-encoder features and prototype assignments of a whole set in one forward. */
function direct(model: MultimodalMSN, set: MonitorImages): { features: Float32Array; probs: Float32Array; dim: number } {
  return tf.tidy(() => {
    const cls = model.encode(tf.tensor4d(set.images, [set.n, set.size, set.size, set.channels]));
    const probs = model.prototypeAssignments(cls);
    const features = cls.dataSync() as Float32Array;
    return { features, probs: probs.dataSync() as Float32Array, dim: cls.shape[1] };
  });
}

describe("monitorModel", () => {
  it("reads k-NN AUROC, rank, std and prototype usage equal to the pure functions on model.encode features, and leaves no tensor", async () => {
    const model = new MultimodalMSN("test");
    try {
      const tensors = tf.memory().numTensors;
      const m = await monitorModel(model, { every: 1, bank: BANK, query: QUERY });
      assert.equal(tf.memory().numTensors, tensors, "no tensor left behind");
      assert.equal(model.step, 0);

      const bank = direct(model, BANK);
      const query = direct(model, QUERY);
      const D = CONFIG.vit.embedDim;
      assert.equal(query.dim, D);
      const knn = knnMacroAuroc({ features: bank.features, labels: BANK.labels, n: BANK.n, dim: D }, { features: query.features, labels: QUERY.labels, n: QUERY.n, dim: D }, { k: 20 });
      assert.deepEqual(knn.labels, [0, 1, 2]);
      assert.equal(m.knnAuroc, knn.macroAuroc);
      assert.equal(m.effectiveRank, effectiveRank(query.features, QUERY.n, D));
      const std = featureStd(query.features, QUERY.n, D);
      assert.equal(m.featureStd, std.meanStd);
      assert.equal(m.featureStdRef, 1 / Math.sqrt(D));
      const K = CONFIG.numPrototypes;
      assert.equal(query.probs.length, QUERY.n * K);
      const usage = prototypeUsage(query.probs, QUERY.n, K);
      assert.equal(m.protoEntropy, usage.entropyOfMean);
      assert.equal(m.protoMeanEntropy, usage.meanEntropy);
      assert.equal(m.protosInUse, usage.inUse);
      assert.ok(m.protosInUse >= 1 && m.protosInUse <= K, `protos in use ${m.protosInUse} of ${K}`);
      assert.ok(m.protoEntropy <= Math.log(K) + 1e-9 && m.protoMeanEntropy <= m.protoEntropy + 1e-9);
      assert.ok(m.effectiveRank > 1 && m.effectiveRank <= QUERY.n, `rank ${m.effectiveRank}`);
      assert.ok(m.knnAuroc >= 0 && m.knnAuroc <= 1);
      assert.equal(m.step, 0);
      assert.ok(m.seconds > 0);

      // k and batchSize are passed on: k = 5 is the pure function's with k = 5; the encoder features, hence the
      // feature monitors, do not depend on the batches (5 + 5 + 4 images here).
      const m5 = await monitorModel(model, { every: 1, bank: BANK, query: QUERY, k: 5, batchSize: 5 });
      assert.equal(tf.memory().numTensors, tensors);
      const knn5 = knnMacroAuroc({ features: bank.features, labels: BANK.labels, n: BANK.n, dim: D }, { features: query.features, labels: QUERY.labels, n: QUERY.n, dim: D }, { k: 5 });
      assert.equal(m5.knnAuroc, knn5.macroAuroc);
      assert.equal(m5.effectiveRank, m.effectiveRank);
      assert.equal(m5.featureStd, m.featureStd);

      // The model's step is the reading's step; modelMonitor passes `every` on.
      model.step = 7;
      const mon = modelMonitor({ every: 3, bank: BANK, query: QUERY });
      assert.equal(mon.every, 3);
      assert.equal((await mon.read(model)).step, 7);
      assert.equal(tf.memory().numTensors, tensors);
    } finally {
      model.dispose();
    }
  });

  it("does not change the model: every variable (BatchNorm running buffers included) keeps its values", async () => {
    const model = new MultimodalMSN("test");
    try {
      const before = weights(model);
      await monitorModel(model, { every: 1, bank: BANK, query: QUERY });
      const changed = [...weights(model)].filter(([name, v]) => !before.get(name)!.every((x, i) => Object.is(x, v[i]))).map(([name]) => name);
      assert.deepEqual(changed, [], `monitorModel changed ${changed.join(", ")}`);
      assert.equal(model.step, 0);
    } finally {
      model.dispose();
    }
  });

  it("prototype usage does not depend on how the query set is cut into encoder batches", async () => {
    const model = new MultimodalMSN("test");
    try {
      const [a, b] = [await monitorModel(model, { every: 1, bank: BANK, query: QUERY }), await monitorModel(model, { every: 1, bank: BANK, query: QUERY, batchSize: 13 })];
      assert.deepEqual([b.protoEntropy, b.protoMeanEntropy, b.protosInUse], [a.protoEntropy, a.protoMeanEntropy, a.protosInUse]);
    } finally {
      model.dispose();
    }
  });

  it("refuses empty or mismatched monitor sets", async () => {
    const model = new MultimodalMSN("test");
    try {
      await assert.rejects(monitorModel(model, { every: 1, bank: BANK, query: { ...QUERY, n: 1, images: QUERY.images.subarray(0, SIZE * SIZE * CH), labels: QUERY.labels.subarray(0, L) } }), /monitor: query images/);
      await assert.rejects(monitorModel(model, { every: 1, bank: { ...BANK, labels: BANK.labels.subarray(0, BANK.n * 2) }, query: QUERY }), /monitor: the bank and query sets have different label counts/);
      assert.throws(() => modelMonitor({ every: 0, bank: BANK, query: QUERY }), /monitor: every/);
    } finally {
      model.dispose();
    }
  });
});

const MONITOR_AT = METRICS_COLUMNS.indexOf("knn_auroc");
const csvRows = (dir: string): string[][] => readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
const monitorCells = (row: string[]) => row.slice(MONITOR_AT, MONITOR_AT + MONITOR_COLUMNS.length);
const opts = (dir: string, steps: number) => ({ dir, steps, stepsPerEpoch: 4, checkpointEvery: 2, progress: false, batches: (s: number) => batches(s), monitor: modelMonitor({ every: 2, bank: BANK, query: QUERY }) });

describe("trainRun with a monitor", () => {
  it("fills the monitor columns exactly on the rows of steps 2, 4 and 5 (of 5), with the readings' values, and leaks no tensor", async () => {
    const dir = join(TMP, "whole");
    const tensors = tf.memory().numTensors;
    const reports: StepReport[] = [];
    const r = await trainRun(CONFIG, { ...opts(dir, 5), onStep: (s) => void reports.push(s) });
    let final: MonitorRow;
    try {
      assert.equal(r.model.step, 5);
      final = await monitorModel(r.model, { every: 2, bank: BANK, query: QUERY });
    } finally {
      r.model.dispose();
    }
    assert.equal(tf.memory().numTensors, tensors, "no tensor left after the run and the model's disposal");

    const rows = csvRows(dir);
    assert.equal(rows.length, 5);
    assert.deepEqual(rows.map((f) => f.length), [16, 16, 16, 16, 16]);
    assert.deepEqual(rows.map((f) => f[0]), ["0", "1", "2", "3", "4"]);
    const filled = rows.map((f) => monitorCells(f).every((v) => v !== ""));
    const empty = rows.map((f) => monitorCells(f).every((v) => v === ""));
    assert.deepEqual(filled, [false, true, false, true, true]);
    assert.deepEqual(empty, [true, false, true, false, false]);
    // The row holds the reading made after that step (steps taken = row step + 1), as the loop reported it.
    assert.deepEqual(reports.map((s) => s.monitor?.step), [undefined, 2, undefined, 4, 5]);
    reports.forEach((s, i) => assert.deepEqual(monitorCells(rows[i]!), monitorFields(s.monitor)));
    // The last reading is what monitorModel reads from the returned model.
    assert.deepEqual(monitorCells(rows[4]!), monitorFields(final));
    assert.equal(final.step, 5);
    // The monitor changes nothing the training reads: the other columns equal an unmonitored run's.
    const plain = join(TMP, "plain");
    const p = await trainRun(CONFIG, { ...opts(plain, 5), monitor: undefined });
    p.model.dispose();
    assert.deepEqual(csvRows(plain).map((f) => f.slice(0, MONITOR_AT)), rows.map((f) => f.slice(0, MONITOR_AT)));
    assert.ok(csvRows(plain).every((f) => monitorCells(f).every((v) => v === "")));
    for (const f of [rows[1]!, rows[3]!, rows[4]!]) {
      const [knn, rank, std, , , inUse] = monitorCells(f).map(Number);
      assert.ok(knn! >= 0 && knn! <= 1 && rank! > 1 && std! > 0 && Number.isInteger(inUse) && inUse! >= 1 && inUse! <= CONFIG.numPrototypes, f.join(","));
    }
  });

  it("a run interrupted at a checkpoint and resumed writes the same metrics.csv (monitor values included) as the uninterrupted run", async () => {
    const dir = join(TMP, "resumed");
    // SIGTERM while batch 2 is drawn: step 2 (0-based) finishes, a checkpoint at 3 steps is saved (not a monitored step).
    const { value: first } = await captureStderr(() =>
      trainRun(CONFIG, { ...opts(dir, 5), checkpointEvery: 100, batches: (s) => batches(s, async (k) => void (k === 2 && process.emit("SIGTERM"))) }),
    );
    assert.equal(first.interrupted, true);
    assert.equal(first.model.step, 3);
    first.model.dispose();
    assert.equal(csvRows(dir).length, 3);
    const { value: second } = await captureStderr(() => trainRun(CONFIG, { ...opts(dir, 5), resume: true }));
    assert.equal(second.startStep, 3);
    assert.equal(second.model.step, 5);
    second.model.dispose();
    const wholeDir = join(TMP, "whole");
    if (!existsSync(join(wholeDir, "metrics.csv"))) (await trainRun(CONFIG, opts(wholeDir, 5))).model.dispose(); // when run alone
    const whole = metricsWithoutTiming(wholeDir);
    assert.equal(whole.length, 6, "header and 5 rows");
    assert.deepEqual(metricsWithoutTiming(dir), whole);
    assert.ok(whole[4]!.split(",")[MONITOR_AT] !== "", "the compared rows hold readings");
  });

  it("pretrain reads the monitor every `every` steps and at the last step of each call", async () => {
    const model = new MultimodalMSN(CONFIG);
    try {
      const seen: (number | undefined)[] = [];
      const monitor = modelMonitor({ every: 2, bank: BANK, query: QUERY });
      const onStep = (r: StepReport) => void seen.push(r.monitor?.step);
      await pretrain(model, batches(0), { steps: 3, stepsPerEpoch: 4, progress: false, monitor, onStep });
      assert.deepEqual(seen, [undefined, 2, 3]);
      await pretrain(model, batches(3), { steps: 2, stepsPerEpoch: 4, progress: false, monitor, onStep });
      assert.deepEqual(seen, [undefined, 2, 3, 4, 5]);
      assert.equal(model.step, 5);
    } finally {
      model.dispose();
    }
  });

  it("keepSteps: [2, 3] leaves loadable checkpoints of steps 2 and 3 in checkpoints/step-N", async () => {
    const dir = join(TMP, "kept");
    const r = await trainRun(CONFIG, { dir, steps: 4, stepsPerEpoch: 4, checkpointEvery: 3, progress: false, batches: (s) => batches(s), keepSteps: [2, 3] });
    r.model.dispose();
    assert.deepEqual(readdirSync(join(dir, "checkpoints")).sort(), ["step-2", "step-3"]);
    assert.equal(keptCheckpoint(dir, 2), join(dir, "checkpoints", "step-2"));
    const loaded = [2, 3].map((s) => MultimodalMSN.load(keptCheckpoint(dir, s)));
    try {
      assert.deepEqual(loaded.map((m) => m.step), [2, 3]);
      const [w2, w3] = loaded.map(weights) as [Map<string, Float32Array>, Map<string, Float32Array>];
      assert.notDeepEqual(w2.get("anchor/prototypes"), w3.get("anchor/prototypes"), "different steps, different weights");
    } finally {
      for (const m of loaded) m.dispose();
    }
    // The kept step-3 checkpoint is the regular one written at step 3 (checkpointEvery 3): same state, same bytes.
    // The regular checkpoint has moved on to step 4 by now, so compare with a second run stopped at 3.
    const ref = join(TMP, "kept-ref");
    const r3 = await trainRun(CONFIG, { dir: ref, steps: 3, stepsPerEpoch: 4, checkpointEvery: 3, progress: false, batches: (s) => batches(s) });
    r3.model.dispose();
    const [a, b] = [keptCheckpoint(dir, 3), join(ref, "checkpoint")].map((d) => checkpointShards(d));
    assert.deepEqual(a!.map((p) => basename(p)), b!.map((p) => basename(p)));
    assert.deepEqual(readFileSync(a![0]!), readFileSync(b![0]!));
    assert.ok(!existsSync(keptCheckpoint(dir, 4)));
    assert.equal(JSON.parse(readFileSync(join(dir, "checkpoint", "model.json"), "utf8")).state.step, 4);
  });
});
