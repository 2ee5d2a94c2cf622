/**
 * Crop + resize of a grayscale image on typed arrays: a separable triangle ("bilinear") filter whose
 * support widens when downsampling (antialiased, like Pillow's `Image.resize(..., BILINEAR)` that
 * torchvision uses on PIL images). Crop boxes may be fractional and may extend past the image (edge pixels
 * handled by clipping the filter window, as Pillow does).
 *
 * Hot path of MSN view generation (12 views per image), so: filter taps are computed once per view and axis
 * into reused tables, padded to a fixed tap count per axis so the inner loops are branch-free; a flip is the
 * column table reversed; the single grey plane is resampled once and written straight into the 1 or 3
 * output channels with a per-channel affine map (`v·scale[c] + shift[c]`, i.e. the normalisation), fused
 * with the vertical pass. No allocation per view.
 */

/** A crop box in source pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Filter taps of one axis: output sample i reads `taps` source samples from `start[i]` with weights `w[i·taps …]`. */
interface Taps {
  start: Int32Array;
  weights: Float64Array;
  taps: number;
}

/** Triangle filter weight of source sample `j` for a window centred at `center` of half-width `support`. */
function tri(j: number, center: number, support: number): number {
  const d = 1 - Math.abs((j + 0.5 - center) / support);
  return d > 0 ? d : 0;
}

let winLo = 0;
let winHi = 0;
let winSum = 0;

/**
 * The source window of one output sample into `winLo..winHi` (and its weight sum into `winSum`, 0 when
 * the sample uses the edge pixel): clipped to the image, at most `maxTaps` wide, zero-weight ends dropped;
 * a window with no weight inside the image (a box past the edge) falls back to the nearest edge pixel.
 */
function window(center: number, support: number, srcSize: number, maxTaps: number): void {
  let lo = Math.max(0, Math.floor(center - support));
  let hi = Math.min(srcSize - 1, Math.ceil(center + support));
  if (hi - lo + 1 > maxTaps) hi = lo + maxTaps - 1;
  while (lo <= hi && tri(lo, center, support) === 0) lo++;
  while (hi >= lo && tri(hi, center, support) === 0) hi--;
  let sum = 0;
  for (let j = lo; j <= hi; j++) sum += tri(j, center, support);
  if (!(sum > 0)) {
    lo = hi = Math.max(0, Math.min(srcSize - 1, Math.floor(center)));
    sum = 0;
  }
  winLo = lo;
  winHi = hi;
  winSum = sum;
}

/**
 * Filter taps for mapping `outSize` samples onto `[from, from + len)` of a source axis of `srcSize`, into
 * `t` (grown as needed): triangle weights over each {@link window}, renormalised (as Pillow). Windows are
 * then padded with zero weights to the widest one (shifted left at the right edge so they stay inside the
 * image). `reverse` stores output i at `outSize − 1 − i` (a flip).
 */
function fillTaps(t: Taps, from: number, len: number, outSize: number, srcSize: number, reverse: boolean): void {
  const scale = len / outSize;
  const support = Math.max(1, scale);
  const maxTaps = Math.min(srcSize, Math.ceil(support) * 2 + 2);
  if (t.start.length < outSize) t.start = new Int32Array(outSize);
  if (t.weights.length < outSize * maxTaps) t.weights = new Float64Array(outSize * maxTaps);
  const { start, weights } = t;
  // Pass 1: the widest window.
  let taps = 1;
  for (let i = 0; i < outSize; i++) {
    window(from + (i + 0.5) * scale, support, srcSize, maxTaps);
    if (winHi - winLo + 1 > taps) taps = winHi - winLo + 1;
  }
  // Pass 2: normalised weights, padded to `taps`.
  for (let i = 0; i < outSize; i++) {
    const center = from + (i + 0.5) * scale;
    window(center, support, srcSize, maxTaps);
    const lo = winLo;
    const hi = winHi;
    const sum = winSum;
    const s = Math.min(lo, srcSize - taps);
    const r = reverse ? outSize - 1 - i : i;
    const wo = r * taps;
    start[r] = s;
    for (let k = 0; k < taps; k++) {
      const j = s + k;
      weights[wo + k] = j < lo || j > hi ? 0 : sum > 0 ? tri(j, center, support) / sum : 1;
    }
  }
  t.taps = taps;
}

const tx: Taps = { start: new Int32Array(0), weights: new Float64Array(0), taps: 1 };
const ty: Taps = { start: new Int32Array(0), weights: new Float64Array(0), taps: 1 };
let scratch = new Float32Array(0);

/** Horizontal pass: rows `[y0, y0 + rows)` of `src` → `tmp` (rows × dw). */
function horizontal(src: Uint8Array | Uint16Array | Float32Array, sw: number, y0: number, rows: number, dw: number, tmp: Float32Array): void {
  const { start, weights: w, taps } = tx;
  for (let r = 0; r < rows; r++) {
    const row = (y0 + r) * sw;
    const tr = r * dw;
    if (taps === 2) {
      for (let i = 0, wo = 0; i < dw; i++, wo += 2) {
        const b = row + start[i]!;
        tmp[tr + i] = w[wo]! * src[b]! + w[wo + 1]! * src[b + 1]!;
      }
    } else if (taps === 3) {
      for (let i = 0, wo = 0; i < dw; i++, wo += 3) {
        const b = row + start[i]!;
        tmp[tr + i] = w[wo]! * src[b]! + w[wo + 1]! * src[b + 1]! + w[wo + 2]! * src[b + 2]!;
      }
    } else if (taps === 4) {
      for (let i = 0, wo = 0; i < dw; i++, wo += 4) {
        const b = row + start[i]!;
        tmp[tr + i] = w[wo]! * src[b]! + w[wo + 1]! * src[b + 1]! + w[wo + 2]! * src[b + 2]! + w[wo + 3]! * src[b + 3]!;
      }
    } else {
      for (let i = 0, wo = 0; i < dw; i++, wo += taps) {
        const b = row + start[i]!;
        let acc = 0;
        for (let k = 0; k < taps; k++) acc += w[wo + k]! * src[b + k]!;
        tmp[tr + i] = acc;
      }
    }
  }
}

/**
 * Vertical pass fused with the output write, 3 channels: output row i combines `taps` rows of `tmp`
 * (relative to `y0`), then pixel value v goes to `out` as `v·a[c] + b[c]` for c = 0, 1, 2.
 */
function verticalRgb(tmp: Float32Array, y0: number, dw: number, dh: number, a: readonly number[], b: readonly number[], out: Float32Array, offset: number): void {
  const { start, weights: w, taps } = ty;
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, b0 = b[0]!, b1 = b[1]!, b2 = b[2]!;
  for (let i = 0; i < dh; i++) {
    const wo = i * taps;
    const t0 = (start[i]! - y0) * dw;
    let o = offset + i * dw * 3;
    if (taps === 2) {
      const w0 = w[wo]!, w1 = w[wo + 1]!;
      const t1 = t0 + dw;
      for (let c = 0; c < dw; c++, o += 3) {
        const v = w0 * tmp[t0 + c]! + w1 * tmp[t1 + c]!;
        out[o] = v * a0 + b0;
        out[o + 1] = v * a1 + b1;
        out[o + 2] = v * a2 + b2;
      }
    } else if (taps === 3) {
      const w0 = w[wo]!, w1 = w[wo + 1]!, w2 = w[wo + 2]!;
      const t1 = t0 + dw, t2 = t1 + dw;
      for (let c = 0; c < dw; c++, o += 3) {
        const v = w0 * tmp[t0 + c]! + w1 * tmp[t1 + c]! + w2 * tmp[t2 + c]!;
        out[o] = v * a0 + b0;
        out[o + 1] = v * a1 + b1;
        out[o + 2] = v * a2 + b2;
      }
    } else if (taps === 4) {
      const w0 = w[wo]!, w1 = w[wo + 1]!, w2 = w[wo + 2]!, w3 = w[wo + 3]!;
      const t1 = t0 + dw, t2 = t1 + dw, t3 = t2 + dw;
      for (let c = 0; c < dw; c++, o += 3) {
        const v = w0 * tmp[t0 + c]! + w1 * tmp[t1 + c]! + w2 * tmp[t2 + c]! + w3 * tmp[t3 + c]!;
        out[o] = v * a0 + b0;
        out[o + 1] = v * a1 + b1;
        out[o + 2] = v * a2 + b2;
      }
    } else {
      for (let c = 0; c < dw; c++, o += 3) {
        let v = 0;
        for (let k = 0; k < taps; k++) v += w[wo + k]! * tmp[t0 + k * dw + c]!;
        out[o] = v * a0 + b0;
        out[o + 1] = v * a1 + b1;
        out[o + 2] = v * a2 + b2;
      }
    }
  }
}

/** {@link verticalRgb} for one channel (`v·a + b`). */
function verticalGray(tmp: Float32Array, y0: number, dw: number, dh: number, a: number, b: number, out: Float32Array, offset: number): void {
  const { start, weights: w, taps } = ty;
  for (let i = 0; i < dh; i++) {
    const wo = i * taps;
    const t0 = (start[i]! - y0) * dw;
    const o = offset + i * dw;
    if (taps === 2) {
      const w0 = w[wo]! * a, w1 = w[wo + 1]! * a;
      const t1 = t0 + dw;
      for (let c = 0; c < dw; c++) out[o + c] = w0 * tmp[t0 + c]! + w1 * tmp[t1 + c]! + b;
    } else if (taps === 3) {
      const w0 = w[wo]! * a, w1 = w[wo + 1]! * a, w2 = w[wo + 2]! * a;
      const t1 = t0 + dw, t2 = t1 + dw;
      for (let c = 0; c < dw; c++) out[o + c] = w0 * tmp[t0 + c]! + w1 * tmp[t1 + c]! + w2 * tmp[t2 + c]! + b;
    } else {
      for (let c = 0; c < dw; c++) {
        let v = 0;
        for (let k = 0; k < taps; k++) v += w[wo + k]! * tmp[t0 + k * dw + c]!;
        out[o + c] = v * a + b;
      }
    }
  }
}

/**
 * Resample `box` of a `sw × sh` single-channel image to `dw × dh` and write it as HWC with `channels`
 * channels into `out` at `offset`: channel c of a pixel of value v (source units) is `v·scale[c] + shift[c]`.
 * @param flip mirror horizontally
 * @example resampleBoxAffine(img.data, 256, 256, { x: 10, y: 0, w: 200, h: 180 }, 224, 224, true, 3, [a0, a1, a2], [b0, b1, b2], out, 0)
 */
export function resampleBoxAffine(
  src: Uint8Array | Uint16Array | Float32Array,
  sw: number,
  sh: number,
  box: Box,
  dw: number,
  dh: number,
  flip: boolean,
  channels: 1 | 3,
  scale: readonly number[],
  shift: readonly number[],
  out: Float32Array,
  offset: number,
): void {
  fillTaps(tx, box.x, box.w, dw, sw, flip);
  fillTaps(ty, box.y, box.h, dh, sh, false);
  // Rows of the source that any output row touches (window starts are monotonic in i).
  const y0 = ty.start[0]!;
  const rows = ty.start[dh - 1]! + ty.taps - y0;
  if (scratch.length < rows * dw) scratch = new Float32Array(rows * dw);
  horizontal(src, sw, y0, rows, dw, scratch);
  if (channels === 1) verticalGray(scratch, y0, dw, dh, scale[0]!, shift[0]!, out, offset);
  else verticalRgb(scratch, y0, dw, dh, scale, shift, out, offset);
}

const IDENTITY = [1];
const ZERO = [0];

/**
 * Resample `box` of a `sw × sh` single-channel image into `dw × dh` floats (same units as the source).
 * @param flip mirror horizontally
 * @returns a new Float32Array of `dw * dh`
 * @example const out = resampleBox(img.data, 1024, 1024, { x: 0, y: 0, w: 1024, h: 1024 }, 224, 224, false);
 */
export function resampleBox(src: Uint8Array | Uint16Array | Float32Array, sw: number, sh: number, box: Box, dw: number, dh: number, flip: boolean): Float32Array {
  return resampleBoxInto(src, sw, sh, box, dw, dh, flip, new Float32Array(dw * dh));
}

/**
 * {@link resampleBox} into a caller-provided `out` of at least `dw * dh` floats (overwritten), reusing
 * internal scratch buffers: no allocation per call.
 */
export function resampleBoxInto(src: Uint8Array | Uint16Array | Float32Array, sw: number, sh: number, box: Box, dw: number, dh: number, flip: boolean, out: Float32Array): Float32Array {
  resampleBoxAffine(src, sw, sh, box, dw, dh, flip, 1, IDENTITY, ZERO, out, 0);
  return out;
}
