/**
 * Types shared by the radiograph drawing modules (draw.ts, draw_frontal.ts, draw_lateral.ts,
 * draw_devices.ts).
 */
import type { Canvas } from "./canvas.js";
import type { Finding, Findings } from "./labels.js";
import type { Rng } from "../../src/utils/rng.js";

/** Projection of the drawn image. */
export type DrawView = "PA" | "AP" | "LATERAL";

/** Everything the drawing needs to know about one image. */
export interface DrawSpec {
  /** Projection. AP images are magnified, often recumbent, and noisier (portable). */
  view: DrawView;
  /** Ground-truth findings to draw. */
  findings: Findings;
  /** Patient sex (breast shadows). */
  sex: "M" | "F";
  /** Body habitus in [-1, 1] (thin … broad). */
  habitus: number;
  /** Patient lying down (lower lung volumes, no gastric air-fluid level). */
  recumbent: boolean;
  /** Study in the ICU (chooses the support devices: tubes and lines rather than pacemakers). */
  icu: boolean;
  /** Extra positioning rotation in radians (rare/oblique views). Default 0. */
  extraRotation?: number;
  /** Side of the square output image in pixels. */
  size: number;
}

/** A finding's bounding box in output pixel coordinates (top-left origin). */
export interface FindingBox {
  finding: Finding;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A box in normalised pre-warp coordinates (0..1). */
export interface NormBox {
  finding: Finding;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Mutable state while drawing one image. All canvases are size × size. */
export interface DrawContext {
  /** The image side in pixels (pre-warp and output). */
  S: number;
  /** Stream for this image's drawing. */
  rng: Rng;
  spec: DrawSpec;
  /** Attenuation (bright = dense). */
  A: Canvas;
  /** Parenchymal findings, masked by the lungs at the end. */
  P: Canvas;
  /** Lung markings (vessels), masked by the lungs at the end. */
  K: Canvas;
  /** Lung coverage mask (0..1). */
  M: Canvas;
  /** Boxes of drawn findings. */
  boxes: NormBox[];
}
