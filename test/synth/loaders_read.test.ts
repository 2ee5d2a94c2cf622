/** The synthetic cohort is read by the very same loaders as the real datasets. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { loadChexpert } from "../../data-loaders/chexpert.js";
import { readDatasetImage } from "../../data-loaders/dataset.js";
import { loadMimicCxr } from "../../data-loaders/mimic_cxr.js";
import { loadNih14 } from "../../data-loaders/nih14.js";
import { writeSyntheticCohort } from "../../data-loaders/synth/index.js";

describe("loaders read the synthetic cohort", () => {
  const dir = mkdtempSync(join(tmpdir(), "mmsn-synth-load-"));
  let counts: { mimic: { images: number; studiesWithChexpertRow: number }; nih: { images: number }; chexpert: { trainImages: number } };
  before(async () => {
    await writeSyntheticCohort(dir, { images: 60, imageSize: 64 });
    counts = JSON.parse(readFileSync(join(dir, "synth.json"), "utf8")).counts;
  });

  it("MIMIC-CXR-JPG: every labelled image, with its split and a decodable JPG", async () => {
    const ds = loadMimicCxr({ root: join(dir, "mimic-cxr-jpg/2.0.0") });
    assert.ok(ds.length > 0 && ds.length <= counts.mimic.images, `${ds.length} of ${counts.mimic.images} images`);
    assert.ok(new Set(ds.split).size >= 2, "splits from the official split file");
    const img = await readDatasetImage(ds, 0);
    assert.ok(img.width > 0 && img.height > 0);
  });

  it("NIH-14: every row of Data_Entry with decodable PNGs (one RGBA)", async () => {
    const ds = loadNih14({ root: join(dir, "nih-chestxray14") });
    assert.equal(ds.length, counts.nih.images);
    for (let i = 0; i < ds.length; i++) assert.ok((await readDatasetImage(ds, i)).width > 0);
  });

  it("CheXpert: train.csv rows resolve under the dataset root", async () => {
    const ds = loadChexpert({ root: join(dir, "chexpert/CheXpert-v1.0-small"), csv: "train.csv" });
    assert.equal(ds.length, counts.chexpert.trainImages);
    assert.ok((await readDatasetImage(ds, 0)).width > 0);
  });
});
