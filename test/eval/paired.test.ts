/**
 * Paired bootstrap comparison of methods over seeds (src/eval/paired.ts): normalCdf against scipy, the
 * per-seed differences against scikit-learn's roc_auc_score, the one-seed case against evaluateMultilabel
 * (same Rng seed → same resamples), symmetry and power properties, input errors, and the test statistic
 * recomputed by hand from materialised resamples of the same Rng stream with a naive O(n²) AUROC.
 * Inputs come from a fixed mulberry32 seed and go to Python as JSON on stdin (doubles are exact in JSON).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { requirePython } from "../helpers/python.js";
import { mulberry32 } from "../helpers/mulberry32.js";
import { normalCdf, pairedBootstrap, seedMeanMacroAuroc } from "../../src/eval/paired.js";
import { drawCounts, quantileSorted } from "../../src/eval/bootstrap.js";
import { evaluateMultilabel } from "../../src/eval/metrics.js";
import { Rng } from "../../src/utils/rng.js";

function runPython(py: string, script: string, input: unknown): unknown {
  return JSON.parse(execFileSync(py, ["-c", script], { input: JSON.stringify(input), encoding: "utf8", maxBuffer: 1 << 26 }));
}

const toJson = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));

/** Standard normal draws from mulberry32 (Box–Muller). */
function normals(u: () => number, count: number): Float64Array {
  return Float64Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
}

/**
 * Labels [n, L] (0/1, with NaN at `nanRate`) and `seeds` score arrays per method; method scores are
 * signal·label + noise, rounded to 1/`grid` so that ties occur. Label `constant` (if given) is all 0 (excluded).
 */
function problem(seed: number, n: number, L: number, o: { seeds: number; signalA: number; signalB: number; nanRate?: number; grid?: number; constant?: number }) {
  const u = mulberry32(seed);
  const labels = new Float64Array(n * L);
  for (let i = 0; i < n * L; i++) {
    const l = i % L;
    labels[i] = l === o.constant ? 0 : u() < 0.25 + 0.1 * l ? 1 : 0;
    if (u() < (o.nanRate ?? 0)) labels[i] = NaN;
  }
  const grid = o.grid ?? 0;
  const scores = (signal: number) =>
    Array.from({ length: o.seeds }, () => {
      const z = normals(u, n * L);
      return Float64Array.from(z, (e, i) => {
        const y = Number.isNaN(labels[i]!) ? u() : labels[i]!;
        const s = signal * y + e;
        return grid > 0 ? Math.round(s * grid) / grid : s;
      });
    });
  return { labels, a: scores(o.signalA), b: scores(o.signalB) };
}

test("normalCdf matches scipy.stats.norm.cdf on [-8, 8] within 2e-7 absolute", (t) => {
  const py = requirePython(t, ["scipy", "numpy"], ["python3-scipy", "python3-numpy"]);
  if (!py) return;
  const xs: number[] = [];
  for (let k = 0; k <= 1600; k++) xs.push(-8 + k / 100);
  xs.push(-1e-9, 1e-9, 1.959963984540054, -1.959963984540054, 0.6744897501960817, -3.090232306167813);
  const ref = runPython(py, "import json, sys\nfrom scipy.stats import norm\nxs = json.load(sys.stdin)\njson.dump([float(norm.cdf(x)) for x in xs], sys.stdout)", xs) as number[];
  let worst = 0;
  xs.forEach((x, i) => {
    const err = Math.abs(normalCdf(x) - ref[i]!);
    worst = Math.max(worst, err);
    assert.ok(err < 2e-7, `normalCdf(${x}) = ${normalCdf(x)} vs scipy ${ref[i]} (|Δ| = ${err})`);
  });
  // Monotone and symmetric: Φ(−x) = 1 − Φ(x) up to rounding.
  for (let k = 1; k < xs.length - 6; k++) assert.ok(normalCdf(xs[k]!) >= normalCdf(xs[k - 1]!), `monotone at ${xs[k]}`);
  for (const x of [0.1, 1, 2.5, 5]) assert.ok(Math.abs(normalCdf(-x) - (1 - normalCdf(x))) < 1e-15);
  assert.ok(worst > 0, "the fit is not exact: the comparison reads real values");
});

const SKLEARN_SCRIPT = `
import json, sys
import numpy as np
from sklearn.metrics import roc_auc_score
c = json.load(sys.stdin)
n, L = c["n"], c["L"]
y = np.array([np.nan if v is None else v for v in c["labels"]], dtype=np.float64).reshape(n, L)
def macro(scores):
    s = np.array(scores, dtype=np.float64).reshape(n, L)
    aucs, labels = [], []
    for l in range(L):
        m = ~np.isnan(y[:, l])
        if len(np.unique(y[m, l])) < 2:
            continue
        aucs.append(roc_auc_score(y[m, l], s[m, l]))
        labels.append(l)
    return float(np.mean(aucs)), labels
out = []
for sa, sb in zip(c["a"], c["b"]):
    ma, la = macro(sa)
    mb, lb = macro(sb)
    out.append({"delta": ma - mb, "a": ma, "b": mb, "labels": la})
json.dump(out, sys.stdout)
`;

test("pairedBootstrap per-seed Δ equals sklearn roc_auc_score macro differences within 1e-12 (NaN labels ignored, one-class label excluded)", (t) => {
  const py = requirePython(t, ["sklearn", "numpy"], ["python3-sklearn", "python3-numpy"]);
  if (!py) return;
  const cases = [
    { n: 150, L: 4, seeds: 3, nanRate: 0.1, grid: 4, constant: 2, seed: 1 },
    { n: 97, L: 3, seeds: 2, nanRate: 0, grid: 0, constant: undefined, seed: 2 },
    { n: 60, L: 5, seeds: 1, nanRate: 0.2, grid: 2, constant: 0, seed: 3 },
  ];
  for (const c of cases) {
    const p = problem(c.seed, c.n, c.L, { seeds: c.seeds, signalA: 1.2, signalB: 0.5, nanRate: c.nanRate, grid: c.grid, constant: c.constant });
    const ref = runPython(py, SKLEARN_SCRIPT, { n: c.n, L: c.L, labels: toJson(p.labels), a: p.a.map((s) => Array.from(s)), b: p.b.map((s) => Array.from(s)) }) as { delta: number; a: number; b: number; labels: number[] }[];
    const r = pairedBootstrap(p.labels, p.a, p.b, c.L, { resamples: 50, seed: 7 });
    const what = `n=${c.n} L=${c.L} seeds=${c.seeds}`;
    assert.equal(r.perSeed.length, c.seeds);
    assert.equal(r.n, c.n);
    assert.deepEqual(r.labels, ref[0]!.labels, `${what}: averaged labels`);
    if (c.constant !== undefined) assert.ok(!r.labels.includes(c.constant), `${what}: the one-class label is excluded`);
    r.perSeed.forEach((d, s) => assert.ok(Math.abs(d - ref[s]!.delta) <= 1e-12, `${what} seed ${s}: Δ ${d} vs sklearn ${ref[s]!.delta}`));
    const meanRef = ref.reduce((acc, x) => acc + x.delta, 0) / ref.length;
    assert.ok(Math.abs(r.delta - meanRef) <= 1e-12, `${what}: mean Δ ${r.delta} vs ${meanRef}`);
    // The seed-averaged macro AUROC of each method against sklearn too.
    const ma = seedMeanMacroAuroc(p.labels, p.a, c.L, { resamples: 20 });
    ma.perSeed.forEach((v, s) => assert.ok(Math.abs(v - ref[s]!.a) <= 1e-12, `${what} seed ${s}: A ${v} vs ${ref[s]!.a}`));
    assert.ok(Math.abs(ma.value - ref.reduce((acc, x) => acc + x.a, 0) / ref.length) <= 1e-12);
    assert.ok(r.delta > 0, `${what}: A has the stronger signal (Δ = ${r.delta})`);
  }
});

test("seedMeanMacroAuroc with one seed equals evaluateMultilabel's macro AUROC and percentile interval exactly (shared resampling)", () => {
  const L = 4;
  const n = 80;
  const names = ["a", "b", "c", "d"];
  const p = problem(11, n, L, { seeds: 1, signalA: 0.9, signalB: 0, nanRate: 0.15, grid: 3, constant: 3 });
  for (const [B, S, level] of [[200, 24, 0.95], [137, 5, 0.9]] as const) {
    const ev = evaluateMultilabel(p.labels, p.a[0]!, L, names, { bootstrap: B, seed: S, ci: level });
    const sm = seedMeanMacroAuroc(p.labels, [p.a[0]!], L, { resamples: B, seed: S, level });
    assert.equal(sm.value, ev.macroAuroc);
    assert.deepEqual(sm.perSeed, [ev.macroAuroc]);
    assert.deepEqual(sm.labels, ev.perLabel.map((x) => x.index));
    assert.deepEqual(ev.excluded.map((x) => x.index), [3]);
    assert.equal(sm.ci.lo, ev.macroAurocCi!.percentile.lo, `B=${B} seed=${S}: lo`);
    assert.equal(sm.ci.hi, ev.macroAurocCi!.percentile.hi, `B=${B} seed=${S}: hi`);
    assert.equal(sm.ci.level, level);
    assert.equal(sm.resamples, ev.macroAurocCi!.nValid);
    assert.ok(sm.resamples > B / 2 && sm.resamples <= B);
    assert.ok(sm.ci.lo < sm.value && sm.value < sm.ci.hi, `interval [${sm.ci.lo}, ${sm.ci.hi}] around ${sm.value}`);
    assert.equal(sm.n, n);
  }
  // A different seed gives a different interval (the resamples follow the seed).
  const a = seedMeanMacroAuroc(p.labels, [p.a[0]!], L, { resamples: 200, seed: 24 });
  const b = seedMeanMacroAuroc(p.labels, [p.a[0]!], L, { resamples: 200, seed: 25 });
  assert.notEqual(a.ci.lo, b.ci.lo);
  // Defaults: 1000 resamples, seed 24, level 0.95, as evaluateMultilabel's.
  const d = seedMeanMacroAuroc(p.labels, [p.a[0]!], L);
  const e = evaluateMultilabel(p.labels, p.a[0]!, L, names);
  assert.deepEqual([d.ci.lo, d.ci.hi, d.ci.level], [e.macroAurocCi!.percentile.lo, e.macroAurocCi!.percentile.hi, 0.95]);
});

test("pairedBootstrap: A identical to B gives Δ 0 and p ≈ 1", () => {
  const p = problem(21, 60, 3, { seeds: 2, signalA: 1, signalB: 0 });
  const r = pairedBootstrap(p.labels, p.a, p.a, 3, { resamples: 300 });
  assert.equal(r.delta, 0);
  assert.deepEqual(r.perSeed, [0, 0]);
  assert.ok(Math.abs(r.ci.lo) < 1e-15 && Math.abs(r.ci.hi) < 1e-15, `interval [${r.ci.lo}, ${r.ci.hi}]`);
  assert.ok(r.se < 1e-15, `se ${r.se}`);
  assert.equal(r.z, 0);
  assert.ok(Math.abs(r.pValue - 1) < 1e-7, `pValue ${r.pValue}`);
  // One seed: every replicate is exactly x − x = 0, so se is exactly 0.
  const one = pairedBootstrap(p.labels, [p.a[0]!], [p.a[0]!], 3, { resamples: 100 });
  assert.equal(one.se, 0);
  assert.equal(one.z, 0);
  assert.ok(Math.abs(one.pValue - 1) < 1e-7);
});

test("pairedBootstrap: A identical to B gives pValue exactly 1, as documented", () => {
  const p = problem(21, 60, 3, { seeds: 1, signalA: 1, signalB: 0 });
  assert.equal(pairedBootstrap(p.labels, p.a, p.a, 3, { resamples: 100 }).pValue, 1);
});

test("pairedBootstrap: swapping A and B negates Δ, per-seed Δ and the interval, and keeps se and p", () => {
  const p = problem(31, 120, 3, { seeds: 3, signalA: 1, signalB: 0.6, nanRate: 0.05 });
  const ab = pairedBootstrap(p.labels, p.a, p.b, 3, { resamples: 400, seed: 3 });
  const ba = pairedBootstrap(p.labels, p.b, p.a, 3, { resamples: 400, seed: 3 });
  assert.equal(ba.delta, -ab.delta);
  assert.deepEqual(ba.perSeed, ab.perSeed.map((d) => -d));
  assert.ok(Math.abs(ba.ci.lo + ab.ci.hi) < 1e-12, `lo ${ba.ci.lo} vs −hi ${-ab.ci.hi}`);
  assert.ok(Math.abs(ba.ci.hi + ab.ci.lo) < 1e-12, `hi ${ba.ci.hi} vs −lo ${-ab.ci.lo}`);
  assert.ok(Math.abs(ba.se - ab.se) < 1e-12);
  assert.ok(Math.abs(ba.z + ab.z) < 1e-9);
  assert.ok(Math.abs(ba.pValue - ab.pValue) < 1e-12);
  assert.equal(ba.resamples, ab.resamples);
  assert.ok(ab.delta !== 0 && ab.se > 0);
  // Other levels and one seed (only the interpolation between order statistics and the summation order round).
  for (const [sa, sb, level] of [[[p.a[0]!], [p.b[0]!], 0.8], [p.a, p.b, 0.5]] as const) {
    const x = pairedBootstrap(p.labels, sa, sb, 3, { resamples: 200, level });
    const y = pairedBootstrap(p.labels, sb, sa, 3, { resamples: 200, level });
    assert.equal(y.delta, -x.delta);
    for (const [got, want] of [[y.ci.lo, -x.ci.hi], [y.ci.hi, -x.ci.lo], [y.se, x.se], [y.pValue, x.pValue]]) assert.ok(Math.abs(got! - want!) < 1e-12, `level ${level}: ${got} vs ${want}`);
    assert.ok(x.ci.lo < x.ci.hi);
  }
});

test("pairedBootstrap: a clearly better method (labels + small noise vs noise) gives p < 0.01 and an interval above 0", () => {
  const n = 200;
  const L = 2;
  const u = mulberry32(41);
  const labels = Float64Array.from({ length: n * L }, () => (u() < 0.3 ? 1 : 0));
  const good = [0, 1].map(() => Float64Array.from(labels, (y) => y + 0.3 * (u() - 0.5) * 2));
  const noise = [0, 1].map(() => Float64Array.from(labels, () => u()));
  const r = pairedBootstrap(labels, good, noise, L);
  assert.ok(r.delta > 0.3, `Δ ${r.delta}`);
  assert.ok(r.perSeed.every((d) => d > 0.3));
  assert.ok(r.pValue < 0.01, `p ${r.pValue}`);
  assert.ok(r.ci.lo > 0 && r.ci.lo < r.delta && r.delta < r.ci.hi, `interval [${r.ci.lo}, ${r.ci.hi}], Δ ${r.delta}`);
  assert.ok(r.z > 2.58, `z ${r.z}`);
  assert.equal(r.resamples, 1000);
  assert.equal(r.ci.level, 0.95);
  // Two noise methods: no evidence of a difference.
  const noise2 = [0, 1].map(() => Float64Array.from(labels, () => u()));
  const null2 = pairedBootstrap(labels, noise, noise2, L, { resamples: 500 });
  assert.ok(null2.pValue > 0.05, `noise vs noise p ${null2.pValue}`);
  assert.ok(null2.ci.lo < 0 && null2.ci.hi > 0);
});

test("pairedBootstrap and seedMeanMacroAuroc refuse bad inputs with a clear message", () => {
  const p = problem(51, 20, 2, { seeds: 2, signalA: 1, signalB: 0 });
  const [a0, a1] = p.a as [Float64Array, Float64Array];
  const [b0, b1] = p.b as [Float64Array, Float64Array];
  assert.throws(() => pairedBootstrap(p.labels, [a0, a1], [b0], 2), /^Error: pairedBootstrap: give one score array per seed for both methods \(got 2 and 1\)$/);
  assert.throws(() => pairedBootstrap(p.labels, [], [], 2), /got 0 and 0/);
  assert.throws(() => pairedBootstrap(p.labels, [a0, a1], [b0, b1.subarray(1)], 2), /^Error: pairedBootstrap: b\[1\] has 39 scores, expected 20 × 2$/);
  const withNan = Float64Array.from(a1);
  withNan[7] = NaN;
  assert.throws(() => pairedBootstrap(p.labels, [a0, withNan], [b0, b1], 2), /^Error: pairedBootstrap: a\[1\] score 7 is NaN$/);
  assert.throws(() => pairedBootstrap(p.labels.subarray(1), [a0], [b0], 2), /^Error: pairedBootstrap: 39 labels are not n × 2$/);
  const oneClass = Float64Array.from(p.labels, (y, i) => (i % 3 === 0 ? NaN : 1));
  assert.throws(() => pairedBootstrap(oneClass, [a0], [b0], 2), /^Error: pairedBootstrap: no label has both classes in the test set$/);
  assert.throws(() => pairedBootstrap(p.labels, [a0], [b0], 2, { resamples: 0 }), /pairedBootstrap: resamples/);
  assert.throws(() => pairedBootstrap(p.labels, [a0], [b0], 2, { B: 10 } as never), /pairedBootstrap/);
  assert.throws(() => seedMeanMacroAuroc(p.labels, [], 2), /^Error: seedMeanMacroAuroc: give one score array per seed$/);
  assert.throws(() => seedMeanMacroAuroc(p.labels, [a0.subarray(2)], 2), /^Error: seedMeanMacroAuroc: scores\[0\] has 38 scores, expected 20 × 2$/);
  // One positive among 3 rows: almost no resample keeps both classes.
  assert.throws(() => pairedBootstrap([1, 0, 0], [[0.2, 0.1, 0.3]], [[0.1, 0.2, 0.3]], 1, { resamples: 1 }), /only [01] of 1 resamples had both classes in every label; the test set is too small/);
});

/** Naive O(n²) AUROC over materialised rows (ties count ½); NaN when one class is missing. */
function naiveAuroc(y: number[], s: number[]): number {
  let pos = 0;
  let neg = 0;
  let num = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 1) pos++;
    else neg++;
  }
  if (pos === 0 || neg === 0) return NaN;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      num += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return num / (pos * neg);
}

/** Macro AUROC of the materialised rows `rows` over labels `labels` (NaN labels dropped per label). */
function naiveMacro(labels: ArrayLike<number>, scores: ArrayLike<number>, L: number, rows: number[], included: number[]): number {
  let sum = 0;
  for (const l of included) {
    const y: number[] = [];
    const s: number[] = [];
    for (const i of rows) {
      const v = labels[i * L + l]!;
      if (Number.isNaN(v)) continue;
      y.push(v);
      s.push(scores[i * L + l]!);
    }
    sum += naiveAuroc(y, s);
  }
  return sum / included.length;
}

test("the paired statistic by hand: Δ*, se, z, p and the interval from materialised resamples of the same Rng stream (n=12, L=2, 2 seeds)", () => {
  const n = 12;
  const L = 2;
  const labels = [1, 0, 0, 1, 0, NaN, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, NaN, 0, 0, 1];
  const u = mulberry32(61);
  const sc = (signal: number) => Array.from(labels, (y) => Math.round(((Number.isNaN(y) ? 0 : signal * y) + u()) * 4) / 4); // ties on a 1/4 grid
  const a = [sc(0.8), sc(0.5)];
  const b = [sc(0.2), sc(0)];
  const B = 300;
  const seed = 9;
  const r = pairedBootstrap(labels, a, b, L, { resamples: B, seed });
  const all = Array.from({ length: n }, (_, i) => i);
  const included = [0, 1];
  const perSeed = a.map((_, s) => naiveMacro(labels, a[s]!, L, all, included) - naiveMacro(labels, b[s]!, L, all, included));
  perSeed.forEach((d, s) => assert.ok(Math.abs(r.perSeed[s]! - d) < 1e-12, `seed ${s}: ${r.perSeed[s]} vs ${d}`));
  const delta = (perSeed[0]! + perSeed[1]!) / 2;
  assert.ok(Math.abs(r.delta - delta) < 1e-12);

  const rng = new Rng(seed);
  const counts = new Int32Array(n);
  const stars: number[] = [];
  for (let k = 0; k < B; k++) {
    drawCounts(rng, counts);
    const rows: number[] = [];
    counts.forEach((c, i) => {
      for (let j = 0; j < c; j++) rows.push(i);
    });
    assert.equal(rows.length, n);
    const d = a.map((_, s) => naiveMacro(labels, a[s]!, L, rows, included) - naiveMacro(labels, b[s]!, L, rows, included));
    const v = (d[0]! + d[1]!) / 2;
    if (!Number.isNaN(v)) stars.push(v);
  }
  assert.ok(stars.length > 50 && stars.length < B, `${stars.length} of ${B} resamples usable (some dropped for a one-class label)`);
  assert.equal(r.resamples, stars.length);
  const m = stars.reduce((t, v) => t + v, 0) / stars.length;
  const se = Math.sqrt(stars.reduce((t, v) => t + (v - m) ** 2, 0) / (stars.length - 1));
  assert.ok(Math.abs(r.se - se) < 1e-12, `se ${r.se} vs ${se}`);
  assert.ok(Math.abs(r.z - delta / se) < 1e-9, `z ${r.z} vs ${delta / se}`);
  assert.ok(Math.abs(r.pValue - 2 * normalCdf(-Math.abs(delta / se))) < 1e-9);
  const sorted = Float64Array.from(stars).sort();
  assert.ok(Math.abs(r.ci.lo - quantileSorted(sorted, 0.025)) < 1e-12);
  assert.ok(Math.abs(r.ci.hi - quantileSorted(sorted, 0.975)) < 1e-12);
  // numpy-style linear percentile by hand, independent of quantileSorted.
  const h = (sorted.length - 1) * 0.975;
  const lo = Math.floor(h);
  assert.ok(Math.abs(r.ci.hi - (sorted[lo]! + (h - lo) * (sorted[lo + 1]! - sorted[lo]!))) < 1e-12);
  assert.ok(se > 0 && r.delta > 0);
});
