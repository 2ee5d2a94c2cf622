/**
 * Image grids for notebooks and reports: tiles of [0, 1] pixel values (grey or RGB) laid out in rows on a
 * white background, encoded as PNG with sharp. Plain arrays in and out (no tensors).
 */

/** One tile: `width × height` pixels in [0, 1], row-major; `channels` 1 (grey, default) or 3 (RGB, interleaved). */
export interface ImageTile {
  readonly width: number;
  readonly height: number;
  readonly pixels: Float32Array | readonly number[];
  readonly channels?: 1 | 3;
}

/** Options of {@link imageGridPixels} and {@link imageGridPng}. */
export interface ImageGridOptions {
  /** White space around and between tiles, in px. Default 4. */
  readonly pad?: number;
}

/**
 * Lay out rows of tiles (each row left to right, rows top to bottom) as one RGB image. Values are clamped to
 * [0, 1] and scaled to 0–255; the background is white.
 * @throws Error for a tile whose pixel count does not match its size, or no tiles at all.
 */
export function imageGridPixels(rows: readonly (readonly ImageTile[])[], opts: ImageGridOptions = {}): { width: number; height: number; data: Uint8Array } {
  const pad = opts.pad ?? 4;
  const filled = rows.filter((r) => r.length > 0);
  if (filled.length === 0) throw new Error("imageGridPixels: no tiles");
  for (const r of filled) for (const t of r) {
    const c = t.channels ?? 1;
    if (t.pixels.length !== t.width * t.height * c) throw new Error(`imageGridPixels: a ${t.width}×${t.height}×${c} tile has ${t.pixels.length} values`);
  }
  const width = Math.max(...filled.map((r) => r.reduce((s, t) => s + t.width + pad, pad)));
  const height = filled.reduce((s, r) => s + Math.max(...r.map((t) => t.height)) + pad, pad);
  const data = new Uint8Array(width * height * 3).fill(255);
  let y0 = pad;
  for (const r of filled) {
    let x0 = pad;
    for (const t of r) {
      const rgb = (t.channels ?? 1) === 3;
      for (let y = 0; y < t.height; y++) {
        for (let x = 0; x < t.width; x++) {
          const o = ((y0 + y) * width + x0 + x) * 3;
          for (let c = 0; c < 3; c++) {
            const v = rgb ? t.pixels[(y * t.width + x) * 3 + c]! : t.pixels[y * t.width + x]!;
            data[o + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
          }
        }
      }
      x0 += t.width + pad;
    }
    y0 += Math.max(...r.map((t) => t.height)) + pad;
  }
  return { width, height, data };
}

/**
 * {@link imageGridPixels} encoded as PNG (sharp).
 * @example tslab.display.png(await imageGridPng([[original, target], focalTiles]));
 */
export async function imageGridPng(rows: readonly (readonly ImageTile[])[], opts: ImageGridOptions = {}): Promise<Buffer> {
  const g = imageGridPixels(rows, opts);
  const sharp = (await import("sharp")).default;
  return sharp(g.data, { raw: { width: g.width, height: g.height, channels: 3 } }).png().toBuffer();
}

/**
 * {@link imageGridPixels} encoded as JPEG (sharp): much smaller than PNG for photographs such as X-rays, which
 * keeps notebooks light.
 * @param opts.quality JPEG quality 1–100; default 85.
 */
export async function imageGridJpeg(rows: readonly (readonly ImageTile[])[], opts: ImageGridOptions & { readonly quality?: number } = {}): Promise<Buffer> {
  const quality = opts.quality ?? 85;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new Error(`imageGridJpeg: quality must be an integer in [1, 100], got ${quality}`);
  const g = imageGridPixels(rows, opts);
  const sharp = (await import("sharp")).default;
  return sharp(g.data, { raw: { width: g.width, height: g.height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/**
 * Nearest-neighbour enlargement of a tile by an integer factor (small model inputs shown at a readable size).
 */
export function upscaleTile(t: ImageTile, factor: number): ImageTile {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`upscaleTile: factor must be a positive integer, got ${factor}`);
  const c = t.channels ?? 1;
  const W = t.width * factor;
  const H = t.height * factor;
  const out = new Float32Array(W * H * c);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (Math.floor(y / factor) * t.width + Math.floor(x / factor)) * c;
      for (let k = 0; k < c; k++) out[(y * W + x) * c + k] = t.pixels[s + k]!;
    }
  }
  return { width: W, height: H, pixels: out, channels: c };
}

/**
 * Split a batch of single-channel images (row-major `[B, H, W]` values) into tiles, mapping each value
 * through `toUnit` (e.g. undoing the input normalisation: `(v) => v * std + mean`).
 */
export function batchTiles(values: Float32Array, batch: number, height: number, width: number, toUnit: (v: number) => number = (v) => v): ImageTile[] {
  if (values.length !== batch * height * width) throw new Error(`batchTiles: ${values.length} values for ${batch}×${height}×${width}`);
  return Array.from({ length: batch }, (_, i) => ({ width, height, pixels: Float32Array.from(values.subarray(i * height * width, (i + 1) * height * width), toUnit) }));
}
