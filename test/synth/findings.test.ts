/** Labels → image findings: the drawn radiographs change where and how the findings say. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FINDINGS, drawRadiograph, type DrawSpec, type Findings } from "../../data-loaders/synth/index.js";
import { Rng } from "../../src/utils/rng.js";

const S = 128;
const none = (): Findings => Object.fromEntries(FINDINGS.map((f) => [f, false])) as Findings;
const spec = (f: Partial<Findings>, view: DrawSpec["view"] = "PA", icu = false): DrawSpec => ({ view, findings: { ...none(), ...f }, sex: "M", habitus: 0, recumbent: false, icu, size: S });

/** Mean pixel value in a box given in fractions of the image. */
function regionMean(px: Uint8Array, x0: number, x1: number, y0: number, y1: number): number {
  let s = 0, n = 0;
  for (let y = Math.floor(y0 * S); y < y1 * S; y++) for (let x = Math.floor(x0 * S); x < x1 * S; x++) { s += px[y * S + x]!; n++; }
  return s / n;
}

test("cardiomegaly widens the heart shadow (paired: same seed, only the heart differs)", () => {
  let brighter = 0, diff = 0;
  const n = 20;
  for (let seed = 0; seed < n; seed++) {
    const a = drawRadiograph(spec({}), new Rng(seed)).pixels;
    const b = drawRadiograph(spec({ cardiomegaly: true }), new Rng(seed)).pixels;
    // Beyond the normal left heart border (image right), at heart level.
    const ra = regionMean(a, 0.7, 0.8, 0.56, 0.68), rb = regionMean(b, 0.7, 0.8, 0.56, 0.68);
    if (rb > ra) brighter++;
    diff += (rb - ra) / n;
  }
  assert.ok(brighter >= 18, `cardiomegaly brighter beyond the normal heart border in ${brighter}/${n}`);
  assert.ok(diff > 8, `mean difference ${diff}`);
});

test("pleural effusion fills the lung bases (costophrenic angles)", () => {
  const n = 24;
  let with_ = 0, without = 0;
  for (let seed = 0; seed < n; seed++) {
    const base = (px: Uint8Array): number => Math.max(regionMean(px, 0.18, 0.32, 0.64, 0.74), regionMean(px, 0.68, 0.82, 0.66, 0.76));
    without += base(drawRadiograph(spec({}), new Rng(seed)).pixels) / n;
    with_ += base(drawRadiograph(spec({ pleuralEffusion: true }), new Rng(1000 + seed)).pixels) / n;
  }
  assert.ok(with_ > without + 8, `base brightness ${with_} vs ${without}`);
});

test("support devices add near-white lines and tubes", () => {
  const n = 16;
  let with_ = 0, without = 0;
  const white = (px: Uint8Array): number => px.reduce((s, v) => s + (v >= 235 ? 1 : 0), 0);
  for (let seed = 0; seed < n; seed++) {
    without += white(drawRadiograph(spec({}, "AP", true), new Rng(seed)).pixels);
    with_ += white(drawRadiograph(spec({ supportDevices: true }, "AP", true), new Rng(seed)).pixels);
  }
  assert.ok(with_ > without * 1.5 + 20, `near-white pixels ${with_} vs ${without}`);
});

test("drawing is deterministic, 8-bit, and boxes lie inside the image", () => {
  const s = spec({ consolidation: true, nodule: true, pneumothorax: true });
  const a = drawRadiograph(s, new Rng(3)), b = drawRadiograph(s, new Rng(3));
  assert.deepEqual(a.pixels, b.pixels);
  assert.equal(a.pixels.length, S * S);
  assert.deepEqual(new Set(a.boxes.map((x) => x.finding)), new Set(["consolidation", "nodule", "pneumothorax"]));
  for (const x of a.boxes) assert.ok(x.x >= 0 && x.y >= 0 && x.x + x.w <= S + 1e-9 && x.y + x.h <= S + 1e-9);
  const lat = drawRadiograph(spec({}, "LATERAL"), new Rng(3)).pixels;
  assert.notDeepEqual(lat, a.pixels);
});
