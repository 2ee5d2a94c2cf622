/**
 * Pretraining monitors (src/eval/monitors.ts): RankMe and feature std against numpy, weighted k-NN macro AUROC
 * against numpy + scikit-learn, prototype usage on hand-computed cases. Inputs are generated here from a fixed
 * mulberry32 seed and sent to Python as JSON on stdin (float32 values are exact in JSON doubles).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { requirePython } from "../helpers/python.js";
import { mulberry32 } from "../helpers/mulberry32.js";
import { effectiveRank, featureStd, knnMacroAuroc, prototypeUsage } from "../../src/eval/monitors.js";

/** Gaussian matrix, shape [n, d], column j scaled by scale(j), as float32. */
function gaussian(seed: number, n: number, d: number, scale: (j: number) => number = () => 1): Float32Array {
  const u = mulberry32(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) {
    const r = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    out[i] = r * scale(i % d);
  }
  return out;
}

function relClose(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-300), `${what}: ${a} vs reference ${b} (rel ${Math.abs(a - b) / Math.abs(b)})`);
}

function runPython(py: string, script: string, input: unknown): unknown {
  return JSON.parse(execFileSync(py, ["-c", script], { input: JSON.stringify(input), encoding: "utf8", maxBuffer: 1 << 26 }));
}

const NUMPY_SCRIPT = `
import json, sys
import numpy as np
cases = json.load(sys.stdin)
out = []
for c in cases:
    x = np.array(c["x"], dtype=np.float64).reshape(c["n"], c["d"])
    s = np.linalg.svd(x, compute_uv=False)
    p = s / s.sum() + 1e-7
    erank = float(np.exp(-(p * np.log(p)).sum()))
    z = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    out.append({"erank": erank, "meanStd": float(z.std(axis=0, ddof=1).mean())})
json.dump(out, sys.stdout)
`;

test("effectiveRank and featureStd match numpy (SVD, ddof=1 std) within 1e-9 relative", (t) => {
  const py = requirePython(t, ["numpy"], ["python3-numpy"]);
  if (!py) return;
  const cases = [
    { n: 64, d: 16, x: gaussian(1, 64, 16) },
    { n: 200, d: 48, x: gaussian(2, 200, 48, (j) => Math.exp(-j / 6)) },
    { n: 97, d: 33, x: gaussian(3, 97, 33, (j) => 1 + j) },
    { n: 300, d: 64, x: gaussian(4, 300, 64, (j) => (j < 8 ? 10 : 0.1)).map((v, i) => v + (i % 64) * 0.05) },
  ];
  const ref = runPython(py, NUMPY_SCRIPT, cases.map((c) => ({ n: c.n, d: c.d, x: Array.from(c.x) }))) as { erank: number; meanStd: number }[];
  cases.forEach((c, i) => {
    relClose(effectiveRank(c.x, c.n, c.d), ref[i]!.erank, 1e-9, `erank ${c.n}×${c.d}`);
    const fs = featureStd(c.x, c.n, c.d);
    relClose(fs.meanStd, ref[i]!.meanStd, 1e-9, `meanStd ${c.n}×${c.d}`);
    assert.equal(fs.reference, 1 / Math.sqrt(c.d));
  });
});

test("effectiveRank edge cases: rank-1 ≈ 1, orthogonal rows ≈ d, rank-r ≈ r", () => {
  const d = 32;
  const n = 50;
  const u = gaussian(5, n, 1);
  const v = gaussian(6, 1, d);
  const rank1 = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) rank1[i * d + j] = u[i]! * v[j]!;
  const e1 = effectiveRank(rank1, n, d);
  assert.ok(Math.abs(e1 - 1) < 1e-3, `rank-1 erank ${e1}`);

  const eye = new Float32Array(d * d);
  for (let i = 0; i < d; i++) eye[i * d + i] = 3;
  const ed = effectiveRank(eye, d, d);
  assert.ok(Math.abs(ed - d) < 1e-3, `identity erank ${ed}`);

  // Two stacked scaled identities (n = 2d): still equal singular values.
  const two = new Float32Array(2 * d * d);
  for (let i = 0; i < d; i++) {
    two[i * d + i] = 1;
    two[(d + i) * d + i] = 1;
  }
  assert.ok(Math.abs(effectiveRank(two, 2 * d, d) - d) < 1e-3);

  // Four equal orthogonal directions.
  const r4 = new Float32Array(n * d);
  for (let i = 0; i < n; i++) r4[i * d + (i % 4) * 5] = 2;
  const e4 = effectiveRank(r4, n, d);
  assert.ok(Math.abs(e4 - 4) < 1e-3, `rank-4 erank ${e4}`);

  assert.throws(() => effectiveRank(new Float32Array(6), 2, 3), /all zeros/);
  assert.throws(() => effectiveRank(new Float32Array(5), 2, 3), /expected 2×3/);
  assert.throws(() => effectiveRank(Float32Array.from([1, NaN]), 1, 2), /not finite/);
});

test("featureStd: collapsed features give 0, one-hot spread gives the hand value", () => {
  const d = 4;
  const same = new Float32Array(10 * d).map((_, i) => [1, 2, 3, 4][i % d]!);
  assert.ok(featureStd(same, 10, d).meanStd < 1e-12);
  // Rows e0, e1 (n = 2): each column is {1, 0} or {0, 1} or {0, 0}: std (ddof 1) = 1/√2 for 2 columns of 4.
  const r = featureStd(Float32Array.from([5, 0, 0, 0, 0, 7, 0, 0]), 2, d);
  assert.ok(Math.abs(r.meanStd - (2 * Math.SQRT1_2) / 4) < 1e-15);
  assert.equal(r.reference, 0.5);
  assert.throws(() => featureStd(new Float32Array(4), 1, 4));
});

test("prototypeUsage on hand-computed cases", () => {
  // One-hot on distinct prototypes: sharp (0) and uniform in use.
  const a = prototypeUsage(Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), 3, 3);
  assert.equal(a.meanEntropy, 0);
  assert.ok(Math.abs(a.entropyOfMean - Math.log(3)) < 1e-12);
  assert.equal(a.inUse, 3);
  // Collapse: every sample on prototype 1.
  const b = prototypeUsage(Float32Array.from([0, 1, 0, 0, 1, 0]), 2, 3);
  assert.equal(b.meanEntropy, 0);
  assert.equal(b.entropyOfMean, 0);
  assert.equal(b.inUse, 1);
  // Uniform rows: maximal per-sample entropy, argmax ties → first prototype.
  const c = prototypeUsage(new Float32Array(8).fill(0.25), 2, 4);
  assert.ok(Math.abs(c.meanEntropy - Math.log(4)) < 1e-12);
  assert.ok(Math.abs(c.entropyOfMean - Math.log(4)) < 1e-12);
  assert.equal(c.inUse, 1);
  // Mixed: rows [0.5, 0.5, 0] and [0, 0.25, 0.75] (values exact in float32).
  const dd = prototypeUsage(Float32Array.from([0.5, 0.5, 0, 0, 0.25, 0.75]), 2, 3);
  const h1 = Math.log(2);
  const h2 = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
  assert.ok(Math.abs(dd.meanEntropy - (h1 + h2) / 2) < 1e-12);
  const m = [0.25, 0.375, 0.375];
  assert.ok(Math.abs(dd.entropyOfMean + m.reduce((s, p) => s + p * Math.log(p), 0)) < 1e-12);
  assert.equal(dd.inUse, 2);
  assert.throws(() => prototypeUsage(Float32Array.from([-0.1, 1.1]), 1, 2), /negative/);
});

const KNN_SCRIPT = `
import json, sys
import numpy as np
from sklearn.metrics import roc_auc_score
c = json.load(sys.stdin)
def norm(f, n):
    x = np.array(f, dtype=np.float64).reshape(n, -1)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
xtr, xte = norm(c["xtr"], c["ntr"]), norm(c["xte"], c["nte"])
L = c["L"]
ytr = np.array([np.nan if v is None else v for v in c["ytr"]], dtype=np.float64).reshape(c["ntr"], L)
yte = np.array([np.nan if v is None else v for v in c["yte"]], dtype=np.float64).reshape(c["nte"], L)
out = []
for k, T in c["opts"]:
    k = min(k, c["ntr"])
    sim = xte @ xtr.T
    idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    s = np.take_along_axis(sim, idx, axis=1)
    w = np.exp(s / T)
    yn = ytr[idx]                      # [m, k, L]
    known = ~np.isnan(yn)
    num = (w[:, :, None] * np.where(known, yn, 0)).sum(1)
    den = (w[:, :, None] * known).sum(1)
    scores = np.where(den > 0, num / np.where(den > 0, den, 1), 0)
    aucs, labels = [], []
    for l in range(L):
        m = ~np.isnan(yte[:, l])
        if len(np.unique(yte[m, l])) < 2:
            continue
        aucs.append(roc_auc_score(yte[m, l], scores[m, l]))
        labels.append(l)
    out.append({"scores": scores.ravel().tolist(), "macro": float(np.mean(aucs)), "labels": labels,
                "macroSk": float(roc_auc_score(yte[:, labels], scores[:, labels], average="macro")) if not np.isnan(yte[:, labels]).any() else None})
json.dump(out, sys.stdout)
`;

test("knnMacroAuroc matches numpy weighted k-NN scores and sklearn roc_auc_score within 1e-9", (t) => {
  const py = requirePython(t, ["sklearn", "numpy"], ["python3-sklearn", "python3-numpy"]);
  if (!py) return;
  const dim = 8;
  const L = 4;
  const ntr = 90;
  const nte = 60;
  const xtr = gaussian(11, ntr, dim);
  const xte = gaussian(12, nte, dim);
  const u = mulberry32(13);
  // Label l is 1 when feature l (plus noise) is positive; label 3 is all 0 on test (excluded); some NaN.
  const lab = (x: Float32Array, n: number, test: boolean, nanRate: number) => {
    const y = new Float64Array(n * L);
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < L; l++) {
        let v = x[i * dim + l]! + 0.8 * (u() - 0.5) > 0 ? 1 : 0;
        if (test && l === 3) v = 0;
        y[i * L + l] = u() < nanRate ? NaN : v;
      }
    }
    return y;
  };
  const ytr = lab(xtr, ntr, false, 0.1);
  const yte = lab(xte, nte, true, 0);
  const yteNan = Float64Array.from(yte, (v, i) => (i % 7 === 2 ? NaN : v));
  const opts: [number, number][] = [[20, 0.07], [5, 0.5], [200, 0.07]];
  const toJson = (a: Float64Array) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));
  for (const [y, name] of [[yte, "complete"], [yteNan, "with NaN"]] as const) {
    const ref = runPython(py, KNN_SCRIPT, {
      xtr: Array.from(xtr), xte: Array.from(xte), ntr, nte, L, ytr: toJson(ytr), yte: toJson(y), opts,
    }) as { scores: number[]; macro: number; labels: number[]; macroSk: number | null }[];
    opts.forEach(([k, temperature], o) => {
      const before = ref[o]!;
      const r = knnMacroAuroc({ features: xtr, labels: ytr, n: ntr, dim }, { features: xte, labels: y, n: nte, dim }, { k, temperature });
      assert.equal(r.scores.length, nte * L);
      r.scores.forEach((s, i) => assert.ok(Math.abs(s - before.scores[i]!) <= 1e-9 * Math.max(1, Math.abs(before.scores[i]!)), `${name} k=${k} score ${i}`));
      assert.deepEqual(r.labels, before.labels);
      assert.deepEqual(r.labels, [0, 1, 2]);
      assert.ok(Math.abs(r.macroAuroc - before.macro) <= 1e-9, `${name} k=${k}: ${r.macroAuroc} vs ${before.macro}`);
      if (before.macroSk !== null) assert.ok(Math.abs(r.macroAuroc - before.macroSk) <= 1e-9);
      assert.ok(r.macroAuroc > 0.6, `k-NN should beat chance on separable labels: ${r.macroAuroc}`);
    });
  }
  assert.throws(() => knnMacroAuroc({ features: xtr, labels: ytr, n: ntr, dim }, { features: xte, labels: yte, n: nte, dim }, { kk: 3 } as never));
  assert.throws(() => knnMacroAuroc({ features: xtr, labels: ytr, n: ntr, dim }, { features: xte, labels: yte.subarray(1), n: nte, dim }));
});

test("timing on n=512, d=192 (reported, not asserted)", () => {
  const n = 512;
  const d = 192;
  const x = gaussian(21, n, d);
  const time = (f: () => unknown) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  const er = time(() => effectiveRank(x, n, d));
  const fs = time(() => featureStd(x, n, d));
  const probs = new Float32Array(n * 1024).map((_, i) => ((i * 2654435761) % 1000) / 1000 / 500);
  const pu = time(() => prototypeUsage(probs, n, 1024));
  const ylab = new Float32Array(n * 14).map((_, i) => (x[i % (n * d)]! > 0 ? 1 : 0));
  const kn = time(() => knnMacroAuroc({ features: x, labels: ylab, n, dim: d }, { features: x, labels: ylab, n, dim: d }));
  console.log(`monitors n=${n} d=${d}: effectiveRank ${er.toFixed(0)} ms, featureStd ${fs.toFixed(1)} ms, prototypeUsage(k=1024) ${pu.toFixed(1)} ms, knnMacroAuroc(512×512, L=14) ${kn.toFixed(0)} ms`);
});
