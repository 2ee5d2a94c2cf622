/**
 * Procedural chest radiographs. Anatomy and findings are summed as attenuation on a float canvas
 * (draw_frontal.ts, draw_lateral.ts), then the nuisance model is applied: positioning (rotation,
 * scale, shift), detector blur, exposure (gain, offset, gamma), quantum noise and a burned-in side
 * marker. The result is an 8-bit grayscale image; boxes of drawn findings come back in output pixels.
 */
import { Canvas, applyAffine, type Affine } from "./canvas.js";
import { drawFrontal } from "./draw_frontal.js";
import { drawLateral } from "./draw_lateral.js";
import type { DrawContext, DrawSpec, FindingBox } from "./draw_types.js";
import { Rng } from "../../src/utils/rng.js";

export type { DrawSpec, DrawView, FindingBox } from "./draw_types.js";

/** One drawn radiograph. */
export interface DrawResult {
  /** size × size 8-bit grayscale pixels, row-major. */
  pixels: Uint8Array;
  /** Bounding boxes of the drawn findings, in output pixels (clipped to the image). */
  boxes: FindingBox[];
}

const AIR = 0.02;

/**
 * Draw one radiograph.
 *
 * @param spec what to draw
 * @param rng stream for this image (the drawing consumes it; fork one per image)
 * @returns pixels and finding boxes
 * @example
 * const img = drawRadiograph({ view: "PA", findings, sex: "F", habitus: 0, recumbent: false, icu: false, size: 256 }, new Rng(1));
 */
export function drawRadiograph(spec: DrawSpec, rng: Rng): DrawResult {
  const S = spec.size;
  const ctx: DrawContext = {
    S,
    rng,
    spec,
    A: new Canvas(S, S, AIR),
    P: new Canvas(S, S),
    K: new Canvas(S, S),
    M: new Canvas(S, S),
    boxes: [],
  };
  if (spec.view === "LATERAL") drawLateral(ctx);
  else drawFrontal(ctx);

  // Positioning: rotation about the centre, scale, shift. Portable AP films are less well aligned.
  const portable = spec.view === "AP";
  const theta = rng.normal(0, portable ? 0.045 : 0.025) + (spec.extraRotation ?? 0);
  const scale = rng.uniform(0.93, 1.05);
  const tx = rng.normal(0, portable ? 0.03 : 0.015) * S, ty = rng.normal(0, 0.02) * S;
  const c = S / 2, cos = Math.cos(theta) * scale, sin = Math.sin(theta) * scale;
  const fwd: Affine = [cos, -sin, sin, cos, c - cos * c + sin * c + tx, c - sin * c - cos * c + ty];
  const warped = ctx.A.warp(fwd, AIR);
  warped.boxBlur(Math.max(1, Math.round(S / 256)));

  // Exposure and noise: I = gain * (1 - exp(-2.2 A))^gamma + offset + noise.
  const gain = rng.normal(portable ? 0.95 : 1.02, 0.06);
  const offset = rng.normal(0.02, 0.02);
  const gamma = rng.uniform(0.85, 1.15);
  const sigma = portable ? rng.uniform(0.02, 0.04) : rng.uniform(0.008, 0.025);
  const out = new Canvas(S, S);
  const d = warped.data, o = out.data;
  for (let i = 0; i < d.length; i++) {
    const v = 1 - Math.exp(-2.2 * Math.max(0, d[i]!));
    const n = (rng.next() + rng.next() + rng.next() - 1.5) * 2 * sigma;
    o[i] = gain * Math.pow(v, gamma) + offset + n;
  }
  // Burned-in side marker ("L"-like glyph) in a top corner.
  const mx = (rng.bernoulli(0.5) ? 0.08 : 0.86) * S, my = rng.uniform(0.05, 0.12) * S;
  const u = 0.035 * S;
  out.segment(mx, my, mx, my + u, Math.max(1, S / 160), 0.8);
  out.segment(mx, my + u, mx + u * 0.6, my + u, Math.max(1, S / 160), 0.8);

  const pixels = new Uint8Array(S * S);
  for (let i = 0; i < o.length; i++) {
    const v = Math.round(o[i]! * 255);
    pixels[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  const boxes: FindingBox[] = ctx.boxes.map((b) => {
    const corners = [applyAffine(fwd, b.x0 * S, b.y0 * S), applyAffine(fwd, b.x1 * S, b.y0 * S), applyAffine(fwd, b.x0 * S, b.y1 * S), applyAffine(fwd, b.x1 * S, b.y1 * S)];
    const xs = corners.map((p) => p[0]), ys = corners.map((p) => p[1]);
    const x0 = Math.max(0, Math.min(...xs)), y0 = Math.max(0, Math.min(...ys));
    const x1 = Math.min(S, Math.max(...xs)), y1 = Math.min(S, Math.max(...ys));
    return { finding: b.finding, x: x0, y: y0, w: Math.max(1, x1 - x0), h: Math.max(1, y1 - y0) };
  });
  return { pixels, boxes };
}
