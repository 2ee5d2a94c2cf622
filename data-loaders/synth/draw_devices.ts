/**
 * Support devices on a synthetic radiograph: endotracheal and nasogastric tubes, central lines,
 * PICC lines, ECG leads, pacemakers and sternotomy wires. Metal and contrast-striped plastic are
 * drawn much brighter than anatomy.
 */
import type { DrawContext } from "./draw_types.js";

type Pt = readonly [number, number];

/** Device kinds the generator can draw. */
export type DeviceKind = "ett" | "ng" | "cvc" | "picc" | "ecg" | "pacemaker" | "sternotomy";

/**
 * Choose the devices of one image: ICU patients get tubes and lines, others pacemakers, PICCs,
 * sternotomy wires. At least one device is returned.
 */
export function chooseDevices(ctx: DrawContext): DeviceKind[] {
  const r = ctx.rng;
  const out: DeviceKind[] = [];
  if (ctx.spec.icu) {
    if (r.bernoulli(0.75)) out.push("ett");
    if (r.bernoulli(0.65)) out.push("ng");
    if (r.bernoulli(0.65)) out.push("cvc");
    if (r.bernoulli(0.5)) out.push("ecg");
  } else {
    if (r.bernoulli(0.35)) out.push("pacemaker");
    if (r.bernoulli(0.3)) out.push("picc");
    if (r.bernoulli(0.3)) out.push("ecg");
    if (r.bernoulli(0.2)) out.push("sternotomy");
  }
  if (out.length === 0) out.push(ctx.spec.icu ? "ett" : r.pick(["pacemaker", "picc", "ecg"] as const));
  return out;
}

/** Draw the given devices in frontal (mirror = false) or lateral geometry. */
export function drawDevices(ctx: DrawContext, kinds: readonly DeviceKind[], lateral: boolean): void {
  const { S, A, rng } = ctx;
  const k = S / 256;
  const P = (pts: Pt[]): Pt[] => pts.map(([x, y]) => [x * S, y * S] as const);
  const j = (v: number): number => v + rng.normal(0, 0.01);
  for (const kind of kinds) {
    switch (kind) {
      case "ett": {
        const tip = j(0.25);
        const pts: Pt[] = lateral ? [[0.5, 0], [0.55, 0.12], [0.57, tip]] : [[j(0.5), 0], [j(0.5), tip * 0.5], [j(0.5), tip]];
        A.polyline(P(pts), 3.2 * k, 0.22);
        A.polyline(P(pts), 1.0 * k, 0.25);
        break;
      }
      case "ng": {
        const pts: Pt[] = lateral
          ? [[0.52, 0], [0.6, 0.3], [0.63, 0.6], [0.55, 0.85], [0.45, 0.9]]
          : [[j(0.49), 0], [j(0.5), 0.3], [j(0.51), 0.62], [0.55, 0.82], [0.62, 0.87], [j(0.67), 0.83]];
        A.polyline(P(pts), 1.6 * k, 0.38);
        break;
      }
      case "cvc": {
        const pts: Pt[] = lateral ? [[0.45, 0.05], [0.47, 0.2], [0.45, 0.34]] : [[j(0.35), 0.02], [0.41, 0.14], [0.46, 0.22], [j(0.48), j(0.33)]];
        A.polyline(P(pts), 1.5 * k, 0.42);
        break;
      }
      case "picc": {
        const pts: Pt[] = lateral ? [[0.3, 0.1], [0.42, 0.22], [0.46, 0.33]] : [[0.99, j(0.22)], [0.82, j(0.17)], [0.62, 0.19], [j(0.52), j(0.31)]];
        A.polyline(P(pts), 1.2 * k, 0.38);
        break;
      }
      case "ecg": {
        const n = rng.int(3, 6);
        for (let i = 0; i < n; i++) {
          const x = rng.uniform(0.2, 0.8), y = rng.uniform(0.12, 0.85);
          A.ellipse(x * S, y * S, 0.014 * S, 0.014 * S, 0.7);
          A.ellipse(x * S, y * S, 0.007 * S, 0.007 * S, -0.35);
          const ex = x < 0.5 ? 0 : 1;
          A.polyline(P([[x, y], [(x + ex) / 2, y + rng.uniform(-0.08, 0.08)], [ex, y + rng.uniform(-0.15, 0.15)]]), 0.9 * k, 0.25);
        }
        break;
      }
      case "pacemaker": {
        const gx = lateral ? 0.25 : j(0.72), gy = j(0.16);
        A.ellipse(gx * S, gy * S, 0.05 * S, 0.034 * S, 0.95, 1.5, 0.2);
        const lead: Pt[] = lateral ? [[gx, gy], [0.35, 0.3], [0.38, 0.55]] : [[gx, gy], [0.6, 0.24], [0.52, 0.4], [j(0.5), 0.55], [j(0.47), 0.64]];
        A.polyline(P(lead), 1.6 * k, 0.6);
        break;
      }
      case "sternotomy": {
        for (let i = 0; i < 5; i++) {
          const y = 0.3 + i * 0.07;
          const x = lateral ? 0.19 : 0.5 + rng.normal(0, 0.005);
          A.ellipse(x * S, y * S, 0.013 * S, 0.006 * S, 0.75, 0.8);
        }
        break;
      }
    }
  }
}
