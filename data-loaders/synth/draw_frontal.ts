/**
 * Frontal (PA/AP) chest radiograph anatomy and findings. Image left = patient right. Geometry is in
 * normalised units (0..1) and converted to pixels at the end of each call.
 *
 * Findings and what they change:
 * - cardiomegaly: cardiothoracic ratio 0.58–0.68 instead of 0.40–0.50;
 * - pleural effusion: fluid with a lateral meniscus fills the lung base and blunts the costophrenic angle;
 * - consolidation / pneumonia / infiltration / lung opacity: dense or patchy blobs in a lung;
 * - atelectasis: plate-like basal band and a raised hemidiaphragm;
 * - edema: perihilar haze, blurred vessels, Kerley lines;
 * - pneumothorax: apical-lateral rim without lung markings, bounded by a thin pleural line;
 * - mass / nodule: round well-defined opacities; fracture: a broken rib with callus;
 * - pleural thickening: band along the lateral chest wall; enlarged cardiomediastinum: wide upper mediastinum;
 * - emphysema: larger, darker lungs with flat diaphragms; fibrosis: basal reticulation; hernia: retrocardiac air-fluid level.
 */
import type { RowRegion } from "./canvas.js";
import { chooseDevices, drawDevices } from "./draw_devices.js";
import type { DrawContext } from "./draw_types.js";
import type { Finding } from "./labels.js";

/** Geometry of one lung in normalised units. */
interface Lung {
  side: "R" | "L";
  /** Lateral x at the base (costophrenic angle). */
  xLat: number;
  /** Medial x (mediastinal edge). */
  xMed: number;
  yTop: number;
  /** Deepest point of the base (lateral recess). */
  yBase: number;
  domeH: number;
}

function lateralX(l: Lung, y: number): number {
  const t = Math.max(0, Math.min(1, (l.yBase - y) / (l.yBase - l.yTop)));
  return l.xLat + (l.xMed - l.xLat) * 0.32 * t * t;
}

function floorY(l: Lung, x: number): number {
  const w = l.xMed - l.xLat;
  const dc = l.xLat + 0.6 * w;
  const q = (x - dc) / (0.6 * w);
  return l.yBase - l.domeH * Math.max(0, 1 - q * q);
}

function topY(l: Lung, x: number): number {
  const c = (l.xLat + l.xMed) / 2;
  const q = (x - c) / Math.abs(l.xMed - l.xLat);
  return l.yTop + 0.9 * q * q;
}

/** The lung as a pixel RowRegion, optionally with overrides of its boundaries (normalised). */
function lungRegion(S: number, l: Lung, o: Partial<{ top: (x: number) => number; yMin: number; yMax: number; lat: (y: number) => number; med: (y: number) => number }> = {}): RowRegion {
  const lat = o.lat ?? ((y: number) => lateralX(l, y));
  const med = o.med ?? (() => l.xMed);
  const top = o.top ?? ((x: number) => topY(l, x));
  const left = l.side === "R" ? lat : med;
  const right = l.side === "R" ? med : lat;
  return {
    yMin: (o.yMin ?? l.yTop) * S,
    yMax: (o.yMax ?? l.yBase) * S,
    left: (y) => left(y / S) * S,
    right: (y) => right(y / S) * S,
    top: (x) => top(x / S) * S,
    bottom: (x) => floorY(l, x / S) * S,
  };
}

function box(ctx: DrawContext, finding: Finding, x0: number, y0: number, x1: number, y1: number): void {
  ctx.boxes.push({ finding, x0: Math.min(x0, x1), y0: Math.min(y0, y1), x1: Math.max(x0, x1), y1: Math.max(y0, y1) });
}

/** A random point inside a lung, in a vertical zone (0 = apex, 1 = base). */
function lungPoint(ctx: DrawContext, l: Lung, zoneLo: number, zoneHi: number): [number, number] {
  const y = l.yTop + (l.yBase - l.yTop) * ctx.rng.uniform(zoneLo, zoneHi) * 0.92;
  const xl = lateralX(l, y), xm = l.xMed;
  const x = xl + (xm - xl) * ctx.rng.uniform(0.2, 0.75);
  return [x, Math.min(y, floorY(l, x) - 0.03)];
}

/** Draw a frontal radiograph's anatomy and findings into the context canvases. */
export function drawFrontal(ctx: DrawContext): void {
  const { S, rng, spec, A, P, K, M } = ctx;
  const f = spec.findings;
  const ap = spec.view === "AP";
  const mag = ap ? 1.12 : 1;
  const half = 0.355 + 0.03 * spec.habitus + rng.normal(0, 0.01);
  const baseY = (spec.recumbent ? 0.7 : 0.76) + (f.emphysema ? 0.05 : 0) + (f.fibrosis ? -0.03 : 0) + rng.normal(0, 0.015);
  const dome = f.emphysema ? 0.025 : 0.07 + rng.normal(0, 0.008);
  const atelSide = rng.bernoulli(0.5) ? "R" : "L";
  const mk = (side: "R" | "L"): Lung => ({
    side,
    xLat: side === "R" ? 0.5 - half : 0.5 + half,
    xMed: side === "R" ? 0.455 : 0.55,
    yTop: 0.12 + rng.normal(0, 0.008),
    yBase: baseY + (side === "L" ? 0.02 : 0) - (f.atelectasis && atelSide === side ? 0.035 : 0),
    domeH: dome,
  });
  const lungs = [mk("R"), mk("L")] as const;

  // Body: torso, neck, shoulders, breast shadows.
  A.ellipse(0.5 * S, 0.64 * S, (half + 0.1 + 0.03 * spec.habitus) * S, 0.66 * S, 0.42, 4);
  A.ellipse(0.5 * S, 0.0, 0.1 * S, 0.14 * S, 0.35, 3);
  for (const s of [-1, 1]) {
    A.ellipse((0.5 + s * (half + 0.03)) * S, 0.1 * S, 0.15 * S, 0.09 * S, 0.36, 4);
    A.ellipse((0.5 + s * (half + 0.1)) * S, 0.06 * S, 0.06 * S, 0.06 * S, 0.1, 3); // humeral head
    if (spec.sex === "F") A.ellipse((0.5 + s * 0.21) * S, 0.7 * S, 0.13 * S, 0.085 * S, 0.07, 5);
  }

  // Lungs: mask, markings (vessels) radiating from the hila.
  for (const l of lungs) M.region(lungRegion(S, l), 1, 1.5);
  const markDensity = f.emphysema ? 0.6 : 1;
  for (const l of lungs) {
    const s = l.side === "R" ? -1 : 1;
    const hx0 = 0.5 + s * 0.08, hy0 = 0.43;
    A.gaussian(hx0 * S, hy0 * S, 0.03 * S, 0.05 * S, 0.1);
    const n = Math.round(22 * markDensity);
    for (let i = 0; i < n; i++) {
      const hx = hx0 + s * rng.uniform(0, 0.04), hy = hy0 + rng.normal(0, 0.04);
      const ang = rng.uniform(-1.25, 1.3);
      const len = rng.uniform(0.1, 0.26);
      const x1 = hx + s * Math.cos(ang) * len, y1 = hy + Math.sin(ang) * len * 1.2;
      K.segment(hx * S, hy * S, x1 * S, y1 * S, Math.max(0.7, 1.3 * S / 256), 0.045);
      const bx = hx + (x1 - hx) * 0.55, by = hy + (y1 - hy) * 0.55;
      const a2 = ang + rng.uniform(-0.6, 0.6);
      K.segment(bx * S, by * S, (bx + s * Math.cos(a2) * len * 0.4) * S, (by + Math.sin(a2) * len * 0.45) * S, Math.max(0.6, 0.9 * S / 256), 0.05);
    }
  }

  // Mediastinum, spine, trachea, aortic knob.
  A.segment(0.5 * S, 0, 0.5 * S, 0.95 * S, 0.085 * S, 0.18, 3);
  for (let k = 0; k < 16; k++) A.ellipse(0.5 * S, (0.03 + k * 0.06) * S, 0.032 * S, 0.023 * S, 0.06, 1.5);
  A.segment(0.5 * S, 0.0, 0.5 * S, 0.3 * S, 0.034 * S, -0.14, 2);
  A.segment(0.5 * S, 0.3 * S, 0.44 * S, 0.36 * S, 0.02 * S, -0.09, 1.5);
  A.segment(0.5 * S, 0.3 * S, 0.565 * S, 0.37 * S, 0.02 * S, -0.09, 1.5);
  A.ellipse(0.548 * S, 0.27 * S, 0.035 * S, 0.03 * S, 0.12, 2);
  if (f.enlargedCardiomediastinum) {
    A.ellipse(0.5 * S, 0.28 * S, 0.09 * S, 0.1 * S, 0.16, 3);
    box(ctx, "enlargedCardiomediastinum", 0.41, 0.18, 0.59, 0.38);
  }

  // Heart: cardiothoracic ratio sets its width; 2/3 of it lies to the patient's left (image right).
  const ctr = (f.cardiomegaly ? rng.uniform(0.58, 0.68) : rng.uniform(0.4, 0.5)) * mag;
  const hw = ctr * 2 * half;
  const hcx = 0.5 + hw / 6, hry = hw * 0.36, hcy = Math.min(lungs[0].yBase, lungs[1].yBase) - hry * 0.75;
  // The heart replaces lung air by soft tissue (it silhouettes with the diaphragm, as on a real film).
  M.attenuateEllipse(hcx * S, hcy * S, (hw / 2) * S, hry * S, 1, 2.5, -0.25);
  A.ellipse(hcx * S, hcy * S, (hw / 2) * S, hry * S, 0.05, 2.5, -0.25);
  if (f.cardiomegaly) box(ctx, "cardiomegaly", hcx - hw / 2, hcy - hry, hcx + hw / 2, hcy + hry);

  // Bones: posterior and anterior ribs, clavicles, scapulae (AP).
  const ribs: [number, number][][] = [];
  for (const l of lungs) {
    const s = l.side === "R" ? -1 : 1;
    for (let k = 0; k < 10; k++) {
      const y0 = 0.1 + k * 0.062;
      const xo = lateralX(l, y0 + 0.05) - s * 0.03;
      const pts: [number, number][] = [];
      for (let t = 0; t <= 1.0001; t += 0.2) {
        const x = 0.5 + s * 0.04 + (xo - 0.5 - s * 0.04) * t;
        pts.push([x * S, (y0 - 0.04 * Math.sin(Math.PI * t * 0.8) + 0.05 * t * t) * S]);
      }
      A.polyline(pts, 0.013 * S, 0.07, 1.2);
      ribs.push(pts);
      const ay = y0 + 0.12;
      A.segment(xo * S, ay * S, (0.5 + s * 0.1) * S, (ay + 0.07) * S, 0.01 * S, 0.035, 1.2);
    }
    A.segment((0.5 + s * 0.04) * S, (ap ? 0.15 : 0.17) * S, (0.5 + s * 0.3) * S, (ap ? 0.11 : 0.1) * S, 0.022 * S, 0.13, 1.5);
    if (ap) A.ellipse((0.5 + s * (half - 0.04)) * S, 0.3 * S, 0.07 * S, 0.13 * S, 0.05, 4, s * 0.2);
  }

  // Gastric bubble under the left hemidiaphragm.
  A.ellipse(0.6 * S, (lungs[1].yBase + 0.045) * S, 0.05 * S, (spec.recumbent ? 0.03 : 0.022) * S, -0.17, 2);

  drawFrontalFindings(ctx, lungs, ribs);
  A.addCanvas(M, f.emphysema ? -0.35 : -0.3);
  A.addCanvas(K, 1, M);
  A.addCanvas(P, 1, M);
  if (f.supportDevices) drawDevices(ctx, chooseDevices(ctx), false);
}

function drawFrontalFindings(ctx: DrawContext, lungs: readonly [Lung, Lung], ribs: [number, number][][]): void {
  const { S, rng, spec, A, P, K } = ctx;
  const f = spec.findings;
  const pickLung = (): Lung => (rng.bernoulli(0.5) ? lungs[0] : lungs[1]);

  if (f.pleuralEffusion) {
    const both = rng.bernoulli(0.4);
    const first = pickLung();
    for (const l of both ? lungs : [first]) {
      const h = rng.uniform(0.05, 0.15);
      const w = Math.abs(l.xMed - l.xLat);
      const top = (x: number): number => l.yBase - h - 0.07 * Math.pow(1 - Math.abs(x - l.xLat) / w, 2);
      const reg = lungRegion(S, l, { top, yMin: l.yBase - h - 0.08 });
      A.region(reg, 0.27, 3);
      box(ctx, "pleuralEffusion", Math.min(l.xLat, l.xMed), l.yBase - h - 0.07, Math.max(l.xLat, l.xMed), l.yBase);
    }
  }
  if (f.pneumothorax) {
    const l = pickLung();
    const s = l.side === "R" ? 1 : -1;
    const g = rng.uniform(0.05, 0.1);
    const yMax = l.yTop + 0.6 * (l.yBase - l.yTop);
    const gap = (y: number): number => g * (0.5 + 0.5 * Math.max(0, (yMax - y) / (yMax - l.yTop)));
    const edge = (y: number): number => lateralX(l, y) + s * gap(y);
    const reg = lungRegion(S, l, { yMax, med: edge });
    K.attenuateRegion(reg, 1, 1);
    A.region(reg, -0.08, 1);
    const pts: [number, number][] = [];
    for (let y = l.yTop + 0.03; y <= yMax; y += 0.04) pts.push([edge(y) * S, Math.max(y, topY(l, edge(y)) + 0.01) * S]);
    A.polyline(pts, Math.max(0.8, S / 256), 0.1);
    box(ctx, "pneumothorax", lateralX(l, yMax), l.yTop, edge(l.yTop + 0.05), yMax);
  }
  if (f.consolidation) {
    const l = pickLung();
    const [cx, cy] = lungPoint(ctx, l, 0.45, 0.95);
    const n = rng.int(2, 5);
    for (let i = 0; i < n; i++) P.gaussian((cx + rng.normal(0, 0.025)) * S, (cy + rng.normal(0, 0.025)) * S, rng.uniform(0.04, 0.065) * S, rng.uniform(0.035, 0.055) * S, rng.uniform(0.16, 0.22));
    box(ctx, "consolidation", cx - 0.09, cy - 0.08, cx + 0.09, cy + 0.08);
  }
  if (f.pneumonia) {
    const l = pickLung();
    const [cx, cy] = lungPoint(ctx, l, 0.3, 0.9);
    const n = rng.int(4, 8);
    for (let i = 0; i < n; i++) P.gaussian((cx + rng.normal(0, 0.04)) * S, (cy + rng.normal(0, 0.04)) * S, rng.uniform(0.018, 0.035) * S, rng.uniform(0.018, 0.035) * S, rng.uniform(0.1, 0.16));
    box(ctx, "pneumonia", cx - 0.1, cy - 0.1, cx + 0.1, cy + 0.1);
  }
  if (f.atelectasis) {
    const l = rng.bernoulli(0.8) ? lungs.find((x) => x.yBase < Math.max(lungs[0].yBase, lungs[1].yBase)) ?? pickLung() : pickLung();
    const y = l.yBase - rng.uniform(0.08, 0.15);
    const xa = lateralX(l, y) + (l.xMed - lateralX(l, y)) * 0.15, xb = lateralX(l, y) + (l.xMed - lateralX(l, y)) * 0.85;
    const tilt = rng.uniform(-0.03, 0.03);
    P.segment(xa * S, y * S, xb * S, (y + tilt) * S, rng.uniform(0.02, 0.035) * S, 0.2, 2.5);
    box(ctx, "atelectasis", Math.min(xa, xb), y - 0.04, Math.max(xa, xb), y + 0.04);
  }
  if (f.edema) {
    for (const l of lungs) {
      const s = l.side === "R" ? -1 : 1;
      P.gaussian((0.5 + s * 0.12) * S, 0.47 * S, 0.11 * S, 0.13 * S, 0.15);
      for (let i = 0; i < 5; i++) {
        const y = l.yBase - 0.03 - i * 0.025;
        const x = lateralX(l, y) - s * 0.005;
        P.segment(x * S, y * S, (x - s * 0.04) * S, y * S, Math.max(0.7, S / 300), 0.06, 0.6);
      }
    }
    P.region(lungRegion(S, lungs[0]), 0.04, 2);
    P.region(lungRegion(S, lungs[1]), 0.04, 2);
    K.boxBlur(Math.max(1, Math.round(S / 160)));
  }
  if (f.infiltration) {
    const n = rng.int(3, 7);
    for (let i = 0; i < n; i++) {
      const [x, y] = lungPoint(ctx, pickLung(), 0.2, 0.9);
      P.gaussian(x * S, y * S, rng.uniform(0.03, 0.05) * S, rng.uniform(0.03, 0.05) * S, 0.085);
      if (i === 0) box(ctx, "infiltration", x - 0.07, y - 0.07, x + 0.07, y + 0.07);
    }
  }
  if (f.lungOpacity && !(f.consolidation || f.pneumonia || f.infiltration || f.edema || f.atelectasis)) {
    const [x, y] = lungPoint(ctx, pickLung(), 0.3, 0.9);
    P.gaussian(x * S, y * S, 0.05 * S, 0.045 * S, 0.13);
    box(ctx, "lungOpacity", x - 0.08, y - 0.08, x + 0.08, y + 0.08);
  }
  if (f.mass) {
    const [x, y] = lungPoint(ctx, pickLung(), 0.15, 0.75);
    const r = rng.uniform(0.045, 0.07);
    P.ellipse(x * S, y * S, r * S, r * 0.9 * S, 0.27, 2, rng.uniform(0, 3));
    box(ctx, "mass", x - r, y - r, x + r, y + r);
  }
  if (f.nodule) {
    const n = rng.bernoulli(0.2) ? 2 : 1;
    for (let i = 0; i < n; i++) {
      const [x, y] = lungPoint(ctx, pickLung(), 0.1, 0.8);
      const r = rng.uniform(0.012, 0.022);
      P.ellipse(x * S, y * S, r * S, r * S, 0.3, 1);
      box(ctx, "nodule", x - r * 1.5, y - r * 1.5, x + r * 1.5, y + r * 1.5);
    }
  }
  if (f.fracture) {
    const rib = ribs[rng.int(ribs.length)]!;
    const p = rib[rng.int(3, rib.length)]!;
    A.segment(p[0] - 0.012 * S, p[1] - 0.012 * S, p[0] + 0.012 * S, p[1] + 0.012 * S, Math.max(1, S / 200), -0.09, 0.6);
    A.ellipse(p[0], p[1] + 0.004 * S, 0.018 * S, 0.012 * S, 0.1, 1.5);
    box(ctx, "fracture", p[0] / S - 0.03, p[1] / S - 0.03, p[0] / S + 0.03, p[1] / S + 0.03);
  }
  if (f.pleuralThickening) {
    const l = pickLung();
    const s = l.side === "R" ? 1 : -1;
    const pts: [number, number][] = [];
    const y0 = l.yTop + 0.05, y1 = l.yTop + 0.45 * (l.yBase - l.yTop);
    for (let y = y0; y <= y1; y += 0.04) pts.push([(lateralX(l, y) + s * 0.012) * S, y * S]);
    A.polyline(pts, 0.018 * S, 0.13, 2);
    box(ctx, "pleuralThickening", lateralX(l, y1) - 0.03, y0, lateralX(l, y0) + 0.03, y1);
  }
  if (f.fibrosis) {
    for (let i = 0; i < 60; i++) {
      const [x, y] = lungPoint(ctx, pickLung(), 0.55, 1);
      const a = rng.uniform(0, Math.PI);
      const len = rng.uniform(0.015, 0.035);
      P.segment(x * S, y * S, (x + Math.cos(a) * len) * S, (y + Math.sin(a) * len) * S, Math.max(0.7, S / 320), 0.08, 0.6);
    }
  }
  if (f.hernia) {
    const y = Math.min(lungs[0].yBase, lungs[1].yBase) - 0.1;
    A.ellipse(0.53 * S, y * S, 0.065 * S, 0.05 * S, 0.1, 2);
    A.ellipse(0.53 * S, (y - 0.018) * S, 0.05 * S, 0.022 * S, -0.16, 1.5);
    box(ctx, "hernia", 0.465, y - 0.05, 0.595, y + 0.05);
  }
}
