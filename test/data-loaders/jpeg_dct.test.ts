/**
 * JPEG through the mmsn_jpeg addon (native/jpeg: libjpeg-turbo DCT scaling, Pillow's draft() rule) against
 * Pillow computed live: `Image.open(f); im.draft("L", (256, 256)); im.convert("L")`, then BILINEAR to shorter
 * side 256 as test/reference/loaders_pillow_bench.py does. Skipped (with the reason) when the addon is not built.
 * Tolerances: the 9 NIH JPEGs (1024², exact 1/4 DCT scaling, no resize left) are bit-identical to Pillow (same
 * libjpeg-turbo, same scaled IDCT); a 1000×800 JPEG (1/2 DCT scaling, then libvips "linear" vs Pillow's
 * BILINEAR for 500×400 → 320×256) is within 4 grey levels, mean |diff| < 0.5 (measured: 4 and 0.21).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { decodeGray, ImageDecodeError, readGrayImage } from "../../data-loaders/index.js";
import { jpegDecoder } from "../../data-loaders/image.js";
import { requirePython } from "../helpers/python.js";
import { skipLoudly } from "../helpers/skip.js";
import { NIH, tempDir } from "./helpers.js";

const PNGS = readdirSync(path.join(NIH, "images")).filter((f) => f.endsWith(".png")).sort().map((f) => path.join(NIH, "images", f));
const tmp = tempDir("mmsn-jpeg-");
after(() => tmp.cleanup());
const jpegs: string[] = [];
let odd = "";

const PIL_REF = `
import sys, json, base64
from PIL import Image
out = {}
for f in sys.argv[1:]:
    im = Image.open(f)
    im.draft("L", (256, 256))
    im = im.convert("L")
    s = 256 / min(im.size)
    if s < 1:
        im = im.resize((round(im.width * s), round(im.height * s)), Image.BILINEAR)
    out[f] = {"w": im.width, "h": im.height, "b64": base64.b64encode(im.tobytes()).decode()}
print(json.dumps(out))
`;

function pillow(py: string, files: string[]): Record<string, { w: number; h: number; px: Uint8Array }> {
  const raw = JSON.parse(execFileSync(py, ["-c", PIL_REF, ...files], { encoding: "utf8", maxBuffer: 1 << 28 })) as Record<string, { w: number; h: number; b64: string }>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, { w: v.w, h: v.h, px: new Uint8Array(Buffer.from(v.b64, "base64")) }]));
}

function diffStats(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.length };
}

before(async () => {
  // As test/bench/preprocess.ts makes them: channel 0 of each NIH PNG, JPEG quality 90.
  for (const p of PNGS) {
    const j = path.join(tmp.dir, path.basename(p, ".png") + ".jpg");
    await sharp(p).extractChannel(0).jpeg({ quality: 90 }).toFile(j);
    jpegs.push(j);
  }
  odd = path.join(tmp.dir, "odd_1000x800.jpg");
  await sharp(PNGS[0]!).extractChannel(0).resize(1000, 800, { fit: "fill" }).jpeg({ quality: 90 }).toFile(odd);
});

/** Skip loudly without the addon (a failure under CI=true, which installs libjpeg62-turbo-dev). */
const noAddon = (t: { skip: (msg?: string) => void }) =>
  skipLoudly(t, "mmsn_jpeg addon not built (node native/build.mjs; needs libjpeg62-turbo-dev) or MMSN_JPEG=sharp");

describe("JPEG via libjpeg-turbo DCT scaling (mmsn_jpeg) vs Pillow draft()", () => {
  it("9 NIH JPEGs q90 at shortSide 256 are bit-identical to Pillow (1/4 DCT scaling)", async (t) => {
    if (!jpegDecoder()) return noAddon(t);
    const py = requirePython(t, ["PIL"], ["python3-pil"]);
    if (!py) return;
    assert.equal(jpegs.length, 9);
    const ref = pillow(py, jpegs);
    for (const f of jpegs) {
      const img = await readGrayImage(f, { shortSide: 256 });
      assert.deepEqual([img.width, img.height, img.bitDepth], [ref[f]!.w, ref[f]!.h, 8], f);
      assert.deepEqual([img.width, img.height], [256, 256]);
      assert.equal(diffStats(img.data as Uint8Array, ref[f]!.px).max, 0, f);
    }
  });

  it("non-4× size: 1000×800 → 320×256 within 4 grey levels of Pillow (1/2 DCT scaling + linear resize)", async (t) => {
    if (!jpegDecoder()) return noAddon(t);
    const py = requirePython(t, ["PIL"], ["python3-pil"]);
    if (!py) return;
    const ref = pillow(py, [odd])[odd]!;
    const img = await readGrayImage(odd, { shortSide: 256 });
    assert.deepEqual([img.width, img.height], [320, 256]);
    assert.deepEqual([ref.w, ref.h], [320, 256]);
    const { max, mean } = diffStats(img.data as Uint8Array, ref.px);
    assert.ok(max <= 4 && mean < 0.5, `max ${max}, mean ${mean.toFixed(3)}`);
  });

  it("addon output: scale denominator follows Pillow's draft rule; full resolution without shortSide", (t) => {
    const dec = jpegDecoder();
    if (!dec) return noAddon(t);
    const buf = new Uint8Array(readFileSync(odd));
    assert.deepEqual([256, 200, 100, 1].map((s) => dec.decodeGray(buf, s).scaleDenom), [2, 4, 8, 8]);
    const full = dec.decodeGray(buf, 0);
    assert.deepEqual([full.width, full.height, full.scaleDenom], [1000, 800, 1]);
    const quarter = dec.decodeGray(buf, 200);
    assert.deepEqual([quarter.width, quarter.height], [250, 200]);
  });

  it("CMYK JPEG: the addon says 'unsupported JPEG' and readGrayImage falls back to sharp", async (t) => {
    const dec = jpegDecoder();
    if (!dec) return noAddon(t);
    const f = path.join(tmp.dir, "cmyk.jpg");
    await sharp({ create: { width: 300, height: 200, channels: 3, background: "#806040" } }).toColourspace("cmyk").jpeg({ quality: 90 }).toFile(f);
    assert.throws(() => dec.decodeGray(new Uint8Array(readFileSync(f)), 100), /unsupported JPEG: CMYK/);
    const img = await readGrayImage(f, { shortSide: 100 });
    assert.deepEqual([img.width, img.height, img.bitDepth], [150, 100, 8]);
  });

  it("truncated and non-JPEG bytes throw ImageDecodeError 'cannot decode image', as with sharp; garbled entropy data decodes, as with sharp", async () => {
    const good = readFileSync(jpegs[0]!);
    const trunc = path.join(tmp.dir, "truncated.jpg");
    writeFileSync(trunc, good.subarray(0, Math.floor(good.length / 2)));
    const junk = path.join(tmp.dir, "corrupt.jpg");
    const bad = Buffer.from(good);
    bad.fill(0x55, 600, 4000); // garbage after the headers
    writeFileSync(junk, Buffer.concat([good.subarray(0, 3), Buffer.from("not a jpeg at all")]));
    const scrambled = path.join(tmp.dir, "scrambled.jpg");
    writeFileSync(scrambled, bad);
    for (const f of [trunc, junk]) {
      for (const opts of [{}, { shortSide: 256 }]) {
        await assert.rejects(readGrayImage(f, opts), (e: unknown) => e instanceof ImageDecodeError && e.file === f && /cannot decode image/.test(e.message), f);
      }
    }
    await assert.rejects(decodeGray(new Uint8Array(good.subarray(0, 100))), ImageDecodeError);
    // libjpeg only warns on corrupt entropy data; sharp (failOn "error") and mmsn_jpeg both decode it.
    const s = await readGrayImage(scrambled, { shortSide: 256 });
    assert.deepEqual([s.width, s.height], [256, 256]);
  });

  it("decodeGrayAsync (libuv's thread pool): the same pixels as decodeGray with 9 decodes in flight; the same errors, as rejections", async (t) => {
    const dec = jpegDecoder();
    if (!dec) return noAddon(t);
    const bufs = jpegs.map((f) => new Uint8Array(readFileSync(f)));
    const pending = bufs.map((b) => dec.decodeGrayAsync(b, 256));
    assert.ok(pending.every((p) => p instanceof Promise));
    const got = await Promise.all(pending);
    bufs.forEach((b, i) => assert.deepEqual(got[i], dec.decodeGray(b, 256), jpegs[i]));
    const trunc = bufs[0]!.subarray(0, bufs[0]!.length >> 1);
    assert.throws(() => dec.decodeGray(trunc, 0), /corrupt JPEG/);
    await assert.rejects(dec.decodeGrayAsync(trunc, 0), /corrupt JPEG/);
    const cmyk = await sharp({ create: { width: 30, height: 20, channels: 3, background: "#806040" } }).toColourspace("cmyk").jpeg().toBuffer();
    await assert.rejects(dec.decodeGrayAsync(new Uint8Array(cmyk), 0), /unsupported JPEG: CMYK\/YCCK colour space/);
    assert.throws(() => dec.decodeGrayAsync(new Float32Array(4) as never, 0), /decodeGrayAsync\(buf: Uint8Array, shortSide: number\)/);
  });
});
