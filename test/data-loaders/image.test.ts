/**
 * Image decoding against Pillow and pydicom computed live (test/reference/loaders_image_ref.py): every real
 * NIH PNG in test/fixtures/real-samples (8-bit L and the RGBA one: channel 0), a 16-bit PNG and JPEGs written by Pillow, and
 * the three real DICOMs (uncompressed Implicit VR, JPEG baseline, MONOCHROME1). Bad files each have a test.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeDicom, decodeGray, ImageDecodeError, readGrayImage, toUint8, type GrayImage } from "../../data-loaders/index.js";
import { requirePython } from "../helpers/python.js";
import { bytes, NIH, pythonJson, SAMPLES, tempDir } from "./helpers.js";

interface PyImage {
  mode?: string;
  photometric?: string;
  width: number;
  height: number;
  bits: number;
  b64: string;
}

const IMAGES = readdirSync(path.join(NIH, "images")).filter((f) => f.endsWith(".png")).sort().map((f) => path.join(NIH, "images", f));
const DICOM = path.join(SAMPLES, "dicom");
const UNCOMPRESSED = path.join(DICOM, "nih-gcp_1.3.6.1.4.1.11129.5.5.110503645592756492463169821050252582267888.dcm");
const JPEG_DCM = path.join(DICOM, "siim-acr_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm");
const MONO1 = path.join(DICOM, "xrv_Fake_MONOHR1.dcm");
const tmp = tempDir();
after(() => tmp.cleanup());

function pixelsOf(p: PyImage): Uint8Array | Uint16Array {
  const b = Buffer.from(p.b64, "base64");
  return p.bits === 8 ? new Uint8Array(b) : new Uint16Array(b.buffer, b.byteOffset, b.length / 2);
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("image decoding vs Pillow / pydicom", () => {
  it("every real NIH PNG decodes bit-exactly to Pillow's channel 0 (8 L + 1 RGBA, 1024×1024)", async (t) => {
    const py = requirePython(t, ["PIL", "numpy"], ["python3-pil", "python3-numpy"]);
    if (!py) return;
    assert.equal(IMAGES.length, 9);
    const ref = pythonJson<Record<string, PyImage>>(py, "loaders_image_ref.py", ["pil", ...IMAGES]);
    const modes = IMAGES.map((f) => ref[f]!.mode).sort();
    assert.deepEqual(modes, ["L", "L", "L", "L", "L", "L", "L", "L", "RGBA"]);
    for (const f of IMAGES) {
      const img = await readGrayImage(f);
      assert.deepEqual([img.width, img.height, img.bitDepth], [1024, 1024, 8], f);
      assert.equal(maxAbsDiff(img.data, pixelsOf(ref[f]!)), 0, f);
    }
  });

  it("16-bit PNG (written by Pillow) decodes to exact uint16 values", async (t) => {
    const py = requirePython(t, ["PIL", "numpy"], ["python3-pil", "python3-numpy"]);
    if (!py) return;
    const f = path.join(tmp.dir, "ramp16.png");
    pythonJson(py, "loaders_image_ref.py", ["make16", f]);
    const ref = pythonJson<Record<string, PyImage>>(py, "loaders_image_ref.py", ["pil", f]);
    const img = await readGrayImage(f);
    assert.deepEqual([img.width, img.height, img.bitDepth], [40, 30, 16]);
    assert.ok(img.data instanceof Uint16Array);
    assert.equal(maxAbsDiff(img.data, pixelsOf(ref[f]!)), 0);
    const u8 = toUint8(img);
    assert.equal(u8.data[1], Math.round((54 * 255) / 65535));
  });

  it("JPEG (written by Pillow from a real NIH PNG) matches Pillow's decode within JPEG IDCT rounding", async (t) => {
    const py = requirePython(t, ["PIL", "numpy"], ["python3-pil", "python3-numpy"]);
    if (!py) return;
    const f = path.join(tmp.dir, "nih.jpg");
    pythonJson(py, "loaders_image_ref.py", ["makejpeg", IMAGES[0]!, f, "90"]);
    const ref = pixelsOf(pythonJson<Record<string, PyImage>>(py, "loaders_image_ref.py", ["pil", f])[f]!);
    const img = await readGrayImage(f);
    assert.deepEqual([img.width, img.height], [1024, 1024]);
    assert.ok(maxAbsDiff(img.data, ref) <= 2, `max diff ${maxAbsDiff(img.data, ref)}`);
  });

  it("DICOM: uncompressed Implicit VR LE is bit-exact with pydicom", async (t) => {
    const py = requirePython(t, ["pydicom", "numpy"], ["python3-pydicom", "python3-numpy"]);
    if (!py) return;
    const ref = pythonJson<Record<string, PyImage>>(py, "loaders_image_ref.py", ["dicom", UNCOMPRESSED])[UNCOMPRESSED]!;
    const { image, info } = await decodeDicom(bytes(UNCOMPRESSED), UNCOMPRESSED);
    assert.equal(info.transferSyntax, "1.2.840.10008.1.2");
    assert.deepEqual([image.width, image.height, image.bitDepth], [1024, 1024, 8]);
    assert.equal(maxAbsDiff(image.data, pixelsOf(ref)), 0);
  });

  it("DICOM: JPEG baseline matches pydicom within IDCT rounding; MONOCHROME1 is inverted (255 − x)", async (t) => {
    const py = requirePython(t, ["pydicom", "numpy", "PIL"], ["python3-pydicom", "python3-numpy", "python3-pil"]);
    if (!py) return;
    const ref = pythonJson<Record<string, PyImage>>(py, "loaders_image_ref.py", ["dicom", JPEG_DCM, MONO1]);
    const jpeg = await readGrayImage(JPEG_DCM);
    const mono1 = await readGrayImage(MONO1);
    assert.deepEqual([jpeg.width, jpeg.height], [1024, 1024]);
    const pyJ = pixelsOf(ref[JPEG_DCM]!);
    assert.ok(maxAbsDiff(jpeg.data, pyJ) <= 2, `max diff ${maxAbsDiff(jpeg.data, pyJ)}`);
    assert.equal(ref[MONO1]!.photometric, "MONOCHROME1");
    // pydicom returns stored values; the display convention for MONOCHROME1 is max − stored.
    const pyM = pixelsOf(ref[MONO1]!);
    assert.ok(maxAbsDiff(mono1.data, Uint8Array.from(pyM, (v) => 255 - v)) <= 2);
    assert.equal(maxAbsDiff(mono1.data, Uint8Array.from(jpeg.data, (v) => 255 - v)), 0);
    const { info } = await decodeDicom(bytes(JPEG_DCM), JPEG_DCM);
    assert.deepEqual([info.transferSyntax, info.viewPosition, info.photometric], ["1.2.840.10008.1.2.4.50", "PA", "MONOCHROME2"]);
  });

  it("decodes with a resize (shortSide) without upsampling", async () => {
    const small = await readGrayImage(IMAGES[0]!, { shortSide: 256 });
    assert.deepEqual([small.width, small.height], [256, 256]);
    const full = await readGrayImage(IMAGES[0]!);
    const mean = (img: GrayImage) => Array.from(img.data).reduce((a, b) => a + b, 0) / img.data.length;
    assert.ok(Math.abs(mean(small) - mean(full)) < 1);
    const dcm = await readGrayImage(UNCOMPRESSED, { shortSide: 128 });
    assert.deepEqual([dcm.width, dcm.height], [128, 128]);
    const noUp = await decodeGray(bytes(IMAGES[0]!), { shortSide: 4096 });
    assert.deepEqual([noUp.width, noUp.height], [1024, 1024]);
  });
});

describe("bad images", () => {
  let png: Uint8Array;
  before(() => {
    png = bytes(IMAGES[0]!);
  });
  const isDecodeError = (file: string, re: RegExp) => (e: unknown) => e instanceof ImageDecodeError && e.file === file && re.test(e.message);

  it("missing file", async () => {
    const f = path.join(tmp.dir, "nope.png");
    await assert.rejects(readGrayImage(f), isDecodeError(f, /image file not found/));
  });

  it("truncated PNG", async () => {
    const f = path.join(tmp.dir, "truncated.png");
    writeFileSync(f, png.subarray(0, 5000));
    await assert.rejects(readGrayImage(f), isDecodeError(f, /cannot decode image/));
  });

  it("corrupt bytes and empty file", async () => {
    const f = path.join(tmp.dir, "corrupt.png");
    writeFileSync(f, "definitely not an image");
    await assert.rejects(readGrayImage(f), isDecodeError(f, /cannot decode image/));
    const e = path.join(tmp.dir, "empty.png");
    writeFileSync(e, "");
    await assert.rejects(readGrayImage(e), isDecodeError(e, /empty image file/));
  });

  it("unreadable and truncated DICOM", async () => {
    const f = path.join(tmp.dir, "bad.dcm");
    const junk = new Uint8Array(300).fill(0xff);
    junk.set([0x44, 0x49, 0x43, 0x4d], 128);
    writeFileSync(f, junk);
    await assert.rejects(readGrayImage(f), isDecodeError(f, /unreadable DICOM|no PixelData|DICOM/));
    const g = path.join(tmp.dir, "truncated.dcm");
    writeFileSync(g, bytes(UNCOMPRESSED).subarray(0, 600000));
    await assert.rejects(readGrayImage(g), (e: unknown) => e instanceof ImageDecodeError && e.file === g);
  });
});
