/**
 * Showing charts in a Jupyter notebook (tslab kernel) through tslab's public `display` API. tslab is an
 * optional peer dependency: the running kernel's own tslab is used (found among the modules the kernel has
 * loaded, so a kernel installed globally or in another project works), else the copy this package resolves.
 * An output carries one MIME type: SVG by default (drawn by JupyterLab, classic Notebook, GitHub and nbconvert),
 * PNG, or the Vega-Lite spec (interactive in JupyterLab, blank in viewers without a Vega renderer).
 * Outside Jupyter, charts go to files with `saveChart` (SVG/PNG/JSON) or to a string with `renderSvg`.
 */
import { createRequire } from "node:module";
import type { TopLevelSpec } from "vega-lite";
import { renderPng, renderSvg } from "./render.js";

/** The part of tslab's public `Display` (`import { display } from "tslab"`) used here. */
export interface TslabDisplay {
  svg(s: string): void;
  png(b: Uint8Array): void;
  raw(contentType: string, b: string | Uint8Array): unknown;
}

/** MIME type of Vega-Lite v5 specs in JupyterLab. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** What {@link displayChart} sends: an SVG rendering, a PNG rendering, or the Vega-Lite spec itself. */
export type DisplayFormat = "svg" | "png" | "vega-lite";

const TSLAB_FILE = /[\\/]node_modules[\\/]tslab[\\/]dist[\\/][^\\/]+\.js$/;

/**
 * tslab's `display` for the running kernel: the tslab whose modules this process has loaded (the kernel's own
 * install, wherever it is), else `require("tslab")` from this package.
 * @throws Error naming what to do when tslab cannot be found, or when this process is not a tslab kernel
 */
export function tslabDisplay(): TslabDisplay {
  const req = createRequire(import.meta.url);
  const kernelFile = Object.keys(req.cache).find((f) => TSLAB_FILE.test(f));
  let tslab: { display?: TslabDisplay };
  try {
    tslab = (kernelFile !== undefined ? createRequire(kernelFile) : req)("tslab") as typeof tslab;
  } catch (e) {
    throw new Error(`displayChart: tslab is not installed here (${(e as Error).message.split("\n")[0]}); in a notebook, run the tslab kernel ` +
      "(npm install tslab, then npx tslab install); outside a notebook use saveChart or renderSvg");
  }
  if (kernelFile === undefined || typeof tslab.display?.svg !== "function") {
    throw new Error("displayChart: not running in a tslab kernel cell; outside a notebook use saveChart or renderSvg");
  }
  return tslab.display;
}

/**
 * Display a chart in the current notebook cell (see the module comment).
 * Resolves to nothing, so that `await displayChart(…)` as a cell's last expression prints no extra result.
 * @param opts.format `"svg"` (default), `"png"` or `"vega-lite"`
 * @param opts.display where the output goes; default the running kernel's tslab ({@link tslabDisplay})
 * @example await displayChart(lineChart(points, { title: "loss" }));
 */
export async function displayChart(spec: TopLevelSpec, opts: { readonly format?: DisplayFormat; readonly display?: TslabDisplay } = {}): Promise<void> {
  const format = opts.format ?? "svg";
  if (!["svg", "png", "vega-lite"].includes(format)) throw new Error(`displayChart: format "${format}" is not one of svg, png, vega-lite`);
  const display = opts.display ?? tslabDisplay();
  if (format === "svg") display.svg(await renderSvg(spec));
  else if (format === "png") display.png(await renderPng(spec));
  // tslab passes a non-binary value through as the output's data: the spec object, as JupyterLab expects.
  else display.raw(VEGA_LITE_MIME, spec as unknown as string);
}
