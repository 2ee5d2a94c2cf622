/** app/study/ablation.ts: the one-group EHR ablation of notebooks 04–06 on a tiny synthetic cohort. */
import "../../eval/tf_setup.js";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { msnConfig } from "../../../src/config/msn.js";
import { resolveProbeOptions } from "../../../src/eval/probe_options.js";
import {
  GROUP_ABLATION_DEFAULTS,
  ablationFindings,
  ehrCrossTab,
  ehrPreview,
  ehrShareChart,
  groupAblationData,
  labelPrevalence,
  runGroupAblation,
  type GroupAblationData,
  type GroupAblationResult,
} from "../../../app/study/ablation.js";

describe("one-group EHR ablation", () => {
  let data: GroupAblationData;
  let result: GroupAblationResult;
  let tensors: { before: number; after: number };

  before(async () => {
    data = await groupAblationData({ group: "scan", synthImages: 60, synthImageSize: 64, env: {} });
    const logged: string[] = [];
    const t0 = tf.memory().numTensors;
    result = await runGroupAblation({ data, preset: "test", model: {}, steps: 2, probe: { maxEpochs: 2, batchSize: 16 }, bootstrap: 20, onMethod: (r) => logged.push(r.method) });
    tensors = { before: t0, after: tf.memory().numTensors };
    assert.deepEqual(logged, ["random init", "MSN", "MSN+EHR(scan)"]);
  });
  after(() => data?.cleanup());

  it("groupAblationData: the synthetic cohort, its splits and the group's features linked to the training images", () => {
    assert.equal(data.synthetic, true);
    assert.equal(data.splits.train, data.train.length);
    assert.equal(data.splits.train + data.splits.validate + data.splits.test, data.mimic.length);
    assert.deepEqual(data.ehr.columns, ["PA", "LATERAL", "AP", "LL", "Erect", "Recumbent"]);
    assert.equal(data.ehr.dataset.length + data.ehr.dropped, data.train.length);
    assert.match(data.summary, /synthetic cohort: \d+ images; train \d+, validate \d+, test \d+\n\d+ of \d+ training images linked .* 6 scan features/);
    const preview = ehrPreview(data.ehr, 3);
    assert.equal(preview.length, 3);
    assert.deepEqual(Object.keys(preview[0]!), ["image", ...data.ehr.columns]);
    assert.match(JSON.stringify(ehrShareChart(data.ehr, { title: "scan" })), /Recumbent/);
    const prev = labelPrevalence(data.ehr, (r) => r.orientation, ["Support Devices", "Edema"]);
    assert.deepEqual(prev.map((r) => r.label), ["Support Devices", "Edema"]);
    const cols = Object.keys(prev[0]!).slice(1);
    assert.equal(cols.reduce((n, c) => n + +/\(n=(\d+)\)/.exec(c)![1]!, 0), data.ehr.dataset.length);
    for (const c of cols) assert.ok(Number.isNaN(prev[0]![c]) || (+prev[0]![c]! >= 0 && +prev[0]![c]! <= 1));
    assert.throws(() => labelPrevalence(data.ehr, (r) => r.view, ["Bmi"]), /no label "Bmi"/);
    const cross = ehrCrossTab(data.ehr, (r) => r.view, (r) => r.orientation);
    assert.equal(Object.values(cross).flatMap((r) => Object.values(r)).reduce((a, b) => a + b, 0), data.ehr.dataset.length);
    assert.deepEqual(Object.keys(cross), [...new Set(data.ehr.records.map((r) => r.view))].sort());
  });

  it("runGroupAblation: random init, MSN, MSN+EHR(group) as plain data; no tensors left behind", () => {
    assert.deepEqual(result.runs.map((r) => r.method), ["random init", "MSN", "MSN+EHR(scan)"]);
    assert.deepEqual(result.methods, { random: "random init", msn: "MSN", ehr: "MSN+EHR(scan)" });
    assert.deepEqual(result.runs.map((r) => r.pretraining.length), [0, 2, 2]);
    for (const r of result.runs) {
      assert.equal(r.evaluation.n, data.splits.test);
      assert.equal(r.evaluation.bootstrap?.resamples, 20);
    }
    assert.deepEqual(result.timings.map((t) => t.method), ["random init", "MSN", "MSN+EHR(scan)"]);
    assert.equal(result.timings[0]!["first → last loss"], "–");
    assert.match(result.comparison, /MSN\+EHR\(scan\)/);
    assert.ok(result.perLabel.some((r) => r.label === "macro"));
    assert.match(JSON.stringify(result.charts.auroc), /scan metadata ablation/);
    assert.match(JSON.stringify(result.charts.loss), /MSN\+EHR\(scan\)/);
    // Plain data: the whole result survives JSON (no tensors, no functions).
    assert.doesNotThrow(() => JSON.stringify(result));
    assert.equal(tensors.after, tensors.before, `tensors: ${tensors.before} → ${tensors.after}`);
  });

  it("runGroupAblation over seeds with a learning curve and monitors: segmented pretraining ends where one run does", async () => {
    const t0 = tf.memory().numTensors;
    const seeded = await runGroupAblation({ data, preset: "test", model: {}, steps: 2, probe: { maxEpochs: 2, batchSize: 16 }, bootstrap: 20, seeds: 2, curve: [1], monitorEvery: 1, monitorImages: 8 });
    assert.equal(tf.memory().numTensors, t0);
    // Seed 24 with a curve (pretrained in two segments, probed at step 1) ends with the same encoder as the run without one.
    for (const m of [1, 2]) assert.deepEqual(seeded.runs[m]!.test.logits, result.runs[m]!.test.logits, result.runs[m]!.method);
    assert.deepEqual(seeded.summaries.map((s) => [s.readout, s.seeds]), [["probe", [24, 25]], ["knn", [24, 25]]]);
    assert.deepEqual(seeded.summaries[0]!.curve.map((p) => `${p.method}@${p.steps}`), ["MSN@0", "MSN@1", "MSN@2", "MSN+EHR(scan)@0", "MSN+EHR(scan)@1", "MSN+EHR(scan)@2"]);
    // Readings after steps 1 and 2 (each segment's end is also read), for both pretrained methods.
    assert.deepEqual(Object.fromEntries(Object.entries(seeded.monitors).map(([k, v]) => [k, v.map((r) => r.step)])), { MSN: [1, 2], "MSN+EHR(scan)": [1, 2] });
    assert.match(JSON.stringify(seeded.charts.monitors), /k-NN macro AUROC/);
    assert.match(JSON.stringify(seeded.charts.curve), /"readout":"k-NN \(k 20\)"/);
    assert.doesNotThrow(() => JSON.stringify(seeded));
  });

  it("ablationFindings: computed sentences on direction, interval overlap, labels, losses and scale", () => {
    const f = ablationFindings(result, { focusLabels: ["Support Devices", "No Such Label"] });
    const text = f.join("\n");
    assert.ok(f.every((l) => l.startsWith("- ")));
    const per = /Per label:\*\* of (\d+) evaluated labels, MSN\+EHR\(scan\) is above MSN on (\d+), below on (\d+), level on (\d+)/.exec(text);
    assert.ok(per, text);
    assert.equal(+per[2]! + +per[3]! + +per[4]!, +per[1]!);
    assert.match(text, /No Such Label not evaluated/);
    assert.match(text, /Pretraining loss over 2 steps:\*\* MSN \d\.\d{3} → \d\.\d{3}/);
    assert.match(text, new RegExp(`${data.splits.test} test images, 2 steps; these bullets read the first pretraining seed: its intervals cover test-set sampling only`));
    if (result.runs.every((r) => Number.isFinite(r.evaluation.macroAuroc))) assert.match(text, /Macro AUROC:\*\* MSN\+EHR\(scan\) .* (above|below|level with) MSN .*intervals (do not )?overlap\)/);
    assert.equal(ablationFindings(result).some((l) => l.includes("Watched labels")), false);
  });

  it("the notebook defaults build the model and probe their documentation describes", () => {
    const c = msnConfig(GROUP_ABLATION_DEFAULTS.preset, GROUP_ABLATION_DEFAULTS.model);
    assert.deepEqual([c.vit.depth, c.batchSize, c.randSize, c.focalViews, c.focalSize, c.vit.inChans], [2, 16, 64, 4, 32, 1]);
    const p = resolveProbeOptions(GROUP_ABLATION_DEFAULTS.probe, "defaults");
    assert.deepEqual([p.learningRate, p.batchSize, p.maxEpochs], [1e-3, 32, 60]);
  });

  it("cleanup removes the temporary cohort", () => {
    const root = data.mimic.root;
    assert.equal(existsSync(root), true);
    data.cleanup();
    assert.equal(existsSync(root), false);
    data.cleanup(); // idempotent
  });
});
