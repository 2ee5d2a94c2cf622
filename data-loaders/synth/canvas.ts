/**
 * A tiny single-channel float canvas for procedural radiographs. All shapes *add* a value with a soft
 * (anti-aliased) edge, so overlapping structures sum like X-ray attenuation along a ray. Coordinates
 * are in pixels, origin top-left, x to the right, y down. Each primitive only visits its bounding box,
 * which keeps a 256² image at a few milliseconds.
 */

/** Smooth 0→1 ramp of `d` over [-soft, +soft] (d > 0 is inside). */
export function ramp(d: number, soft: number): number {
  if (d >= soft) return 1;
  if (d <= -soft) return 0;
  const t = (d + soft) / (2 * soft);
  return t * t * (3 - 2 * t);
}

/** A region bounded by two x-boundaries (functions of y) and two y-boundaries (functions of x). */
export interface RowRegion {
  /** Smallest y of the bounding box. */
  yMin: number;
  /** Largest y of the bounding box. */
  yMax: number;
  /** Left boundary x at row y. */
  left(y: number): number;
  /** Right boundary x at row y. */
  right(y: number): number;
  /** Upper boundary y at column x. */
  top(x: number): number;
  /** Lower boundary y at column x. */
  bottom(x: number): number;
}

/** An affine map p' = A p + t, stored as [a, b, c, d, tx, ty] with x' = a x + b y + tx, y' = c x + d y + ty. */
export type Affine = readonly [number, number, number, number, number, number];

/** Apply an affine map to a point. */
export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[4], m[2] * x + m[3] * y + m[5]];
}

/** Inverse of an affine map. */
export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, tx, ty] = m;
  const det = a * d - b * c;
  const ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
  return [ia, ib, ic, id, -(ia * tx + ib * ty), -(ic * tx + id * ty)];
}

/** Single-channel float canvas. */
export class Canvas {
  /** Row-major pixel values. */
  readonly data: Float32Array;

  /**
   * @param width pixels
   * @param height pixels
   * @param fill initial value
   */
  constructor(readonly width: number, readonly height: number, fill = 0) {
    this.data = new Float32Array(width * height);
    if (fill !== 0) this.data.fill(fill);
  }

  private clampX(x: number): number {
    return Math.max(0, Math.min(this.width - 1, x));
  }

  private clampY(y: number): number {
    return Math.max(0, Math.min(this.height - 1, y));
  }

  /** Add `value` inside a (rotated) ellipse with a soft edge of `soft` pixels. */
  ellipse(cx: number, cy: number, rx: number, ry: number, value: number, soft = 1.2, angle = 0): void {
    this.forEllipse(cx, cy, rx, ry, soft, angle, (i, cov) => {
      this.data[i]! += value * cov;
    });
  }

  /** Multiply by (1 - k·coverage) inside a (rotated) ellipse (k = 1 erases it). */
  attenuateEllipse(cx: number, cy: number, rx: number, ry: number, k: number, soft = 1.2, angle = 0): void {
    this.forEllipse(cx, cy, rx, ry, soft, angle, (i, cov) => {
      this.data[i]! *= 1 - k * cov;
    });
  }

  private forEllipse(cx: number, cy: number, rx: number, ry: number, soft: number, angle: number, f: (index: number, cov: number) => void): void {
    const r = Math.max(rx, ry) + soft;
    const x0 = Math.floor(this.clampX(cx - r)), x1 = Math.ceil(this.clampX(cx + r));
    const y0 = Math.floor(this.clampY(cy - r)), y1 = Math.ceil(this.clampY(cy + r));
    const cos = Math.cos(angle), sin = Math.sin(angle);
    const rmin = Math.min(rx, ry);
    for (let y = y0; y <= y1; y++) {
      const dy = y - cy;
      for (let x = x0; x <= x1; x++) {
        const dx = x - cx;
        const u = (dx * cos + dy * sin) / rx;
        const v = (-dx * sin + dy * cos) / ry;
        const cov = ramp((1 - Math.sqrt(u * u + v * v)) * rmin, soft);
        if (cov > 0) f(y * this.width + x, cov);
      }
    }
  }

  /** Add an anisotropic gaussian bump of peak `value` (cut at 3 sigma). */
  gaussian(cx: number, cy: number, sx: number, sy: number, value: number, angle = 0): void {
    const r = 3 * Math.max(sx, sy);
    const x0 = Math.floor(this.clampX(cx - r)), x1 = Math.ceil(this.clampX(cx + r));
    const y0 = Math.floor(this.clampY(cy - r)), y1 = Math.ceil(this.clampY(cy + r));
    const cos = Math.cos(angle), sin = Math.sin(angle);
    for (let y = y0; y <= y1; y++) {
      const dy = y - cy;
      for (let x = x0; x <= x1; x++) {
        const dx = x - cx;
        const u = (dx * cos + dy * sin) / sx;
        const v = (-dx * sin + dy * cos) / sy;
        const e = 0.5 * (u * u + v * v);
        if (e < 4.5) this.data[y * this.width + x]! += value * Math.exp(-e);
      }
    }
  }

  /** Add a capsule (thick segment) of full width `width` with a soft edge. */
  segment(x0: number, y0: number, x1: number, y1: number, width: number, value: number, soft = 0.8): void {
    const half = width / 2;
    const pad = half + soft;
    const bx0 = Math.floor(this.clampX(Math.min(x0, x1) - pad)), bx1 = Math.ceil(this.clampX(Math.max(x0, x1) + pad));
    const by0 = Math.floor(this.clampY(Math.min(y0, y1) - pad)), by1 = Math.ceil(this.clampY(Math.max(y0, y1) + pad));
    const vx = x1 - x0, vy = y1 - y0;
    const len2 = vx * vx + vy * vy || 1e-9;
    for (let y = by0; y <= by1; y++) {
      for (let x = bx0; x <= bx1; x++) {
        let t = ((x - x0) * vx + (y - y0) * vy) / len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const dx = x - (x0 + t * vx), dy = y - (y0 + t * vy);
        const cov = ramp(half - Math.sqrt(dx * dx + dy * dy), soft);
        if (cov > 0) this.data[y * this.width + x]! += value * cov;
      }
    }
  }

  /**
   * Add a polyline of capsules. Joints are drawn once per segment, so a joint is slightly brighter;
   * at the widths used here that is invisible under the noise.
   */
  polyline(points: readonly (readonly [number, number])[], width: number, value: number, soft = 0.8): void {
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1]!, b = points[i]!;
      this.segment(a[0], a[1], b[0], b[1], width, value, soft);
    }
  }

  /** Add `value` inside a {@link RowRegion}, soft-edged on all four boundaries. */
  region(reg: RowRegion, value: number, soft = 1.5): void {
    this.forRegion(reg, soft, (i, cov) => {
      this.data[i]! += value * cov;
    });
  }

  /** Multiply the canvas by (1 - k·coverage) inside a region (k = 1 erases it). */
  attenuateRegion(reg: RowRegion, k: number, soft = 1.5): void {
    this.forRegion(reg, soft, (i, cov) => {
      this.data[i]! *= 1 - k * cov;
    });
  }

  private forRegion(reg: RowRegion, soft: number, f: (index: number, cov: number) => void): void {
    const y0 = Math.floor(this.clampY(reg.yMin - soft)), y1 = Math.ceil(this.clampY(reg.yMax + soft));
    for (let y = y0; y <= y1; y++) {
      const l = reg.left(y), r = reg.right(y);
      if (r <= l) continue;
      const x0 = Math.floor(this.clampX(l - soft)), x1 = Math.ceil(this.clampX(r + soft));
      for (let x = x0; x <= x1; x++) {
        const cx = ramp(Math.min(x - l, r - x), soft);
        if (cx <= 0) continue;
        const cy = ramp(Math.min(y - reg.top(x), reg.bottom(x) - y), soft);
        if (cy > 0) f(y * this.width + x, cx * cy);
      }
    }
  }

  /** Add a linear gradient: value v0 at y = 0 to v1 at y = height - 1, on every pixel. */
  verticalGradient(v0: number, v1: number): void {
    for (let y = 0; y < this.height; y++) {
      const v = v0 + ((v1 - v0) * y) / Math.max(1, this.height - 1);
      const row = y * this.width;
      for (let x = 0; x < this.width; x++) this.data[row + x]! += v;
    }
  }

  /** Add another canvas times `k`, pixel by pixel (same size), optionally times a mask canvas. */
  addCanvas(other: Canvas, k = 1, mask?: Canvas): void {
    const d = this.data, o = other.data;
    if (mask) {
      const m = mask.data;
      for (let i = 0; i < d.length; i++) d[i]! += k * o[i]! * m[i]!;
    } else {
      for (let i = 0; i < d.length; i++) d[i]! += k * o[i]!;
    }
  }

  /** Separable box blur of the given integer radius (edges clamp). */
  boxBlur(radius: number): void {
    if (radius < 1) return;
    const w = this.width, h = this.height, d = this.data;
    const tmp = new Float32Array(d.length);
    const n = 2 * radius + 1;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += d[row + Math.max(0, Math.min(w - 1, x + k))]!;
        tmp[row + x] = s / n;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += tmp[Math.max(0, Math.min(h - 1, y + k)) * w + x]!;
        d[y * w + x] = s / n;
      }
    }
  }

  /**
   * Resample through an affine map (bilinear). `forward` maps this canvas's coordinates to the
   * output's; pixels that fall outside are set to `outside`.
   */
  warp(forward: Affine, outside: number): Canvas {
    const out = new Canvas(this.width, this.height);
    const inv = invertAffine(forward);
    const w = this.width, h = this.height, d = this.data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const sx = inv[0] * x + inv[1] * y + inv[4];
        const sy = inv[2] * x + inv[3] * y + inv[5];
        const ix = Math.floor(sx), iy = Math.floor(sy);
        let v = outside;
        if (ix >= 0 && iy >= 0 && ix < w - 1 && iy < h - 1) {
          const fx = sx - ix, fy = sy - iy;
          const i = iy * w + ix;
          v = (d[i]! * (1 - fx) + d[i + 1]! * fx) * (1 - fy) + (d[i + w]! * (1 - fx) + d[i + w + 1]! * fx) * fy;
        }
        out.data[y * w + x] = v;
      }
    }
    return out;
  }
}
