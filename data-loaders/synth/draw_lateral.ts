/**
 * Lateral chest radiograph (patient facing image left: anterior = left, spine on the right). Both
 * lungs overlap into one air space; the heart sits antero-inferiorly; fluid collects in the posterior
 * costophrenic recess. Findings are drawn where a lateral view would show them; a pneumothorax is
 * only faintly visible, as in practice.
 */
import type { RowRegion } from "./canvas.js";
import { chooseDevices, drawDevices } from "./draw_devices.js";
import type { DrawContext } from "./draw_types.js";

/** Draw a lateral radiograph's anatomy and findings into the context canvases. */
export function drawLateral(ctx: DrawContext): void {
  const { S, rng, spec, A, P, K, M } = ctx;
  const f = spec.findings;
  const yBase = (spec.recumbent ? 0.74 : 0.8) + (f.emphysema ? 0.04 : 0) + rng.normal(0, 0.015);
  const xAnt = 0.22 - 0.02 * spec.habitus, xPost = 0.78;
  const dome = f.emphysema ? 0.04 : 0.11;
  const bottom = (x: number): number => yBase - dome * Math.max(0, 1 - Math.pow((x - 0.42) / 0.38, 2));
  const lung = (o: Partial<RowRegion> = {}): RowRegion => ({
    yMin: 0.1 * S,
    yMax: yBase * S,
    left: (y) => (xAnt + 0.12 * Math.pow(Math.max(0, (0.45 - y / S) / 0.35), 2)) * S,
    right: (y) => (xPost - 0.08 * Math.pow(Math.max(0, (0.4 - y / S) / 0.3), 2)) * S,
    top: (x) => (0.11 + 0.5 * Math.pow((x / S - 0.55) / 0.35, 2)) * S,
    bottom: (x) => bottom(x / S) * S,
    ...o,
  });

  A.ellipse(0.5 * S, 0.6 * S, 0.44 * S, 0.66 * S, 0.5, 4);
  A.ellipse(0.55 * S, 0.05 * S, 0.3 * S, 0.12 * S, 0.18, 6); // arms raised
  M.region(lung(), 1, 2);
  for (let i = 0; i < 14; i++) {
    const hx = 0.55 + rng.normal(0, 0.03), hy = 0.45 + rng.normal(0, 0.04);
    const a = rng.uniform(0, 2 * Math.PI), len = rng.uniform(0.08, 0.22);
    K.segment(hx * S, hy * S, (hx + Math.cos(a) * len) * S, (hy + Math.sin(a) * len) * S, Math.max(0.7, 1.2 * S / 256), 0.05);
  }
  A.gaussian(0.55 * S, 0.45 * S, 0.05 * S, 0.06 * S, 0.07);
  // Spine, sternum, trachea, ribs.
  for (let k = 0; k < 13; k++) {
    const y = 0.1 + k * 0.066;
    A.ellipse((0.83 + 0.02 * (y - 0.5)) * S, y * S, 0.045 * S, 0.026 * S, 0.13, 1.5, 0.1);
  }
  A.segment(0.18 * S, 0.22 * S, 0.21 * S, 0.6 * S, 0.016 * S, 0.1, 1.5);
  A.segment(0.55 * S, 0.0, 0.59 * S, 0.34 * S, 0.03 * S, -0.12, 2);
  for (let k = 0; k < 8; k++) {
    const y = 0.2 + k * 0.07;
    A.segment(0.8 * S, y * S, 0.3 * S, (y + 0.12) * S, 0.01 * S, 0.025, 1.5);
  }
  // Heart, antero-inferior.
  const big = f.cardiomegaly ? 1.3 : 1;
  const hcx = 0.37 + (big - 1) * 0.06, hcy = yBase - 0.15;
  M.attenuateEllipse(hcx * S, hcy * S, 0.15 * big * S, 0.14 * big * S, 1, 3, 0.5);
  A.ellipse(hcx * S, hcy * S, 0.15 * big * S, 0.14 * big * S, 0.05, 3, 0.5);
  if (f.cardiomegaly) ctx.boxes.push({ finding: "cardiomegaly", x0: hcx - 0.2, y0: hcy - 0.18, x1: hcx + 0.2, y1: hcy + 0.18 });
  if (f.enlargedCardiomediastinum) A.ellipse(0.45 * S, 0.3 * S, 0.08 * S, 0.1 * S, 0.12, 3);

  if (f.pleuralEffusion) {
    const h = rng.uniform(0.05, 0.14);
    P.region(lung({ top: (x) => (yBase - h - 0.08 * Math.pow((x / S - 0.4) / 0.38, 2) + 0.05) * S, yMin: (yBase - h - 0.05) * S }), 0.28, 3);
    ctx.boxes.push({ finding: "pleuralEffusion", x0: 0.5, y0: yBase - h - 0.05, x1: xPost, y1: yBase });
  }
  const blob = (lo: number, hi: number): [number, number] => [rng.uniform(0.35, 0.7), rng.uniform(lo, hi)];
  if (f.consolidation || f.pneumonia || f.infiltration || (f.lungOpacity && !f.edema && !f.atelectasis)) {
    const [x, y] = blob(0.35, yBase - 0.1);
    const n = f.pneumonia ? 5 : 3;
    for (let i = 0; i < n; i++) P.gaussian((x + rng.normal(0, 0.03)) * S, (y + rng.normal(0, 0.03)) * S, 0.04 * S, 0.035 * S, 0.13);
  }
  if (f.atelectasis) {
    const y = yBase - 0.12;
    P.segment(0.45 * S, y * S, 0.7 * S, (y + 0.03) * S, 0.025 * S, 0.16, 2.5);
  }
  if (f.edema) {
    P.gaussian(0.55 * S, 0.48 * S, 0.15 * S, 0.14 * S, 0.14);
    P.region(lung(), 0.04, 2);
    K.boxBlur(Math.max(1, Math.round(S / 160)));
  }
  if (f.mass || f.nodule) {
    const [x, y] = blob(0.25, 0.65);
    const r = f.mass ? 0.055 : 0.016;
    P.ellipse(x * S, y * S, r * S, r * S, 0.26, 1.5);
  }
  if (f.pneumothorax) {
    const reg = lung({ yMax: 0.32 * S, bottom: () => 0.32 * S });
    K.attenuateRegion(reg, 1, 2);
    A.region(reg, -0.03, 2);
  }
  if (f.fibrosis) {
    for (let i = 0; i < 40; i++) {
      const [x, y] = blob(yBase - 0.25, yBase - 0.06);
      const a = rng.uniform(0, Math.PI);
      P.segment(x * S, y * S, (x + Math.cos(a) * 0.03) * S, (y + Math.sin(a) * 0.03) * S, Math.max(0.7, S / 320), 0.07, 0.6);
    }
  }
  if (f.hernia) {
    A.ellipse(0.55 * S, (yBase - 0.08) * S, 0.07 * S, 0.05 * S, 0.1, 2);
    A.ellipse(0.55 * S, (yBase - 0.1) * S, 0.05 * S, 0.02 * S, -0.15, 1.5);
  }
  A.addCanvas(M, f.emphysema ? -0.31 : -0.26);
  A.addCanvas(K, 1, M);
  A.addCanvas(P, 1, M);
  if (f.supportDevices) drawDevices(ctx, chooseDevices(ctx), true);
}
