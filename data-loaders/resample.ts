/**
 * Crop + resize of a grayscale image on typed arrays: a separable triangle ("bilinear") filter whose
 * support widens when downsampling (antialiased, like Pillow's `Image.resize(..., BILINEAR)` that
 * torchvision uses on PIL images). Crop boxes may be fractional and may extend past the image (edge pixels
 * handled by clipping the filter window, as Pillow does).
 */

/** A crop box in source pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

/** Filter taps for mapping `outSize` samples onto `[from, from + len)` of a source axis of `srcSize`. */
function taps(from: number, len: number, outSize: number, srcSize: number): Taps {
  const scale = len / outSize;
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let i = 0; i < outSize; i++) {
    const center = from + (i + 0.5) * scale;
    // Window clipped to the image and renormalised (as Pillow); a window fully outside uses the edge pixel.
    let lo = Math.max(0, Math.floor(center - support));
    let hi = Math.min(srcSize - 1, Math.ceil(center + support));
    if (lo > hi) lo = hi = Math.max(0, Math.min(srcSize - 1, Math.floor(center)));
    if (hi - lo + 1 > maxTaps) hi = lo + maxTaps - 1;
    // Drop taps whose weight is exactly zero at either end of the window (they cost time, not accuracy).
    const weight = (j: number) => Math.max(0, 1 - Math.abs((j + 0.5 - center) / support));
    while (lo < hi && weight(lo) === 0) lo++;
    while (hi > lo && weight(hi) === 0) hi--;
    start[i] = lo;
    let sum = 0;
    for (let j = lo; j <= hi; j++) {
      const w = weight(j);
      weights[i * maxTaps + (j - lo)] = w;
      sum += w;
    }
    count[i] = hi - lo + 1;
    if (sum > 0) for (let k = 0; k <= hi - lo; k++) weights[i * maxTaps + k]! /= sum;
    else weights[i * maxTaps] = 1;
  }
  return { start, count, weights, maxTaps };
}

/**
 * Resample `box` of a `sw × sh` single-channel image into `dw × dh` floats (same units as the source).
 * @param flip mirror horizontally
 * @returns a new Float32Array of `dw * dh`
 * @example const out = resampleBox(img.data, 1024, 1024, { x: 0, y: 0, w: 1024, h: 1024 }, 224, 224, false);
 */
export function resampleBox(src: ArrayLike<number>, sw: number, sh: number, box: Box, dw: number, dh: number, flip: boolean): Float32Array {
  return resampleBoxInto(src, sw, sh, box, dw, dh, flip, new Float32Array(dw * dh));
}

let scratch = new Float32Array(0);

/**
 * {@link resampleBox} into a caller-provided `out` of at least `dw * dh` floats (overwritten), reusing an
 * internal scratch buffer: no allocation per view on the hot path of MSN view generation.
 */
export function resampleBoxInto(src: ArrayLike<number>, sw: number, sh: number, box: Box, dw: number, dh: number, flip: boolean, out: Float32Array): Float32Array {
  const tx = taps(box.x, box.w, dw, sw);
  const ty = taps(box.y, box.h, dh, sh);
  // Rows of the source that any output row touches.
  let y0 = sh;
  let y1 = 0;
  for (let i = 0; i < dh; i++) {
    y0 = Math.min(y0, ty.start[i]!);
    y1 = Math.max(y1, ty.start[i]! + ty.count[i]!);
  }
  const rows = Math.max(0, y1 - y0);
  // Step 1: horizontal pass on the touched rows → tmp [rows, dw].
  if (scratch.length < rows * dw) scratch = new Float32Array(rows * dw);
  const tmp = scratch;
  const { start: xs, count: xn, weights: xw, maxTaps: xm } = tx;
  for (let r = 0; r < rows; r++) {
    const srcRow = (y0 + r) * sw;
    const tr = r * dw;
    for (let i = 0; i < dw; i++) {
      const base = srcRow + xs[i]!;
      const n = xn[i]!;
      const wo = i * xm;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += xw[wo + k]! * src[base + k]!;
      tmp[flip ? tr + dw - 1 - i : tr + i] = acc;
    }
  }
  // Step 2: vertical pass → out [dh, dw].
  out.fill(0, 0, dw * dh);
  for (let i = 0; i < dh; i++) {
    const s = ty.start[i]! - y0;
    const n = ty.count[i]!;
    const wo = i * ty.maxTaps;
    const o = i * dw;
    for (let k = 0; k < n; k++) {
      const w = ty.weights[wo + k]!;
      const t = (s + k) * dw;
      for (let c = 0; c < dw; c++) out[o + c]! += w * tmp[t + c]!;
    }
  }
  return out;
}
