/**
 * Bicubic resampling of a square grid as a fixed linear map, so resizing positional embeddings is one
 * differentiable matMul. Same kernel as PyTorch's `F.interpolate(mode="bicubic", align_corners=False)`:
 * cubic convolution with A = −0.75, source index scale·(i+0.5)−0.5, borders clamped.
 */

const A = -0.75;
const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| ≤ 1
const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2

/** 1-D bicubic weights [outSize, inSize] (row i mixes input samples for output sample i). */
export function bicubicMatrix1d(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const real = scale * (i + 0.5) - 0.5;
    const i0 = Math.floor(real);
    const t = real - i0;
    const w = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
    for (let k = 0; k < 4; k++) {
      const src = Math.min(Math.max(i0 - 1 + k, 0), inSize - 1);
      m[i * inSize + src] = m[i * inSize + src]! + w[k]!;
    }
  }
  return m;
}

/**
 * 2-D bicubic map of a row-major g×g grid to h×h, as a [h·h, g·g] Float32Array: out = M · in.
 * @example bicubicGridMatrix(14, 6) // 224-px positional embeddings → 96-px focal views
 */
export function bicubicGridMatrix(inGrid: number, outGrid: number): Float32Array {
  const w = bicubicMatrix1d(inGrid, outGrid);
  const out = new Float32Array(outGrid * outGrid * inGrid * inGrid);
  for (let oy = 0; oy < outGrid; oy++)
    for (let ox = 0; ox < outGrid; ox++)
      for (let iy = 0; iy < inGrid; iy++) {
        const wy = w[oy * inGrid + iy]!;
        if (wy === 0) continue;
        for (let ix = 0; ix < inGrid; ix++) {
          out[(oy * outGrid + ox) * inGrid * inGrid + iy * inGrid + ix] = wy * w[ox * inGrid + ix]!;
        }
      }
  return out;
}
