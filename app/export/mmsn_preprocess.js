// @ts-check
// mmsn_preprocess.js: the package's evaluation transform in plain JavaScript, for the exported encoder.
// It is data-loaders/views.ts `evalTransform` (Resize(round(S·256/224)) of the shorter side → CenterCrop(S) →
// [0, 1] → Normalize, as one antialiased triangle-filter resample of the equivalent source box) with the
// resampler of data-loaders/resample.ts, ported operation for operation: for the same grey pixels it returns
// the same float32 values (test/app/export/preprocess.test.ts checks bit equality). Colour pixels: channel 0
// (red) is used, as data-loaders/image.ts does (torchxrayvision's convention); alpha is ignored.
//
// (Source: app/export/mmsn_preprocess.js in multimodal-msn; `mmsn export` copies it verbatim beside
// mmsn_encoder.js. No dependency, no DOM: it runs in a browser and in Node alike.)

/**
 * Decoded pixels: row-major, `channels` interleaved values per pixel (a browser ImageData fits: RGBA).
 * @typedef {object} Pixels
 * @property {ArrayLike<number>} data the pixel values
 * @property {number} width
 * @property {number} height
 * @property {number} [channels] values per pixel; default data.length / (width · height). Channel 0 is used.
 * @property {number} [maxValue] the value of white: 255 (default, 8-bit) or 2^bits − 1
 */

/**
 * The evaluation transform's settings (from model.json).
 * @typedef {object} TransformSettings
 * @property {number} size model input side S (the crop)
 * @property {1 | 3} channels output channels (3: the grey value normalised with each channel's mean/std)
 * @property {{ mean: readonly number[]; std: readonly number[] }} normalization per-channel mean/std, RGB order
 */

/**
 * Filter taps of one axis: output i reads `taps` source samples from `start[i]` with weights `weights[i·taps …]`.
 * @typedef {{ start: Int32Array; weights: Float64Array; taps: number }} Taps
 */

/** Triangle filter weight of source sample j for a window centred at `center` of half-width `support`. */
function tri(/** @type {number} */ j, /** @type {number} */ center, /** @type {number} */ support) {
  const d = 1 - Math.abs((j + 0.5 - center) / support);
  return d > 0 ? d : 0;
}

/**
 * The source window of one output sample: clipped to the image, at most maxTaps wide, zero-weight ends dropped;
 * no weight inside the image → the nearest edge pixel (sum 0).
 * @returns {[lo: number, hi: number, sum: number]}
 */
function window(/** @type {number} */ center, /** @type {number} */ support, /** @type {number} */ srcSize, /** @type {number} */ maxTaps) {
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
  return [lo, hi, sum];
}

/**
 * Taps mapping `outSize` samples onto [from, from + len) of a source axis of srcSize: renormalised triangle
 * weights (support widens when downsampling: antialiased, as Pillow), padded with zeros to the widest window.
 * @returns {Taps}
 */
function makeTaps(/** @type {number} */ from, /** @type {number} */ len, /** @type {number} */ outSize, /** @type {number} */ srcSize) {
  const scale = len / outSize;
  const support = Math.max(1, scale);
  const maxTaps = Math.min(srcSize, Math.ceil(support) * 2 + 2);
  let taps = 1;
  for (let i = 0; i < outSize; i++) {
    const [lo, hi] = window(from + (i + 0.5) * scale, support, srcSize, maxTaps);
    if (hi - lo + 1 > taps) taps = hi - lo + 1;
  }
  const start = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = from + (i + 0.5) * scale;
    const [lo, hi, sum] = window(center, support, srcSize, maxTaps);
    const s = Math.min(lo, srcSize - taps);
    start[i] = s;
    for (let k = 0; k < taps; k++) {
      const j = s + k;
      weights[i * taps + k] = j < lo || j > hi ? 0 : sum > 0 ? tri(j, center, support) / sum : 1;
    }
  }
  return { start, weights, taps };
}

/**
 * The evaluation transform of one image: [size, size, channels] float32 (HWC), ready for the encoder.
 * @param {Pixels} image decoded pixels, 0..maxValue (channel 0 is the grey value)
 * @param {TransformSettings} settings
 * @returns {Float32Array}
 */
export function evalTransform(image, settings) {
  const { width: w, height: h } = image;
  const stride = image.channels ?? image.data.length / (w * h);
  if (!(w > 0 && h > 0) || !Number.isInteger(stride) || stride < 1 || image.data.length !== w * h * stride) {
    throw new Error("evalTransform: expected width·height·channels pixel values, got " + image.data.length + " for " + w + "×" + h);
  }
  const crop = settings.size;
  const C = settings.channels;
  // Resize(resize) of the shorter side, then CenterCrop(crop), as a box in source pixels (views.ts resizeCenterCropBox).
  const resize = Math.round((crop * 256) / 224);
  const k = resize / Math.min(w, h);
  const rw = w <= h ? resize : Math.floor(w * k);
  const rh = h <= w ? resize : Math.floor(h * k);
  const top = Math.round((rh - crop) / 2);
  const left = Math.round((rw - crop) / 2);
  const tx = makeTaps((left * w) / rw, (crop * w) / rw, crop, w);
  const ty = makeTaps((top * h) / rh, (crop * h) / rh, crop, h);
  // Horizontal pass over the source rows any output row reads, into float32 (as resample.ts).
  const y0 = /** @type {number} */ (ty.start[0]);
  const rows = /** @type {number} */ (ty.start[crop - 1]) + ty.taps - y0;
  const tmp = new Float32Array(rows * crop);
  const src = image.data;
  for (let r = 0; r < rows; r++) {
    const row = (y0 + r) * w;
    for (let i = 0; i < crop; i++) {
      const b = row + /** @type {number} */ (tx.start[i]);
      let acc = 0;
      for (let t = 0; t < tx.taps; t++) acc += /** @type {number} */ (tx.weights[i * tx.taps + t]) * /** @type {number} */ (src[(b + t) * stride]);
      tmp[r * crop + i] = acc;
    }
  }
  // Normalisation as v·scale[c] + shift[c] on source units (views.ts affine).
  const unit = 1 / (image.maxValue ?? 255);
  const n = settings.normalization;
  const [m0, m1, m2] = /** @type {[number, number, number]} */ (n.mean);
  const [s0, s1, s2] = /** @type {[number, number, number]} */ (n.std);
  const scale = C === 1 ? [unit / ((s0 + s1 + s2) / 3)] : [unit / s0, unit / s1, unit / s2];
  const shift = C === 1 ? [-((m0 + m1 + m2) / 3) / ((s0 + s1 + s2) / 3)] : [-m0 / s0, -m1 / s1, -m2 / s2];
  // Vertical pass fused with the normalisation (resample.ts verticalGray / verticalRgb, same operation order).
  const out = new Float32Array(crop * crop * C);
  const { start, weights: wy, taps } = ty;
  for (let i = 0; i < crop; i++) {
    const t0 = (/** @type {number} */ (start[i]) - y0) * crop;
    for (let c = 0; c < crop; c++) {
      const o = (i * crop + c) * C;
      if (C === 1 && (taps === 2 || taps === 3)) {
        // verticalGray folds the scale into the weights for 2 and 3 taps
        let v = 0;
        for (let t = 0; t < taps; t++) v += /** @type {number} */ (wy[i * taps + t]) * /** @type {number} */ (scale[0]) * /** @type {number} */ (tmp[t0 + t * crop + c]);
        out[o] = v + /** @type {number} */ (shift[0]);
        continue;
      }
      let v = 0;
      for (let t = 0; t < taps; t++) v += /** @type {number} */ (wy[i * taps + t]) * /** @type {number} */ (tmp[t0 + t * crop + c]);
      for (let ch = 0; ch < C; ch++) out[o + ch] = v * /** @type {number} */ (scale[ch]) + /** @type {number} */ (shift[ch]);
    }
  }
  return out;
}
