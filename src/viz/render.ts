/**
 * Rendering Vega-Lite specs in Node without a canvas: vega-lite compile → vega View (renderer "none") →
 * SVG string → PNG with sharp (librsvg). vega, vega-lite and sharp are imported on first use.
 */
import { makeDirs } from "../utils/make_dirs.js";
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { checkOptionKeys } from "../utils/validate.js";

/**
 * Render a Vega-Lite spec to an SVG string.
 * @example const svg = await renderSvg(lineChart(points));
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Options of {@link renderPng}. */
export interface PngOptions {
  /** Pixel scale relative to the SVG size; default 2 (crisp text). */
  readonly scale?: number;
}

/**
 * Render a Vega-Lite spec to PNG bytes (white background).
 * @example writeFileSync("auroc.png", await renderPng(spec));
 */
export async function renderPng(spec: TopLevelSpec, opts: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec), opts);
}

/** Rasterise an SVG rendered by {@link renderSvg} (white background). */
async function svgToPng(svg: string, opts: PngOptions): Promise<Buffer> {
  checkOptionKeys(opts, ["scale"], "renderPng");
  const scale = opts.scale ?? 2;
  if (!(scale > 0 && scale <= 8)) throw new Error(`renderPng: scale must be in (0, 8], got ${scale}`);
  const sharp = (await import("sharp")).default;
  return sharp(Buffer.from(svg), { density: 72 * scale }).flatten({ background: "#ffffff" }).png().toBuffer();
}

/** Output formats of {@link saveChart}. */
export type ChartFormat = "svg" | "png" | "json";

/**
 * Write a chart next to `basePath` as `<basePath>.svg`, `.png` and/or `.vl.json` (the spec).
 * @returns the written paths by format.
 * @example await saveChart(perLabelChart(rows), "results/mimic/per_label_auroc");
 */
export async function saveChart(
  spec: TopLevelSpec,
  basePath: string,
  formats: readonly ChartFormat[] = ["svg", "png", "json"],
  png: PngOptions = {},
): Promise<Partial<Record<ChartFormat, string>>> {
  makeDirs(dirname(basePath));
  const out: Partial<Record<ChartFormat, string>> = {};
  let svg: string | undefined; // compiled once for both the SVG and the PNG
  const getSvg = async () => (svg ??= await renderSvg(spec));
  for (const f of formats) {
    if (f === "svg") {
      out.svg = `${basePath}.svg`;
      writeFileSync(out.svg, await getSvg());
    } else if (f === "png") {
      out.png = `${basePath}.png`;
      const buf = await svgToPng(await getSvg(), png);
      writeFileSync(out.png, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    } else if (f === "json") {
      out.json = `${basePath}.vl.json`;
      writeFileSync(out.json, JSON.stringify(spec, null, 1) + "\n");
    } else {
      throw new Error(`saveChart: unknown format "${String(f)}"; valid formats: svg, png, json`);
    }
  }
  return out;
}
