/**
 * MIMIC-IV EHR features from the real MIMIC-IV demo tables (test/fixtures/real-samples/mimic-iv-demo, v2.2
 * `hosp/` + `icu/`) and the synthetic schema-only MIMIC-CXR metadata (test/fixtures/data-loaders/mimic-cxr),
 * whose dates fall inside (or deliberately outside / on the boundary of) the demo patients' admissions and ICU
 * stays.
 * Independent check: test/reference/loaders_ehr_reference.py re-implements the linking rules with Python's
 * csv module, and runs the paper's own imputer (scikit-learn IterativeImputer + RandomForestRegressor).
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  AGE_BINS10,
  AGE_BINS5,
  extractEhrFeatures,
  imputeViewOrientation,
  makeRng,
  PAPER_EHR_SELECTIONS,
  selectionColumns,
  toCsvText,
  type EhrRecord,
} from "../../data-loaders/index.js";
import { requirePython } from "../helpers/python.js";
import { bytes, FIXTURES, pythonJson, SAMPLES, tempDir } from "./helpers.js";

const DEMO = path.join(SAMPLES, "mimic-iv-demo");
const META = path.join(FIXTURES, "mimic-cxr/mimic-cxr-2.0.0-metadata.csv");
const tmp = tempDir();
after(() => tmp.cleanup());

interface PyLink {
  sex: string;
  age: number;
  view: string;
  orientation: string;
  died: number;
  icu: number;
}

describe("MIMIC-IV EHR features", () => {
  it("links images to the demo tables exactly as the Python reference (age, death, ICU, sex, view)", async (t) => {
    const py = requirePython(t, ["csv"], ["python3"]);
    if (!py) return;
    const ref = pythonJson<Record<string, PyLink>>(py, "loaders_ehr_reference.py", ["link", DEMO, META]);
    const ehr = await extractEhrFeatures({ mimicIvRoot: DEMO, metadata: META, selection: PAPER_EHR_SELECTIONS["all-age-norm"]! });
    assert.deepEqual(ehr.dicomIds, Object.keys(ref));
    assert.equal(ehr.dicomIds.length, 16);
    assert.equal(ehr.report.total("missing sex (subject not in patients)"), 1);
    assert.equal(ehr.report.total("rare view dropped"), 1);
    ehr.dicomIds.forEach((id, i) => {
      const r = ref[id]!;
      const got = ehr.records[i]!;
      assert.deepEqual([got.sex, got.age, got.died, got.icu], [r.sex, r.age, r.died, r.icu], id);
      if (r.view !== "") assert.equal(got.view, r.view);
      if (r.orientation !== "") assert.equal(got.orientation, r.orientation);
    });
    // The fixture exercises both outcomes of every link (hand-checked against the demo tables).
    const recs = ehr.records;
    assert.ok(recs.some((r) => r.died === 1) && recs.some((r) => r.died === 0));
    assert.ok(recs.some((r) => r.icu === 1) && recs.some((r) => r.icu === 0));
    assert.ok(recs.some((r) => r.sex === "M") && recs.some((r) => r.sex === "F"));
  });

  it("writes a DataFrame and a CSV with path + the paper's column names, in order", async () => {
    const out = path.join(tmp.dir, "all-age-5.csv");
    const ehr = await extractEhrFeatures({ mimicIvRoot: DEMO, metadata: META, selection: { groups: ["inpatient", "scan", "demographic"], age: "bins5" }, outCsv: out });
    const expected = ["male", "female", ...AGE_BINS5, "PA", "LATERAL", "AP", "LL", "Erect", "Recumbent", "alive", "died", "icu", "not_icu"];
    assert.equal(expected.length, 28);
    assert.deepEqual(ehr.columns, expected);
    assert.deepEqual(ehr.df.columns, ["path", ...expected]);
    assert.deepEqual(ehr.df.shape, [16, 29]);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    assert.equal(lines[0], ["path", ...expected].join(","));
    assert.equal(lines.length, 17);
    const first = lines[1]!.split(",");
    assert.equal(first[0], "p10/p10014729/s50000001/0a000001-11111111-22222222-33333333-44444441.jpg");
    // Subject 10014729: F, anchor_age 21 in 2125, study in 2125 → age 21 → bin "20-25"; in ICU (stay 33558396).
    const col = (name: string) => Number(first[1 + expected.indexOf(name)]);
    assert.deepEqual([col("male"), col("female"), col("20-25"), col("PA"), col("Erect"), col("alive"), col("icu")], [0, 1, 1, 1, 1, 1, 1]);
    // Every one-hot block sums to 1.
    for (let i = 0; i < 16; i++) {
      const row = ehr.matrix.subarray(i * 28, (i + 1) * 28);
      const sum = (a: number, b: number) => row.subarray(a, b).reduce((x, y) => x + y, 0);
      assert.deepEqual([sum(0, 2), sum(2, 18), sum(18, 22), sum(22, 24), sum(24, 26), sum(26, 28)], [1, 1, 1, 1, 1, 1]);
    }
  });

  it("column orders of every paper CSV (widths: docs/data-formats.md#ehr-groups) and single variables", () => {
    const dims: Record<string, number> = {
      gender: 2, "age-norm": 1, age5: 16, age10: 9, view: 4, orientation: 2, mortality: 2, icu: 2,
      "socio-norm": 3, "socio-age5": 18, "socio-age10": 11, image_meta: 6, clinical: 4,
      "socio-age-norm-image-meta": 9, "socio-age-norm-clinical": 7, "socio-age-5-image-meta": 24, "socio-age-5-clinical": 22,
      "socio-age-10-image-meta": 17, "socio-age-10-clinical": 15, "image-meta-clinical": 10, "all-age-norm": 13, "all-age-5": 28, "all-age-10": 21,
    };
    assert.deepEqual(Object.keys(PAPER_EHR_SELECTIONS).sort(), Object.keys(dims).sort());
    for (const [name, sel] of Object.entries(PAPER_EHR_SELECTIONS)) assert.equal(selectionColumns(sel).columns.length, dims[name], name);
    assert.deepEqual(selectionColumns({ groups: ["demographic"], age: "bins10" }).columns, ["male", "female", ...AGE_BINS10]);
    assert.deepEqual(AGE_BINS10, ["<20*", "20-30", "30-40", "40-50", "50-60", "60-70", "70-80", "80-90", "90+*"]);
    assert.deepEqual(selectionColumns({ variables: ["icu", "view"] }).columns, ["PA", "LATERAL", "AP", "LL", "icu", "not_icu"]);
    assert.throws(() => selectionColumns({ groups: ["socio" as never] }), /unknown group "socio"/);
    assert.throws(() => selectionColumns({ groups: ["scan"], agee: "norm" } as never), /unknown option "agee"/);
  });

  it("age encodings: norm = (age − 16)/84; bins are right-closed like pd.cut", async () => {
    const ehr = await extractEhrFeatures({ mimicIvRoot: DEMO, metadata: META, selection: { variables: ["age"], age: "norm" } });
    ehr.records.forEach((r, i) => assert.ok(Math.abs(ehr.matrix[i]! - (r.age - 16) / 84) < 1e-6));
    assert.equal(ehr.df.column("age_norm").values[0], (21 - 16) / 84);
    const { encodeRecord } = await import("../../data-loaders/ehr_features.js");
    const out = new Float32Array(16);
    const rec = (age: number): EhrRecord => ({ sex: "F", age, view: "PA", orientation: "Erect", died: 0, icu: 0 });
    const bin = (age: number) => (encodeRecord(rec(age), ["age"], "bins5", out), AGE_BINS5[out.indexOf(1)]);
    assert.deepEqual([bin(16), bin(20), bin(21), bin(25), bin(90), bin(91), bin(100)], ["<20", "<20", "20-25", "20-25", "85-90", "90+", "90+"]);
  });

  it("reads the MIMIC-IV v1.0 layout (core/ + icu/, plain .csv) identically", async () => {
    const v1 = path.join(tmp.dir, "mimiciv-1.0");
    mkdirSync(path.join(v1, "core"), { recursive: true });
    mkdirSync(path.join(v1, "icu"), { recursive: true });
    for (const name of ["patients", "admissions"]) writeFileSync(path.join(v1, "core", `${name}.csv`), new Uint8Array(gunzipSync(bytes(path.join(DEMO, "hosp", `${name}.csv.gz`)))));
    copyFileSync(path.join(DEMO, "icu/icustays.csv.gz"), path.join(v1, "icu/icustays.csv.gz"));
    const a = await extractEhrFeatures({ mimicIvRoot: v1, metadata: META, selection: PAPER_EHR_SELECTIONS["all-age-10"]!, layout: "resized", pathPrefix: "/data/resized" });
    const b = await extractEhrFeatures({ mimicIvRoot: DEMO, metadata: META, selection: PAPER_EHR_SELECTIONS["all-age-10"]! });
    assert.deepEqual(Array.from(a.matrix), Array.from(b.matrix));
    assert.equal(a.paths[0], "/data/resized/0a000001-11111111-22222222-33333333-44444441.jpg");
    await assert.rejects(extractEhrFeatures({ mimicIvRoot: tmp.dir, metadata: META, selection: { groups: ["scan"] } }), /patients.*not found.*Fix:/);
  });

  it("imputation (conditional mode) is no less accurate than the paper's IterativeImputer(RandomForest)", (t) => {
    const py = requirePython(t, ["sklearn", "numpy"], ["python3-sklearn", "python3-numpy"]);
    if (!py) return;
    // A synthetic scan table with MIMIC-like structure: P(view) from the paper's counts (AP 147k, PA 96k,
    // LATERAL 83k, LL 35k) and orientation mostly Erect except for portable AP. 20% of each column masked.
    const rng = makeRng(5);
    const pick = <T>(items: readonly [T, number][]): T => {
      let u = rng();
      for (const [v, p] of items) if ((u -= p) < 0) return v;
      return items[items.length - 1]![0];
    };
    const truth = Array.from({ length: 600 }, () => {
      const view = pick([["AP", 0.41], ["PA", 0.27], ["LATERAL", 0.22], ["LL", 0.1]] as const);
      const orientation = view === "AP" ? pick([["Recumbent", 0.7], ["Erect", 0.3]] as const) : pick([["Erect", 0.95], ["Recumbent", 0.05]] as const);
      return { view: view as string, orientation: orientation as string };
    });
    const masked = truth.map((r) => ({ view: rng() < 0.2 ? "" : r.view, orientation: rng() < 0.2 ? "" : r.orientation }));
    const file = path.join(tmp.dir, "scan.csv");
    writeFileSync(file, toCsvText(["view", "orientation"], masked.map((r) => [r.view, r.orientation])));
    const sk = pythonJson<{ view: string; orientation: string }[]>(py, "loaders_ehr_reference.py", ["impute", file]);
    const ours = masked.map((r) => ({ ...r }));
    const counts = imputeViewOrientation(ours);
    const acc = (pred: { view: string; orientation: string }[], key: "view" | "orientation") => {
      let ok = 0;
      let n = 0;
      masked.forEach((m, i) => {
        if (m[key] === "") {
          n++;
          if (pred[i]![key] === truth[i]![key]) ok++;
        }
      });
      return ok / n;
    };
    assert.equal(counts.views, masked.filter((m) => m.view === "").length);
    const summary = `view acc ours ${acc(ours, "view").toFixed(3)} vs sklearn ${acc(sk, "view").toFixed(3)}; orientation ${acc(ours, "orientation").toFixed(3)} vs ${acc(sk, "orientation").toFixed(3)}`;
    t.diagnostic(summary);
    assert.ok(acc(ours, "view") >= acc(sk, "view"), summary);
    assert.ok(acc(ours, "orientation") >= acc(sk, "orientation"), summary);
    // Observed values are never changed.
    masked.forEach((m, i) => {
      if (m.view !== "") assert.equal(ours[i]!.view, m.view);
      if (m.orientation !== "") assert.equal(ours[i]!.orientation, m.orientation);
    });
  });
});
