import { test } from "node:test";
import assert from "node:assert/strict";
import { auroc, averagePrecision, evaluateMultilabel, macroAuroc } from "../../src/eval/metrics.js";
import { Rng } from "../../src/utils/rng.js";
import { bootstrapInterval, drawCounts, prepare, quantileSorted, weightedMetrics } from "../../src/eval/bootstrap.js";
import { rankColumn, rankedMetrics } from "../../src/eval/ranking.js";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("auroc: hand-computed cases", () => {
  // Pairs (pos, neg): (0.35,0.1) ok, (0.35,0.4) wrong, (0.8,·) ok ×2 → 3/4.
  close(auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  close(auroc([0, 1], [0, 1]), 1);
  close(auroc([1, 0], [0, 1]), 0);
  // 3 positives × 2 negatives: scores pos {3,1,5}, neg {2,4}: wins 3>2, 5>2, 5>4 → 3/6.
  close(auroc([1, 0, 1, 0, 1], [3, 2, 1, 4, 5]), 0.5);
});

test("auroc: ties count one half", () => {
  close(auroc([0, 1], [0.5, 0.5]), 0.5);
  close(auroc([0, 1, 0, 1], [0.2, 0.2, 0.7, 0.9]), (0.5 + 2) / 4);
  close(auroc([0, 0, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]), 0.5);
});

test("averagePrecision: hand-computed cases", () => {
  // Thresholds high→low: 0.8 (P=1, R=.5), 0.4 (FP), 0.35 (P=2/3, R=1) → .5·1 + .5·2/3.
  close(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.5 + 1 / 3);
  // One tie group holding everything: precision = prevalence.
  close(averagePrecision([0, 1, 1, 0], [1, 1, 1, 1]), 0.5);
  close(averagePrecision([1, 1], [0.1, 0.2]), 1);
});

test("NaN labels are ignored together with their scores", () => {
  const y = [0, NaN, 1, NaN, 1, 0];
  const s = [0.1, 0.99, 0.35, -5, 0.8, 0.4];
  close(auroc(y, s), auroc([0, 1, 1, 0], [0.1, 0.35, 0.8, 0.4]));
  close(averagePrecision(y, s), averagePrecision([0, 1, 1, 0], [0.1, 0.35, 0.8, 0.4]));
});

test("one class only throws a clear error; bad inputs throw", () => {
  assert.throws(() => auroc([1, 1, NaN], [0.1, 0.2, 0.3]), /only one class present \(nPos=2, nNeg=0, nMissing=1\)/);
  assert.throws(() => auroc([0, 0], [0.1, 0.2]), /only one class/);
  assert.throws(() => averagePrecision([0, 0], [0.1, 0.2]), /no positive label/);
  assert.throws(() => auroc([0, 1], [0.1]), /yTrue has 2 values but yScore has 1/);
  assert.throws(() => auroc([0, 2], [0.1, 0.2]), /labels must be 0, 1 or NaN/);
  assert.throws(() => auroc([0, 1], [0.1, NaN]), /score at row 1 is NaN/);
});

function synthetic(n: number, L: number, seed: number) {
  const rng = new Rng(seed);
  const y = new Float64Array(n * L);
  const s = new Float64Array(n * L);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < L; l++) {
      const pos = rng.next() < 0.1 + 0.1 * l ? 1 : 0;
      y[i * L + l] = pos;
      s[i * L + l] = Math.round((rng.normal() + pos) * 20) / 20; // ties
    }
  }
  return { y, s };
}

test("evaluateMultilabel: one-class labels are excluded and reported, never averaged", () => {
  const n = 200;
  const L = 3;
  const { y, s } = synthetic(n, L, 1);
  for (let i = 0; i < n; i++) y[i * L + 1] = 0; // label "B" has no positive
  y[0 * L + 2] = NaN;
  const ev = evaluateMultilabel(y, s, L, ["A", "B", "C"], { bootstrap: 0 });
  assert.deepEqual(ev.perLabel.map((p) => p.label), ["A", "C"]);
  assert.equal(ev.excluded.length, 1);
  assert.equal(ev.excluded[0]!.label, "B");
  assert.equal(ev.excluded[0]!.nPos, 0);
  assert.match(ev.excluded[0]!.reason, /only negative labels/);
  assert.equal(ev.perLabel[1]!.nMissing, 1);
  close(ev.macroAuroc, (ev.perLabel[0]!.auroc + ev.perLabel[1]!.auroc) / 2);
  const col = (l: number) => ({
    y: Array.from({ length: n }, (_, i) => y[i * L + l]!),
    s: Array.from({ length: n }, (_, i) => s[i * L + l]!),
  });
  close(ev.perLabel[1]!.auroc, auroc(col(2).y, col(2).s));
  close(ev.perLabel[1]!.auprc, averagePrecision(col(2).y, col(2).s));
  assert.deepEqual(macroAuroc(y, s, L).labels, [0, 2]);
  close(macroAuroc(y, s, L).value, ev.macroAuroc);
});

test("evaluateMultilabel: input and option validation", () => {
  const y = new Float64Array([0, 1, 1, 0]);
  assert.throws(() => evaluateMultilabel(y, y, 2, ["a"]), /1 label names for numLabels=2/);
  assert.throws(() => evaluateMultilabel(y, new Float64Array(3), 2, ["a", "b"]), /must both have N×2 values/);
  assert.throws(
    () => evaluateMultilabel(y, y, 2, ["a", "b"], { boot: 10 } as never),
    /unknown option "boot"; valid options: bootstrap, seed, ci/,
  );
  assert.throws(() => evaluateMultilabel(new Float64Array([0, 0]), new Float64Array([1, 2]), 1, ["a"]), /no label has both classes/);
});

test("bootstrap CIs: seeded-deterministic, contain the point estimate, basic mirrors percentile", () => {
  const { y, s } = synthetic(300, 4, 7);
  const names = ["a", "b", "c", "d"];
  const a = evaluateMultilabel(y, s, 4, names, { bootstrap: 300, seed: 5 });
  const b = evaluateMultilabel(y, s, 4, names, { bootstrap: 300, seed: 5 });
  const c = evaluateMultilabel(y, s, 4, names, { bootstrap: 300, seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.macroAurocCi, c.macroAurocCi);
  for (const ci of [a.macroAurocCi!, a.macroAuprcCi!, ...a.perLabel.flatMap((p) => [p.aurocCi!, p.auprcCi!])]) {
    assert.equal(ci.nValid, 300);
    assert.ok(ci.percentile.lo < ci.percentile.hi);
    assert.ok(ci.basic.lo < ci.basic.hi);
  }
  const m = a.macroAurocCi!;
  assert.ok(m.basic.lo <= a.macroAuroc && a.macroAuroc <= m.basic.hi);
  assert.ok(m.percentile.lo <= a.macroAuroc && a.macroAuroc <= m.percentile.hi);
  close(m.basic.lo, 2 * a.macroAuroc - m.percentile.hi);
  close(m.basic.hi, 2 * a.macroAuroc - m.percentile.lo);
  assert.deepEqual(a.bootstrap, { resamples: 300, seed: 5, ci: 0.95 });
});

test("weighted bootstrap metrics equal the metrics of the materialised resample", () => {
  const n = 150;
  const { y, s } = synthetic(n, 1, 11);
  y[3] = NaN;
  const r = rankColumn(y, s);
  const p = prepare(r, n);
  const rng = new Rng(3);
  const counts = new Int32Array(n);
  const out = new Float64Array(2);
  for (let rep = 0; rep < 20; rep++) {
    drawCounts(rng, counts);
    assert.equal(counts.reduce((acc, c) => acc + c, 0), n);
    const ym: number[] = [];
    const sm: number[] = [];
    counts.forEach((c, i) => {
      for (let k = 0; k < c; k++) {
        ym.push(y[i]!);
        sm.push(s[i]!);
      }
    });
    weightedMetrics(p, counts, n, out);
    close(out[0]!, auroc(ym, sm), 1e-12);
    close(out[1]!, averagePrecision(ym, sm), 1e-12);
    // And the generic weighted pass agrees with the specialised one.
    const g = rankedMetrics(r, counts, new Float64Array(2));
    close(g[0]!, out[0]!, 1e-12);
    close(g[1]!, out[1]!, 1e-12);
  }
});

test("quantileSorted interpolates linearly (numpy default) and bootstrapInterval drops NaN", () => {
  const xs = [1, 2, 3, 4];
  close(quantileSorted(xs, 0), 1);
  close(quantileSorted(xs, 1), 4);
  close(quantileSorted(xs, 0.5), 2.5);
  close(quantileSorted(xs, 0.025), 1 + 3 * 0.025);
  const ci = bootstrapInterval(2.5, [1, NaN, 2, 3, 4], 0.5);
  assert.equal(ci.nValid, 4);
  close(ci.percentile.lo, 1.75);
  close(ci.percentile.hi, 3.25);
  close(ci.basic.lo, 1.75);
  close(ci.basic.hi, 3.25);
});

test("Rng: seeded streams, sample without replacement", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  for (let i = 0; i < 5; i++) assert.equal(a.nextUint32(), b.nextUint32());
  const idx = new Rng(1).sample(100, 10);
  assert.equal(idx.length, 10);
  assert.equal(new Set(idx).size, 10);
  for (let i = 1; i < idx.length; i++) assert.ok(idx[i]! > idx[i - 1]!);
  assert.throws(() => new Rng(1).sample(3, 4), /need 0 <= k <= n/);
});
