/**
 * The official view/orientation imputer (data-loaders/iterative_imputer.ts, random_forest.ts, and
 * `imputeViewOrientationIterative` / `scanImputation: "iterative"` in ehr_impute.ts / mimic_iv_ehr.ts):
 * deterministic unit cases, then live agreement with scikit-learn (test/reference/iterative_imputer_reference.py,
 * Debian's /usr/bin/python3 + python3-sklearn; skipped loudly without it, a failure under CI=true).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  extractEhrMatrix,
  imputeViewOrientation,
  imputeViewOrientationIterative,
  iterativeImpute,
  makeRng,
  RandomForestRegressor,
  toCsvText,
  type Regressor,
  type ScanMeta,
} from "../../data-loaders/index.js";
import { binomial } from "../../data-loaders/random_forest.js";
import { sampleStudyViews } from "../../data-loaders/synth/mimic_views.js";
import { deriveSeed, Rng } from "../../src/utils/rng.js";
import { pythonWith, type PythonResult } from "../helpers/python.js";
import { skipLoudly } from "../helpers/skip.js";
import { FIXTURES, pythonJson, SAMPLES, tempDir } from "./helpers.js";

const tmp = tempDir("mmsn-iterimp-");
after(() => tmp.cleanup());
const DEMO = path.join(SAMPLES, "mimic-iv-demo");
const META = path.join(FIXTURES, "mimic-cxr/mimic-cxr-2.0.0-metadata.csv");

/** x0 = i mod 10 (complete), x1 = 2·x0 with every 7th value missing: x1 is a function of x0. */
function predictable(n = 200): number[][] {
  return Array.from({ length: n }, (_, i) => [i % 10, i % 7 === 3 ? NaN : 2 * (i % 10)]);
}

/**
 * View/orientation rows drawn by the synthetic cohort's generator (data-loaders/synth/mimic_views.ts: portable
 * AP studies, often recumbent in ICU; PA + LATERAL/LL otherwise; 4.2% blank views, 11% blank orientations),
 * rare views dropped as the loader does.
 */
function cohortTable(seed: number, n: number): ScanMeta[] {
  const rng = new Rng(seed);
  const rows: ScanMeta[] = [];
  while (rows.length < n) {
    const icu = rng.bernoulli(0.25);
    for (const v of sampleStudyViews(rng, { icu, inpatient: icu || rng.bernoulli(0.3), severity: rng.normal() }, 1.8).views) {
      if (["AP", "PA", "LATERAL", "LL", ""].includes(v.viewPosition)) rows.push({ view: v.viewPosition, orientation: v.orientation });
    }
  }
  return rows.slice(0, n);
}

/** P(view) from the paper's counts (AP 147k, PA 96k, LATERAL 83k, LL 35k), orientation given view; `rate` of each column blank. */
function paperTable(seed: number, n: number, rate: number): ScanMeta[] {
  const rng = makeRng(seed);
  const pick = (items: readonly [string, number][]): string => {
    let u = rng();
    for (const [v, p] of items) if ((u -= p) < 0) return v;
    return items[items.length - 1]![0];
  };
  return Array.from({ length: n }, () => {
    const view = pick([["AP", 0.41], ["PA", 0.27], ["LATERAL", 0.22], ["LL", 0.1]]);
    const orientation = view === "AP" ? pick([["Recumbent", 0.7], ["Erect", 0.3]]) : pick([["Erect", 0.95], ["Recumbent", 0.05]]);
    return { view: rng() < rate ? "" : view, orientation: rng() < rate ? "" : orientation };
  });
}

describe("random forest regressor", () => {
  it("fits a step function exactly, stays within the targets' range, and is seeded", () => {
    const x = Float64Array.from({ length: 60 }, (_, i) => i / 10);
    const y = x.map((v) => (v < 2 ? -1 : v < 4 ? 3 : 7));
    const rf = new RandomForestRegressor({ seed: 5 }).fit(x, 60, 1, y);
    // Away from the steps (a bootstrap may miss the training points next to a step, moving its threshold).
    assert.deepEqual(Array.from(rf.predict(Float64Array.of(0, 1.0, 3.0, 3.3, 5.5, 100, -100), 7)), [-1, -1, 3, 3, 7, 7, -1]);
    const noisy = Float64Array.from({ length: 60 }, (_, i) => Math.sin(i) * 3);
    const a = new RandomForestRegressor({ seed: 5 }).fit(x, 60, 1, noisy).predict(x, 60);
    const b = new RandomForestRegressor({ seed: 5 }).fit(x, 60, 1, noisy).predict(x, 60);
    const c = new RandomForestRegressor({ seed: 6 }).fit(x, 60, 1, noisy).predict(x, 60);
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.notDeepEqual(Array.from(a), Array.from(c));
    for (const v of a) assert.ok(v >= -3 && v <= 3);
    // Without bootstrap every tree is the full tree: training points are fitted exactly.
    const full = new RandomForestRegressor({ bootstrap: false, nEstimators: 3 }).fit(x, 60, 1, noisy).predict(x, 60);
    full.forEach((v, i) => assert.ok(Math.abs(v - noisy[i]!) < 1e-12));
    assert.throws(() => new RandomForestRegressor({ trees: 5 } as never), /unknown option "trees"/);
  });
});

describe("binomial draws (the forest's multinomial bootstrap)", () => {
  it("have the binomial mean and variance, small and large n, and the edge cases", () => {
    const rng = new Rng(8);
    for (const [n, p] of [[20, 0.3], [1000, 0.05], [376201, 0.41], [376201, 1e-4]] as const) {
      const draws = Array.from({ length: 3000 }, () => binomial(rng, n, p));
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
      const sd = Math.sqrt(n * p * (1 - p));
      assert.ok(Math.abs(mean - n * p) < (4 * sd) / Math.sqrt(draws.length), `n=${n} p=${p}: mean ${mean} vs ${n * p}`);
      assert.ok(Math.abs(variance / (sd * sd) - 1) < 0.12, `n=${n} p=${p}: variance ${variance} vs ${sd * sd}`);
      assert.ok(draws.every((k) => Number.isInteger(k) && k >= 0 && k <= n));
    }
    assert.deepEqual([binomial(rng, 50, 0), binomial(rng, 50, 1), binomial(rng, 0, 0.5)], [0, 50, 0]);
  });
});

describe("iterativeImpute", () => {
  it("imputes a perfectly predictable column exactly, and stops after the round that changed nothing", () => {
    const m = predictable();
    const before = JSON.stringify(m);
    const r = iterativeImpute(m);
    assert.equal(JSON.stringify(m), before, "input untouched");
    r.imputed.forEach((row, i) => assert.deepEqual(row, [i % 10, 2 * (i % 10)]));
    assert.deepEqual([r.rounds, r.converged, r.order], [2, true, [1]]);
  });

  it("visits columns in ascending order of missing values, keeps observed values, clips to [minValue, maxValue]", () => {
    const rng = new Rng(3);
    const m = Array.from({ length: 120 }, () => {
      const a = rng.normal();
      return [a, 2 * a + rng.normal(0, 0.1), -a];
    });
    m.forEach((row, i) => {
      if (i % 4 === 0) row[0] = NaN; // 30 missing
      if (i % 10 === 1) row[1] = NaN; // 12 missing
      if (i % 7 === 2) row[2] = NaN; // 17 missing
    });
    const r = iterativeImpute(m, { maxIter: 3, minValue: [-0.5, -Infinity, -Infinity], maxValue: 0.5 });
    assert.deepEqual(r.order, [1, 2, 0]);
    r.imputed.forEach((row, i) => row.forEach((v, j) => {
      if (!Number.isNaN(m[i]![j]!)) assert.equal(v, m[i]![j]);
      else assert.ok(v >= (j === 0 ? -0.5 : -Infinity) && v <= 0.5, `row ${i} column ${j}: ${v}`);
    }));
  });

  it("seeds each round and column's estimator with deriveSeed(seed, round, column); a linear estimator plugs in", () => {
    const seeds: number[] = [];
    const linear = (seed: number): Regressor => {
      seeds.push(seed);
      let coef = [0, 0];
      return {
        fit: (x, rows, cols, y) => {
          assert.equal(cols, 1);
          let sx = 0, sy = 0, sxx = 0, sxy = 0;
          for (let i = 0; i < rows; i++) (sx += x[i]!), (sy += y[i]!), (sxx += x[i]! * x[i]!), (sxy += x[i]! * y[i]!);
          const b = (rows * sxy - sx * sy) / (rows * sxx - sx * sx);
          coef = [(sy - b * sx) / rows, b];
        },
        predict: (x, rows) => Array.from({ length: rows }, (_, i) => coef[0]! + coef[1]! * x[i]!),
      };
    };
    const m = Array.from({ length: 20 }, (_, i) => [i, i === 7 ? NaN : 3 * i + 1]);
    const r = iterativeImpute(m, { estimator: linear, seed: 9 });
    assert.ok(Math.abs(r.imputed[7]![1]! - 22) < 1e-9);
    assert.deepEqual(seeds, [deriveSeed(9, 1, 1), deriveSeed(9, 2, 1)]);
  });

  it("edge cases as scikit-learn: maxIter 0 or one usable column → mean fill; an all-missing column stays NaN; bad input throws", () => {
    assert.deepEqual(iterativeImpute([[1, NaN], [3, 4], [NaN, 6]], { maxIter: 0 }).imputed, [[1, 5], [3, 4], [2, 6]]);
    const single = iterativeImpute([[1, NaN], [3, NaN], [NaN, NaN]]);
    assert.deepEqual(single.imputed.map((r) => r[0]), [1, 3, 2]);
    assert.ok(single.imputed.every((r) => Number.isNaN(r[1]!)));
    assert.equal(single.rounds, 0);
    assert.deepEqual(iterativeImpute([]).imputed, []);
    assert.throws(() => iterativeImpute([[1, Infinity]]), /only finite values or NaN/);
    assert.throws(() => iterativeImpute([[1, 2], [3]]), /row 1 has 1 values/);
    assert.throws(() => iterativeImpute([[1]], { max_iter: 3 } as never), /unknown option "max_iter"/);
  });
});

describe("view/orientation imputation: iterative (the paper's code) vs conditional mode", () => {
  it("iterative imputes rounded mean codes, not the likeliest category", () => {
    // Erect films: PA (code 3) and LATERAL (code 1) equally often; Recumbent films: AP (0). A missing view of
    // an Erect film gets the mean code 2 = LL, a view never taken erect here; conditional mode picks PA.
    const rows: ScanMeta[] = [];
    for (let i = 0; i < 200; i++) rows.push({ view: i % 2 ? "PA" : "LATERAL", orientation: "Erect" }, { view: "AP", orientation: "Recumbent" });
    const blanks: ScanMeta[] = [{ view: "", orientation: "Erect" }, { view: "", orientation: "Recumbent" }, { view: "AP", orientation: "" }];
    const a = [...rows, ...blanks.map((b) => ({ ...b }))];
    const b = [...rows.map((r) => ({ ...r })), ...blanks.map((x) => ({ ...x }))];
    const counts = imputeViewOrientationIterative(a);
    assert.deepEqual([counts.views, counts.orientations], [2, 1]);
    assert.ok(counts.rounds >= 1 && counts.rounds <= 10);
    imputeViewOrientation(b);
    assert.deepEqual(a.slice(-3).map((r) => `${r.view}/${r.orientation}`), ["LL/Erect", "AP/Recumbent", "AP/Recumbent"]);
    assert.deepEqual(b.slice(-3).map((r) => `${r.view}/${r.orientation}`), ["PA/Erect", "AP/Recumbent", "AP/Recumbent"]);
    // Nothing missing: nothing computed.
    assert.deepEqual(imputeViewOrientationIterative(rows.slice(0, 4)), { views: 0, orientations: 0, rounds: 0 });
    assert.throws(() => imputeViewOrientationIterative(rows, { random_state: 1 } as never), /unknown option "random_state"/);
  });

  it("extractEhrMatrix option scanImputation: \"mode\" (default) or \"iterative\"; other values and unknown keys throw", () => {
    const base = { mimicIvRoot: DEMO, metadata: META, selection: { groups: ["scan"] } } as const;
    const mode = extractEhrMatrix(base);
    const same = extractEhrMatrix({ ...base, scanImputation: "mode" });
    const iter = extractEhrMatrix({ ...base, scanImputation: "iterative" });
    assert.deepEqual(Array.from(same.matrix), Array.from(mode.matrix));
    assert.deepEqual(iter.dicomIds, mode.dicomIds);
    assert.ok(mode.report.notes.some((n) => /orientations \(conditional mode\)/.test(n)), mode.report.notes.join("; "));
    assert.ok(iter.report.notes.some((n) => /orientations \(iterative: random forests, \d+ rounds/.test(n)), iter.report.notes.join("; "));
    // One-hot rows either way.
    for (let i = 0; i < iter.dicomIds.length; i++) {
      const row = iter.matrix.subarray(i * 6, i * 6 + 6);
      assert.deepEqual([row[0]! + row[1]! + row[2]! + row[3]!, row[4]! + row[5]!], [1, 1]);
    }
    assert.throws(() => extractEhrMatrix({ ...base, scanImputation: "median" as never }), /scanImputation must be one of "mode", "iterative", got "median"/);
    assert.throws(() => extractEhrMatrix({ ...base, imputation: "iterative" } as never), /unknown option "imputation"/);
  });
});

/** The live fixtures: three scan tables, the predictable matrix, a forest train/test set (seeded, regenerated each run). */
const SCAN_TABLES = [cohortTable(101, 1500), paperTable(201, 500, 0.1), paperTable(202, 500, 0.1)];
const forestTruth = (a: number, b: number) => Math.sin(3 * a) + b * b;
const FOREST = (() => {
  const rng = new Rng(17);
  const train = Array.from({ length: 200 }, () => {
    const a = rng.uniform(-1, 1);
    const b = rng.uniform(-1, 1);
    return [a, b, forestTruth(a, b) + rng.normal(0, 0.3)];
  });
  return { train, test: Array.from({ length: 100 }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]) };
})();

interface SkResults {
  scan: { view: string[]; orientation: string[]; n_iter: number }[];
  matrix: { imputed: number[][]; n_iter: number };
  forest: number[][];
}
let skCache: SkResults | undefined;
let pythonCache: PythonResult | undefined;

/** scikit-learn's results for every live fixture, in one Python process (its import alone takes seconds); undefined = skipped. */
function sklearn(t: { skip: (msg?: string) => void }): SkResults | undefined {
  pythonCache ??= pythonWith(["sklearn", "numpy"], ["python3-sklearn", "python3-numpy"]);
  if (!pythonCache.ok) {
    skipLoudly(t, pythonCache.reason);
    return undefined;
  }
  if (skCache) return skCache;
  const file = (name: string, text: string) => {
    const f = path.join(tmp.dir, name);
    writeFileSync(f, text);
    return f;
  };
  const numeric = (rows: number[][]) => rows.map((r) => r.map((v) => (Number.isNaN(v) ? "" : String(v))).join(",")).join("\n") + "\n";
  const scans = SCAN_TABLES.map((rows, k) => file(`scan${k}.csv`, toCsvText(["view", "orientation"], rows.map((r) => [r.view, r.orientation]))));
  const [scan, matrix, forest] = pythonJson<[SkResults["scan"], SkResults["matrix"], SkResults["forest"]]>(pythonCache.python, "iterative_imputer_reference.py", [
    "scan", ...scans,
    "+", "matrix", file("predictable.csv", numeric(predictable())),
    "+", "forest", file("train.csv", numeric(FOREST.train)), file("test.csv", numeric(FOREST.test)), "0", "1",
  ]);
  skCache = { scan, matrix, forest };
  return skCache;
}

describe("agreement with scikit-learn (live)", () => {
  it("imputed view/orientation categories agree with IterativeImputer(RandomForestRegressor(), max_iter=10, random_state=24)", (t) => {
    const sk = sklearn(t)?.scan;
    if (!sk) return;
    let cells = 0;
    let agree = 0;
    let modeAgree = 0;
    let viewCells = 0;
    let modeViewAgree = 0;
    const lines: string[] = [];
    SCAN_TABLES.forEach((rows, k) => {
      const ours = rows.map((r) => ({ ...r }));
      const mode = rows.map((r) => ({ ...r }));
      const { rounds } = imputeViewOrientationIterative(ours);
      imputeViewOrientation(mode);
      const n = { view: [0, 0, 0], orientation: [0, 0, 0] };
      rows.forEach((r, i) => {
        for (const key of ["view", "orientation"] as const) {
          if (r[key] !== "") continue;
          n[key][0]!++;
          if (ours[i]![key] === sk[k]![key][i]) n[key][1]!++;
          if (mode[i]![key] === sk[k]![key][i]) n[key][2]!++;
        }
        for (const key of ["view", "orientation"] as const) if (r[key] !== "") assert.equal(ours[i]![key], r[key]);
      });
      cells += n.view[0]! + n.orientation[0]!;
      agree += n.view[1]! + n.orientation[1]!;
      modeAgree += n.view[2]! + n.orientation[2]!;
      viewCells += n.view[0]!;
      modeViewAgree += n.view[2]!;
      lines.push(`table ${k} (${rows.length} rows): views ${n.view[1]}/${n.view[0]}, orientations ${n.orientation[1]}/${n.orientation[0]} (rounds ${rounds}, sklearn ${sk[k]!.n_iter}; conditional mode: views ${n.view[2]}/${n.view[0]})`);
    });
    const summary = `iterative vs sklearn: ${agree}/${cells} imputed categories agree (${((100 * agree) / cells).toFixed(1)}%); conditional mode vs sklearn ${modeAgree}/${cells} (views ${modeViewAgree}/${viewCells}). ${lines.join("; ")}`;
    t.diagnostic(summary);
    assert.ok(cells >= 400, summary);
    assert.ok(agree / cells >= 0.97, summary);
    // The two options are not the same imputation (they differ on most views).
    assert.ok(modeViewAgree / viewCells < 0.5, summary);
  });

  it("the deterministic case matches scikit-learn exactly (values and n_iter_ = 2)", (t) => {
    const sk = sklearn(t)?.matrix;
    if (!sk) return;
    const ours = iterativeImpute(predictable());
    assert.deepEqual(ours.imputed, sk.imputed);
    assert.equal(ours.rounds, sk.n_iter);
  });

  it("the forest is alike in law to RandomForestRegressor: as close to it as two of its seeds are to each other", (t) => {
    const sk = sklearn(t)?.forest;
    if (!sk) return;
    const [sk0, sk1] = sk as [number[], number[]];
    const { train, test } = FOREST;
    const ours = new RandomForestRegressor({ seed: 0 })
      .fit(Float64Array.from(train.flatMap((r) => r.slice(0, 2))), train.length, 2, Float64Array.from(train.map((r) => r[2]!)))
      .predict(Float64Array.from(test.flat()), test.length);
    const mad = (a: ArrayLike<number>, b: (i: number) => number) => Array.from(a).reduce((s, v, i) => s + Math.abs(v - b(i)), 0) / a.length;
    const oursVsSk = mad(ours, (i) => sk0[i]!);
    const skVsSk = mad(sk1, (i) => sk0[i]!);
    const errOurs = mad(ours, (i) => forestTruth(test[i]![0]!, test[i]![1]!));
    const errSk = mad(sk0, (i) => forestTruth(test[i]![0]!, test[i]![1]!));
    const summary = `mean |ours − sklearn(seed 0)| ${oursVsSk.toFixed(4)}, |sklearn(seed 1) − sklearn(seed 0)| ${skVsSk.toFixed(4)}; error vs truth ours ${errOurs.toFixed(4)}, sklearn ${errSk.toFixed(4)}`;
    t.diagnostic(summary);
    assert.ok(oursVsSk <= 1.5 * skVsSk, summary);
    assert.ok(errOurs <= 1.15 * errSk, summary);
  });
});
