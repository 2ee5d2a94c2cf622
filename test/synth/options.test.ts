import assert from "node:assert/strict";
import { test } from "node:test";
import { SYNTH_OPTION_KEYS, resolveSynthOptions, type SynthOptions } from "../../data-loaders/synth/index.js";
import { Rng } from "../../src/utils/rng.js";

test("defaults: seed 24, 600 MIMIC images, 200 NIH, 200 CheXpert, 256 px, all datasets", () => {
  const o = resolveSynthOptions();
  assert.equal(o.seed, 24);
  assert.equal(o.images, 600);
  assert.equal(o.nihImages, 200);
  assert.equal(o.chexpertImages, 200);
  assert.equal(o.imageSize, 256);
  assert.deepEqual(o.datasets, ["mimic", "nih", "chexpert"]);
  assert.equal(o.jpegQuality, 90);
});

test("unknown keys throw and list the valid keys", () => {
  assert.throws(() => resolveSynthOptions({ imagesize: 64 } as unknown as SynthOptions), (e: Error) => {
    assert.match(e.message, /unknown synth option\(s\) imagesize/);
    for (const k of SYNTH_OPTION_KEYS) assert.ok(e.message.includes(k), k);
    return true;
  });
});

test("invalid values throw", () => {
  assert.throws(() => resolveSynthOptions({ images: 10, patients: 3 }), /either images or patients/);
  assert.throws(() => resolveSynthOptions({ imageSize: 8 }), /imageSize/);
  assert.throws(() => resolveSynthOptions({ jpegQuality: 0 }), /jpegQuality/);
  assert.throws(() => resolveSynthOptions({ imagesPerStudy: 4 }), /imagesPerStudy/);
  assert.throws(() => resolveSynthOptions({ seed: 1.5 }), /seed/);
  assert.throws(() => resolveSynthOptions({ datasets: ["mimic", "padchest"] as never }), /unknown dataset padchest/);
  assert.throws(() => resolveSynthOptions({ datasets: [] }), /non-empty/);
});

test("patients instead of images; datasets keep canonical order", () => {
  const o = resolveSynthOptions({ patients: 10, datasets: ["chexpert", "mimic"] });
  assert.equal(o.images, null);
  assert.equal(o.patients, 10);
  assert.deepEqual(o.datasets, ["mimic", "chexpert"]);
});

test("Rng is deterministic, in range, and forks are independent of draw order", () => {
  const a = new Rng(7), b = new Rng(7);
  for (let i = 0; i < 100; i++) assert.equal(a.uniform(), b.uniform());
  const r = new Rng(1);
  for (let i = 0; i < 1000; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    const k = r.int(3, 5);
    assert.ok(k >= 3 && k <= 5 && Number.isInteger(k));
  }
  const p = new Rng(9);
  const f1 = p.fork("x").uniform();
  p.uniform();
  assert.equal(p.fork("x").uniform(), f1);
  assert.notEqual(p.fork("y").uniform(), f1);
  let mean = 0;
  const n = new Rng(3);
  for (let i = 0; i < 4000; i++) mean += n.normal() / 4000;
  assert.ok(Math.abs(mean) < 0.06);
});

test("CLI arguments parse to options; unknown flags throw", async () => {
  const { parseSynthArgs } = await import("../../app/cli/synth.js");
  assert.deepEqual(parseSynthArgs(["out", "--image-size", "64", "--images=40", "--datasets", "mimic,nih", "--jpegQuality", "80"]), {
    outDir: "out",
    options: { imageSize: 64, images: 40, datasets: ["mimic", "nih"], jpegQuality: 80 },
  });
  assert.throws(() => parseSynthArgs(["out", "--size", "64"]), /unknown flag --size.*--image-size/);
  assert.throws(() => parseSynthArgs(["--seed", "1"]), /usage/);
  assert.throws(() => parseSynthArgs(["out", "--seed", "x"]), /number/);
});
