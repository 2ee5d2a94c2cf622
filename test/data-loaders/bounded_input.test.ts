/**
 * Issue 18, "nothing silent", for image files: (1) a header that claims a huge image (a "decompression bomb":
 * a 64×64 JPEG whose SOF says 65500×65500) is refused before decoding by every decoder, with an
 * ImageDecodeError naming the file, the claimed size, the limit and the `maxPixels` option; (2) an image path
 * that resolves through a symlink outside the dataset root is not read unless the loader allows symlinks.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import {
  datasetSource,
  decodeDicom,
  decodeGray,
  DEFAULT_MAX_PIXELS,
  ImageDecodeError,
  loadMimicCxr,
  loadNih14,
  readDatasetImage,
  readGrayImage,
  writeSyntheticCohort,
} from "../../data-loaders/index.js";
import { bytes, SAMPLES, tempDir } from "./helpers.js";

const tmp = tempDir("mmsn-bounded-");
after(() => tmp.cleanup());

/** A 64×64 grey JPEG whose SOF0 header is patched to claim `w`×`h`. */
async function jpegClaiming(w: number, h: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(64 * 64, 0).map((_, i) => (i * 7) % 256);
  const b = new Uint8Array(await sharp(raw, { raw: { width: 64, height: 64, channels: 1 } }).jpeg({ quality: 90 }).toBuffer());
  for (let i = 2; i + 9 < b.length; ) {
    const m = b[i + 1]!;
    if (m === 0xc0 || m === 0xc2) {
      b[i + 5] = h >> 8;
      b[i + 6] = h & 255;
      b[i + 7] = w >> 8;
      b[i + 8] = w & 255;
      return b;
    }
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  throw new Error("no SOF marker");
}

/** A 64×64 grey PNG whose IHDR (with a valid CRC) claims `w`×`h`. */
async function pngClaiming(w: number, h: number): Promise<Uint8Array> {
  const b = new Uint8Array(await sharp(Buffer.alloc(64 * 64, 128), { raw: { width: 64, height: 64, channels: 1 } }).png().toBuffer());
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setUint32(16, w);
  v.setUint32(20, h);
  v.setUint32(29, crc32(b.subarray(12, 29)));
  return b;
}

const bomb = (file: string, claim: string, limit = "89,478,485") => (e: unknown) =>
  e instanceof ImageDecodeError &&
  e.file === file &&
  e.message.includes(`${file}: decompression bomb`) &&
  e.message.includes(claim) &&
  e.message.includes(`limit of ${limit}`) &&
  /maxPixels/.test(e.message);

describe("bounded decoding: the header's size is checked before decoding", () => {
  it("a 64×64 JPEG claiming 65500×65500 is refused (readGrayImage names the file), at any shortSide", async () => {
    const buf = await jpegClaiming(65500, 65500);
    assert.ok(buf.length < 20_000);
    const f = path.join(tmp.dir, "bomb.jpg");
    writeFileSync(f, buf);
    assert.equal(DEFAULT_MAX_PIXELS, 89_478_485);
    // Before: accepted (1.7 s and +140 MB each at shortSide 256; 59 s and 8.5 GB at full resolution).
    await assert.rejects(readGrayImage(f, { shortSide: 256 }), bomb(f, "JPEG header claims 65500×65500 = 4,290,250,000 pixels"));
    await assert.rejects(decodeGray(buf, {}, "b.jpg"), bomb("b.jpg", "65500×65500"));
  });

  it("a PNG whose (valid) IHDR claims 40000×40000 is refused; so is a TIFF above a lowered limit", async () => {
    const png = await pngClaiming(40000, 40000);
    await assert.rejects(decodeGray(png, { shortSide: 64 }, "bomb.png"), bomb("bomb.png", "PNG header claims 40000×40000"));
    const tiff = new Uint8Array(await sharp(Buffer.alloc(64 * 64, 9), { raw: { width: 64, height: 64, channels: 1 } }).tiff().toBuffer());
    await assert.rejects(decodeGray(tiff, { maxPixels: 4000 }, "x.tif"), bomb("x.tif", "TIFF header claims 64×64 = 4,096 pixels", "4,000"));
    assert.equal((await decodeGray(tiff, { maxPixels: 4096 }, "x.tif")).width, 64);
  });

  it("maxPixels raises or lowers the limit for JPEG and PNG alike; bad values are refused", async () => {
    const jpeg = await jpegClaiming(64, 64);
    const png = await pngClaiming(64, 64);
    for (const [buf, kind] of [[jpeg, "JPEG"], [png, "PNG"]] as const) {
      await assert.rejects(decodeGray(buf, { maxPixels: 4095 }, "s"), bomb("s", `${kind} header claims 64×64 = 4,096 pixels`, "4,095"));
      const img = await decodeGray(buf, { maxPixels: 4096 }, "s");
      assert.deepEqual([img.width, img.height], [64, 64]);
    }
    assert.equal((await decodeGray(jpeg, { maxPixels: Infinity })).width, 64);
    await assert.rejects(decodeGray(jpeg, { maxPixels: -1 }), /decodeGray: maxPixels must be a positive number/);
  });

  it("DICOM: Rows × Columns is checked before the pixel data is read", async () => {
    const f = path.join(SAMPLES, "dicom/xrv_Fake_MONOHR1.dcm");
    const { info } = await decodeDicom(bytes(f), f);
    const n = info.rows * info.columns;
    await assert.rejects(readGrayImage(f, { maxPixels: n - 1 }), bomb(f, `DICOM header claims ${info.columns}×${info.rows}`, (n - 1).toLocaleString("en-US")));
    await assert.rejects(decodeDicom(bytes(f), f, { maxPixels: n - 1 }), ImageDecodeError);
    assert.equal((await readGrayImage(f, { maxPixels: n })).width, info.columns);
  });
});

describe("symlinks: image paths are confined to the dataset root's real path", () => {
  const COHORT = path.join(tmp.dir, "cohort");
  const MIMIC = path.join(COHORT, "mimic-cxr-jpg/2.0.0");
  const NIH = path.join(COHORT, "nih-chestxray14");
  const OUTSIDE = path.join(tmp.dir, "outside");
  before(async () => {
    await writeSyntheticCohort(COHORT, { images: 40, imageSize: 64, datasets: ["mimic", "nih"] });
    mkdirSync(OUTSIDE, { recursive: true });
  });

  it("a file symlinked outside the root is not read (ImageDecodeError) unless allowSymlinks; checkImages counts it at load", async () => {
    const ds = loadMimicCxr({ root: MIMIC });
    const p = ds.paths[0]!;
    const elsewhere = path.join(OUTSIDE, "secret.jpg");
    copyFileSync(p, elsewhere);
    renameSync(p, `${p}.orig`);
    symlinkSync(elsewhere, p);
    try {
      // Before: the link was followed (the check was lexical only).
      await assert.rejects(readDatasetImage(ds, 0), (e: unknown) => e instanceof ImageDecodeError && e.file === p && /path outside the dataset root: .* resolves \(through a symlink\) to .*secret\.jpg, outside .*allowSymlinks: true/.test(e.message));
      await assert.rejects(datasetSource(ds, { shortSide: 32 }).read(0), ImageDecodeError);
      assert.ok((await readDatasetImage(ds, 1)).width > 0); // the others are unaffected
      const allowed = loadMimicCxr({ root: MIMIC, allowSymlinks: true });
      assert.equal(allowed.allowSymlinks, true);
      assert.equal((await readDatasetImage(allowed, 0)).width, 64);
      const checked = loadMimicCxr({ root: MIMIC, checkImages: true });
      assert.equal(checked.length, ds.length - 1);
      assert.equal(checked.report.total("path outside dataset root"), 1);
      assert.match(checked.report.examplesOf("path outside dataset root")[0]!.detail, /secret\.jpg/);
      assert.equal(loadMimicCxr({ root: MIMIC, checkImages: true, allowSymlinks: true }).length, ds.length);
    } finally {
      rmSync(p);
      renameSync(`${p}.orig`, p);
    }
  });

  it("a symlinked image folder leading outside is refused too; a symlinked root, or links that stay inside, are fine", async () => {
    const images = path.join(NIH, "images");
    const moved = path.join(OUTSIDE, "nih-images");
    renameSync(images, moved);
    symlinkSync(moved, images);
    try {
      const ds = loadNih14({ root: NIH });
      await assert.rejects(readDatasetImage(ds, 0), /path outside the dataset root/);
      assert.ok((await readDatasetImage(loadNih14({ root: NIH, allowSymlinks: true }), 0)).width > 0);
      const checked = loadNih14({ root: NIH, checkImages: true });
      assert.deepEqual([checked.length, checked.report.total("path outside dataset root")], [0, ds.length]);
      assert.equal(loadNih14({ root: NIH, checkImages: true, allowSymlinks: true }).length, ds.length);
    } finally {
      rmSync(images);
      renameSync(moved, images);
    }
    const link = path.join(tmp.dir, "nih-link");
    symlinkSync(NIH, link);
    const viaLink = loadNih14({ root: link });
    assert.ok((await readDatasetImage(viaLink, 0)).width > 0);
    assert.equal(loadNih14({ root: link, checkImages: true }).length, viaLink.length);
    const inside = path.join(NIH, "images-alias");
    symlinkSync(images, inside);
    const aliased = loadNih14({ root: NIH, imageDir: "images-alias" });
    assert.ok((await readDatasetImage(aliased, 0)).width > 0);
    assert.equal(loadNih14({ root: NIH, imageDir: "images-alias", checkImages: true }).length, aliased.length);
    assert.ok(readFileSync(aliased.paths[0]!).length > 0);
  });
});
