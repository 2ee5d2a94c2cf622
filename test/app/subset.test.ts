/**
 * The notebooks' subset (issue 21): `MMSN_SUBSET` / `{ subset }` caps the images per split that `splitFeatures`
 * extracts features of, with a seeded label-stratified sample (`stratifiedSubset`); without a cap a large
 * dataset prints one warning.
 */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { LoadReport, loadMimicCxr, selectSplit, type CxrDataset, type SplitName } from "../../data-loaders/index.js";
import { LARGE_DATASET_IMAGES, SUBSET_ENV, datasetFeatures, resolveDataRoots, splitFeatures, stratifiedSubset, subsetFromEnv } from "../../app/data.js";
import type { Encoder } from "../../src/eval/types.js";
import { tempDir } from "../data-loaders/helpers.js";

/** A dataset of `rows` (labels per row, split per row) whose image files do not exist. */
function fakeDataset(rows: readonly { labels: readonly number[]; split?: SplitName }[], labelNames: readonly string[]): CxrDataset {
  const n = rows.length;
  const ids = rows.map((_, i) => `img${i}`);
  return {
    name: "fake",
    root: "/nonexistent/fake",
    length: n,
    ids,
    paths: ids.map((id) => `/nonexistent/fake/${id}.jpg`),
    labels: Float32Array.from(rows.flatMap((r) => r.labels)),
    labelNames,
    views: rows.map(() => "PA"),
    patientIds: ids,
    studyIds: rows.map(() => ""),
    split: rows.map((r) => r.split ?? "train"),
    ages: new Float32Array(n),
    sexes: rows.map(() => "F" as const),
    report: new LoadReport("fake"),
  };
}

/** 1000 images: 100 with the rare label A (40 of them also B), 300 with only B, 600 without a positive. */
const STRATA = fakeDataset(
  Array.from({ length: 1000 }, (_, i) => ({ labels: i < 100 ? [1, i < 40 ? 1 : 0] : i < 400 ? [0, 1] : [0, i % 7 === 0 ? Number.NaN : 0] })),
  ["A", "B"],
);

const countWith = (ds: CxrDataset, pred: (labels: Float32Array) => boolean) => {
  const L = ds.labelNames.length;
  let c = 0;
  for (let i = 0; i < ds.length; i++) if (pred(ds.labels.subarray(i * L, (i + 1) * L))) c++;
  return c;
};

describe("subsetFromEnv (MMSN_SUBSET)", () => {
  it("unset, empty or 0: no cap; a positive integer: the cap; anything else throws", () => {
    assert.equal(SUBSET_ENV, "MMSN_SUBSET");
    assert.equal(subsetFromEnv({}), undefined);
    assert.equal(subsetFromEnv({ MMSN_SUBSET: "" }), undefined);
    assert.equal(subsetFromEnv({ MMSN_SUBSET: " 0 " }), undefined);
    assert.equal(subsetFromEnv({ MMSN_SUBSET: "2000" }), 2000);
    for (const bad of ["abc", "-5", "1.5", "1e3", "20 00"]) assert.throws(() => subsetFromEnv({ MMSN_SUBSET: bad }), /MMSN_SUBSET must be a positive integer/, bad);
  });
});

describe("stratifiedSubset", () => {
  it("is deterministic for a seed, keeps dataset order, and draws another sample for another seed", () => {
    const a = stratifiedSubset(STRATA, 100);
    const b = stratifiedSubset(STRATA, 100);
    assert.equal(a.length, 100);
    assert.deepEqual(a.ids, b.ids);
    const pos = a.ids.map((id) => STRATA.ids.indexOf(id));
    assert.ok(pos.every((p, i) => p >= 0 && (i === 0 || p > pos[i - 1]!)), "kept images stay in dataset order");
    assert.notDeepEqual(stratifiedSubset(STRATA, 100, 7).ids, a.ids);
    assert.deepEqual(stratifiedSubset(STRATA, 100, 7).ids, stratifiedSubset(STRATA, 100, 7).ids);
  });

  it("keeps each stratum's share (stratum = rarest positive label; none/NaN = one stratum)", () => {
    const s = stratifiedSubset(STRATA, 100);
    assert.equal(countWith(s, (l) => l[0] === 1), 10, "A (rarest): 100 of 1000 → 10 of 100");
    assert.equal(countWith(s, (l) => l[0] !== 1 && l[1] === 1), 30, "only B: 300 → 30");
    assert.equal(countWith(s, (l) => l[0] !== 1 && l[1] !== 1), 60, "no positive: 600 → 60");
    // labels travel with their images
    for (let i = 0; i < s.length; i++) {
      const src = STRATA.ids.indexOf(s.ids[i]!);
      assert.deepEqual([...s.labels.subarray(2 * i, 2 * i + 2)], [...STRATA.labels.subarray(2 * src, 2 * src + 2)]);
    }
    // largest remainder: n not divisible by the shares still gives exactly n
    for (const n of [1, 7, 33, 999]) assert.equal(stratifiedSubset(STRATA, n).length, n);
  });

  it("returns the dataset itself when it has no more than n images, or for n 0 / Infinity", () => {
    assert.equal(stratifiedSubset(STRATA, 1000), STRATA);
    assert.equal(stratifiedSubset(STRATA, 5000), STRATA);
    assert.equal(stratifiedSubset(STRATA, 0), STRATA);
    assert.equal(stratifiedSubset(STRATA, Number.POSITIVE_INFINITY), STRATA);
  });
});

describe("splitFeatures / datasetFeatures with a subset (synthetic cohort)", () => {
  const tmp = tempDir("mmsn-app-subset-");
  let mimic: CxrDataset;
  const saved = process.env[SUBSET_ENV];
  // A cheap deterministic encoder: the mean and max of each image.
  const encoder: Encoder = (x) => tf.tidy(() => tf.concat([x.mean([1, 2, 3]).reshape([-1, 1]), x.max([1, 2, 3]).reshape([-1, 1])], 1) as tf.Tensor2D);
  const other: Encoder = (x) => tf.tidy(() => x.min([1, 2, 3]).reshape([-1, 1]) as tf.Tensor2D);
  const opts = { size: 32, channels: 1 } as const;

  before(async () => {
    delete process.env[SUBSET_ENV];
    const r = await resolveDataRoots(["mimic", "mimicIv"], { synthDir: tmp.dir, synth: { images: 60, imageSize: 64 }, env: {} });
    mimic = loadMimicCxr({ root: r.roots.mimic! });
  });
  after(() => {
    if (saved === undefined) delete process.env[SUBSET_ENV];
    else process.env[SUBSET_ENV] = saved;
    tmp.cleanup();
  });

  it("unset: every image of every split", async () => {
    const f = await splitFeatures(encoder, mimic, opts);
    assert.deepEqual([f.train.n, f.val.n, f.test.n], [selectSplit(mimic, "train").length, selectSplit(mimic, "validate").length, selectSplit(mimic, "test").length]);
  });

  it("{ subset } caps each split with the same images for every encoder; MMSN_SUBSET does the same; subset: Infinity overrides it", async () => {
    const cap = 5;
    const sizes = (["train", "validate", "test"] as const).map((s) => Math.min(cap, selectSplit(mimic, s).length));
    assert.ok(selectSplit(mimic, "train").length > cap, "the train split must be larger than the cap for this test");
    const a = await splitFeatures(encoder, mimic, { ...opts, subset: cap });
    const b = await splitFeatures(other, mimic, { ...opts, subset: cap });
    assert.deepEqual([a.train.n, a.val.n, a.test.n], sizes);
    assert.deepEqual(b.train.labels, a.train.labels, "the same images (labels) for another encoder");
    const direct = await datasetFeatures(encoder, stratifiedSubset(selectSplit(mimic, "train"), cap), opts);
    assert.deepEqual(a.train.features, direct.features, "the train features are those of stratifiedSubset(train)");
    const viaDataset = await datasetFeatures(encoder, selectSplit(mimic, "train"), { ...opts, subset: cap });
    assert.deepEqual(viaDataset.features, direct.features, "datasetFeatures({ subset }) draws the same sample");

    process.env[SUBSET_ENV] = String(cap);
    try {
      const e = await splitFeatures(encoder, mimic, opts);
      assert.deepEqual(e.train.features, a.train.features);
      assert.deepEqual([e.train.n, e.val.n, e.test.n], sizes);
      const all = await splitFeatures(encoder, mimic, { ...opts, subset: Number.POSITIVE_INFINITY });
      assert.equal(all.train.n, selectSplit(mimic, "train").length);
      const plain = await datasetFeatures(encoder, selectSplit(mimic, "train"), opts);
      assert.equal(plain.n, selectSplit(mimic, "train").length, "datasetFeatures does not read MMSN_SUBSET (the CLI uses it)");
      process.env[SUBSET_ENV] = "lots";
      await assert.rejects(splitFeatures(encoder, mimic, opts), /MMSN_SUBSET must be a positive integer/);
    } finally {
      delete process.env[SUBSET_ENV];
    }
  });

  it(`a dataset of more than ${LARGE_DATASET_IMAGES} images without a cap warns once, with images × encoders and how to set MMSN_SUBSET`, async () => {
    const big = fakeDataset(
      Array.from({ length: 6000 }, (_, i) => ({ labels: [i % 3 === 0 ? 1 : 0], split: (i < 5000 ? "train" : i < 5500 ? "validate" : "test") as SplitName })),
      ["A"],
    );
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a.join(" "));
    // The image files do not exist: extraction fails after the warning (or yields nothing); only the warning matters.
    const attempt = (o: object) => splitFeatures(encoder, big, { ...opts, ...o }).catch(() => undefined);
    try {
      await attempt({});
      await attempt({});
      await attempt({ subset: 10 });
    } finally {
      console.warn = warn;
    }
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /fake has 6,000 images \(train 5,000, validate 500, test 500\)/);
    assert.match(warnings[0]!, /notebook 07: 9 = 54,000 images/);
    assert.match(warnings[0]!, /MMSN_SUBSET=2000/);
  });
});
