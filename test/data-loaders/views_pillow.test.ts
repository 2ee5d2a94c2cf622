/**
 * MSN views against Pillow computed live: the same crop boxes and flips (replayed from the seeded rng) of
 * real NIH images decoded at 256, resized with Pillow's `Image.resize(size, BILINEAR, box=...)` and
 * `FLIP_LEFT_RIGHT` (what torchvision's RandomResizedCrop + RandomHorizontalFlip run on PIL images), then
 * compared in grey levels with every channel of our normalised output. Plus the exact flip/mirror identity
 * and a naive per-pixel reference for boxes Pillow refuses (fractional, past the edges, tiny images).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { deriveSeed, IMAGENET_NORMALIZATION, makeRng, randomResizedCropBox, randomView, readGrayImage, resampleBox, type Box, type GrayImage } from "../../data-loaders/index.js";
import { requirePython } from "../helpers/python.js";
import { NIH } from "./helpers.js";

const FILES = ["00000001_000.png", "00001369_000.png", "00026911_000.png"].map((f) => path.join(NIH, "images", f));

/**
 * Pillow side: stdin {w, h, b64, views: [{box: [x0, y0, x1, y1], size, flip}]} → the views of the 8-bit image
 * ("L": what torchvision gets; Pillow rounds to uint8 after each pass) and of its float copy ("F": no rounding).
 */
const PILLOW = `
import base64, json, sys
import numpy as np
from PIL import Image
q = json.load(sys.stdin)
im = Image.frombytes("L", (q["w"], q["h"]), base64.b64decode(q["b64"]))
out = {"L": [], "F": []}
for mode in ("L", "F"):
    src = im if mode == "L" else im.convert("F")
    for v in q["views"]:
        r = src.resize((v["size"], v["size"]), Image.BILINEAR, box=tuple(v["box"]))
        if v["flip"]:
            r = r.transpose(Image.FLIP_LEFT_RIGHT)
        out[mode].append(np.asarray(r, np.float64).ravel().round(4).tolist())
print(json.dumps(out))
`;

interface ViewSpec {
  readonly box: Box;
  readonly size: number;
  readonly flip: boolean;
}

/** The boxes and flips `randomView` draws from `rng` for 2 views at 224 and 10 at 96 (the same call order). */
function drawSpecs(img: GrayImage, seed: number): ViewSpec[] {
  const rng = makeRng(seed);
  const specs: ViewSpec[] = [];
  for (let v = 0; v < 12; v++) {
    const [size, scale] = v < 2 ? [224, [0.3, 1] as const] : [96, [0.05, 0.3] as const];
    const box = randomResizedCropBox(rng, img.width, img.height, scale);
    specs.push({ box, size, flip: rng() < 0.5 });
  }
  return specs;
}

describe("MSN views vs Pillow", () => {
  it("every channel of 2×224 + 10×96 seeded views matches Pillow's box resize + flip (float: 1e-3; 8-bit: ±1 after rounding)", async (t) => {
    const py = requirePython(t, ["PIL", "numpy"], ["python3-pil", "python3-numpy"]);
    if (!py) return;
    let maxF = 0;
    let maxL = 0;
    let exactL = 0;
    let n = 0;
    let flips = 0;
    for (const [k, file] of FILES.entries()) {
      const img = await readGrayImage(file, { shortSide: 256, uint8: true });
      const seed = deriveSeed(24, k);
      const specs = drawSpecs(img, seed);
      flips += specs.filter((s) => s.flip).length;
      const query = {
        w: img.width,
        h: img.height,
        b64: Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).toString("base64"),
        views: specs.map((s) => ({ box: [s.box.x, s.box.y, s.box.x + s.box.w, s.box.y + s.box.h], size: s.size, flip: s.flip })),
      };
      const ref = JSON.parse(execFileSync(py, ["-c", PILLOW], { input: JSON.stringify(query), encoding: "utf8", maxBuffer: 256 << 20 })) as Record<"L" | "F", number[][]>;
      const rng = makeRng(seed);
      specs.forEach((s, v) => {
        const out = new Float32Array(s.size * s.size * 3);
        randomView(img, rng, s.size, v < 2 ? [0.3, 1] : [0.05, 0.3], 0.5, IMAGENET_NORMALIZATION, 3, out, 0);
        for (let p = 0; p < s.size * s.size; p++) {
          for (let c = 0; c < 3; c++) {
            const grey = (out[p * 3 + c]! * IMAGENET_NORMALIZATION.std[c]! + IMAGENET_NORMALIZATION.mean[c]!) * 255;
            maxF = Math.max(maxF, Math.abs(grey - ref.F[v]![p]!));
            const dL = Math.abs(Math.round(grey) - ref.L[v]![p]!);
            maxL = Math.max(maxL, dL);
            exactL += dL === 0 ? 1 : 0;
            n++;
          }
        }
      });
    }
    t.diagnostic(`vs Pillow over ${FILES.length * 12} views (${flips} flipped): float max |diff| ${maxF.toFixed(5)} grey levels; 8-bit max ${maxL}, ${((100 * exactL) / n).toFixed(1)}% equal`);
    assert.ok(flips > 0 && flips < FILES.length * 12, "the seeds should draw both flipped and unflipped views");
    assert.ok(maxF < 1e-3, `float path: max |diff| ${maxF}`);
    // Pillow's 8-bit path rounds its 22-bit fixed-point sums to uint8 after each pass; we keep floats.
    assert.ok(maxL <= 1 && exactL / n > 0.8, `8-bit path: max ${maxL}, ${exactL} of ${n} equal`);
  });

  it("a flipped view is exactly the mirrored unflipped view, including boxes at the image edges", () => {
    const w = 97;
    const h = 61;
    const data = Uint8Array.from({ length: w * h }, (_, i) => (i * 37 + (i % w) * 11) & 255);
    const boxes: Box[] = [
      { x: 0, y: 0, w, h },
      { x: 60, y: 20, w: 37, h: 41 },
      { x: 3.25, y: 1.5, w: 50.5, h: 20.75 },
    ];
    for (const box of boxes) {
      for (const [dw, dh] of [[32, 24], [120, 80], [7, 5]] as const) {
        const a = resampleBox(data, w, h, box, dw, dh, false);
        const b = resampleBox(data, w, h, box, dw, dh, true);
        for (let y = 0; y < dh; y++) for (let x = 0; x < dw; x++) assert.equal(b[y * dw + x], a[y * dw + dw - 1 - x], `box ${JSON.stringify(box)} → ${dw}×${dh} at ${x},${y}`);
      }
    }
  });

  it("a constant image stays constant at every scale (weights renormalised at the edges)", () => {
    const img: GrayImage = { width: 50, height: 40, data: new Uint8Array(2000).fill(200), bitDepth: 8 };
    const rng = makeRng(7);
    const out = new Float32Array(96 * 96);
    for (let k = 0; k < 50; k++) {
      randomView(img, rng, 96, [0.05, 1], 0.5, IMAGENET_NORMALIZATION, 1, out, 0);
      const m = (IMAGENET_NORMALIZATION.mean[0] + IMAGENET_NORMALIZATION.mean[1] + IMAGENET_NORMALIZATION.mean[2]) / 3;
      const s = (IMAGENET_NORMALIZATION.std[0] + IMAGENET_NORMALIZATION.std[1] + IMAGENET_NORMALIZATION.std[2]) / 3;
      for (const v of out) assert.ok(Math.abs(v - (200 / 255 - m) / s) < 1e-4);
    }
  });

  it("matches a naive per-pixel triangle-filter reference on random boxes, including past the edges and 1-pixel images", () => {
    /** Weights of one axis, straight from the definition (window clipped to the image, renormalised). */
    const axis = (from: number, len: number, n: number, size: number, i: number): Map<number, number> => {
      const scale = len / n;
      const support = Math.max(1, scale);
      const center = from + (i + 0.5) * scale;
      const w = new Map<number, number>();
      let sum = 0;
      for (let j = Math.max(0, Math.floor(center - support)); j <= Math.min(size - 1, Math.ceil(center + support)); j++) {
        const v = Math.max(0, 1 - Math.abs((j + 0.5 - center) / support));
        if (v > 0) w.set(j, v);
        sum += v;
      }
      if (sum === 0) return new Map([[Math.max(0, Math.min(size - 1, Math.floor(center))), 1]]);
      for (const [j, v] of w) w.set(j, v / sum);
      return w;
    };
    const rng = makeRng(99);
    for (let k = 0; k < 60; k++) {
      const w = 1 + Math.floor(rng() * 40);
      const h = 1 + Math.floor(rng() * 40);
      const data = Uint8Array.from({ length: w * h }, () => Math.floor(rng() * 256));
      const box: Box = { x: (rng() - 0.2) * w, y: (rng() - 0.2) * h, w: 0.5 + rng() * w * 1.2, h: 0.5 + rng() * h * 1.2 };
      const dw = 1 + Math.floor(rng() * 50);
      const dh = 1 + Math.floor(rng() * 50);
      const ours = resampleBox(data, w, h, box, dw, dh, false);
      for (let y = 0; y < dh; y++) {
        const wy = axis(box.y, box.h, dh, h, y);
        for (let x = 0; x < dw; x++) {
          const wx = axis(box.x, box.w, dw, w, x);
          let ref = 0;
          for (const [sy, vy] of wy) for (const [sx, vx] of wx) ref += vy * vx * data[sy * w + sx]!;
          assert.ok(Math.abs(ours[y * dw + x]! - ref) < 1e-3, `case ${k}: ${w}×${h} box ${JSON.stringify(box)} → ${dw}×${dh} at ${x},${y}: ${ours[y * dw + x]} vs ${ref}`);
        }
      }
    }
  });
});
