/**
 * app/study/seeds.ts: a seeded study's summary from per-seed test scores: the table rows, the paired
 * comparisons and the learning curve are the functions of src/eval/paired.ts on the right score sets.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pairedBootstrap, seedMeanMacroAuroc } from "../../../src/eval/paired.js";
import type { TestScores } from "../../../src/eval/protocols.js";
import { Rng } from "../../../src/utils/rng.js";
import { learningCurveChart, learningCurveText, seedFindings, seedSummary, seedSummaryMarkdown, seedSummaryText, type SeedRun } from "../../../app/study/seeds.js";

const N = 60;
const L = 3;
const rng = new Rng(7);
const labels = Float32Array.from({ length: N * L }, (_, i) => (i % 17 === 0 ? NaN : rng.next() < 0.4 ? 1 : 0));
/** Scores that rank positives higher by `signal` (plus noise). */
const scores = (signal: number, seed: number): TestScores => {
  const r = new Rng(seed);
  return { labels, numLabels: L, logits: Float32Array.from(labels, (y) => (Number.isNaN(y) ? 0 : signal * y) + r.normal()) };
};
const METHODS = ["random init", "MSN", "MSN+EHR(demographic)"];
const run = (seed: number): SeedRun => ({
  seed,
  results: METHODS.map((method, m) => ({ method, test: scores(0.3 + 0.4 * m, 100 * seed + m), knn: scores(0.2 * m, 100 * seed + 10 + m) })),
  curve: [1, 2].flatMap((m) => [{ method: METHODS[m]!, steps: 5, test: scores(0.5, 100 * seed + 20 + m), knn: scores(0.1, 100 * seed + 30 + m) }]),
});
const RUNS = [run(24), run(25), run(26)];

describe("seedSummary", () => {
  const s = seedSummary(RUNS, 10, { resamples: 200 });

  it("rows: per-seed macro AUROC, mean ± sd, and the seed-averaged value with its interval", () => {
    assert.deepEqual(s.rows.map((r) => r.method), METHODS);
    assert.deepEqual(s.seeds, [24, 25, 26]);
    assert.equal(s.n, N);
    for (const [m, row] of s.rows.entries()) {
      const ref = seedMeanMacroAuroc(labels, RUNS.map((r) => r.results[m]!.test.logits), L, { resamples: 200 });
      assert.deepEqual(row.pooled, ref);
      assert.deepEqual(row.perSeed, ref.perSeed);
      const mean = ref.perSeed.reduce((a, b) => a + b) / 3;
      assert.ok(Math.abs(row.mean - mean) < 1e-15);
      assert.ok(Math.abs(row.sd - Math.sqrt(ref.perSeed.reduce((t, v) => t + (v - mean) ** 2, 0) / 2)) < 1e-15);
    }
  });

  it("paired: each pretrained method against random init, then the multimodal method against MSN", () => {
    assert.deepEqual(s.paired.map((p) => [p.a, p.b]), [["MSN", "random init"], ["MSN+EHR(demographic)", "random init"], ["MSN+EHR(demographic)", "MSN"]]);
    const ref = pairedBootstrap(labels, RUNS.map((r) => r.results[2]!.test.logits), RUNS.map((r) => r.results[1]!.test.logits), L, { resamples: 200 });
    assert.deepEqual(s.paired[2]!.comparison, ref);
    assert.ok(s.paired[1]!.comparison.delta > 0.1 && s.paired[1]!.comparison.pValue < 0.05, "the built-in signal is found");
  });

  it("curve: step 0 is random init, then the kept checkpoints, then the final step, per method", () => {
    assert.deepEqual(s.curve.map((p) => `${p.method}@${p.steps}`), ["MSN@0", "MSN@5", "MSN@10", "MSN+EHR(demographic)@0", "MSN+EHR(demographic)@5", "MSN+EHR(demographic)@10"]);
    const at5 = seedMeanMacroAuroc(labels, RUNS.map((r) => r.curve[0]!.test.logits), L, { resamples: 200 });
    assert.deepEqual([s.curve[1]!.value, s.curve[1]!.lo, s.curve[1]!.hi], [at5.value, at5.ci.lo, at5.ci.hi]);
    assert.equal(s.curve[0]!.value, s.rows[0]!.mean);
    assert.equal(s.curve[2]!.value, s.rows[1]!.mean);
  });

  it("the k-NN read-out uses the knn scores", () => {
    const k = seedSummary(RUNS, 10, { resamples: 200, readout: "knn" });
    assert.equal(k.readout, "knn");
    assert.deepEqual(k.rows[1]!.perSeed, seedMeanMacroAuroc(labels, RUNS.map((r) => r.results[1]!.knn!.logits), L, { resamples: 200 }).perSeed);
  });

  it("tables, chart and findings are computed from the numbers", () => {
    const text = seedSummaryText(s);
    assert.match(text, /MSN\+EHR\(demographic\) − random init\s+\+\d\.\d{3} \(\+\d\.\d{3}, \+\d\.\d{3}\)\s+(< 0\.001|0\.0\d+)/);
    assert.match(seedSummaryMarkdown(s), /paired bootstrap over the 60 test images \(200 resamples/);
    assert.match(learningCurveText(s), /^steps\s+MSN\s+MSN\+EHR\(demographic\)\n/);
    const chart = JSON.stringify(learningCurveChart([s, seedSummary(RUNS, 10, { resamples: 200, readout: "knn" })], "t"));
    assert.match(chart, /"readout":"linear probe"/);
    assert.match(chart, /"readout":"k-NN \(k 20\)"/);
    const f = seedFindings(s);
    assert.match(f[1]!, /^\*\*MSN\+EHR\(demographic\) vs random init \(linear probe\):\*\* Δ \+\d\.\d{3} .*; MSN\+EHR\(demographic\) is above random init, on every seed; higher on 3 of 3 seeds\.$/);
    assert.match(f.at(-1)!, /^\*\*Learning curve of MSN\+EHR\(demographic\) \(linear probe\):\*\* 0: \d\.\d{3}, 5: \d\.\d{3}, 10: \d\.\d{3}; highest at \d+ steps/);
  });

  it("refuses seeds scored on other test rows, other methods, or a missing read-out", () => {
    const other = run(27);
    const shifted = { ...other, results: other.results.map((r, i) => (i === 1 ? { ...r, test: { ...r.test, labels: Float32Array.from(labels, (v) => (v === 1 ? 0 : v)) } } : r)) };
    assert.throws(() => seedSummary([RUNS[0]!, shifted], 10), /MSN of seed 27 was scored on other test rows than random init of seed 24; a paired comparison needs the same test images/);
    assert.throws(() => seedSummary([RUNS[0]!, { ...other, results: other.results.slice(0, 2) }], 10), /seed 27 has methods random init, MSN, seed 24 has/);
    assert.throws(() => seedSummary([{ ...RUNS[0]!, results: RUNS[0]!.results.map(({ method, test }) => ({ method, test })) }], 10, { readout: "knn" }), /random init has no knn scores/);
  });
});
