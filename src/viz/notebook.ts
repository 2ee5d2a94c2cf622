/**
 * Showing charts in a Jupyter notebook (tslab kernel): one output that carries a Vega-Lite spec **and** its
 * SVG rendering, so JupyterLab draws the interactive chart and plain viewers (GitHub, nbconvert HTML, classic
 * Notebook) fall back to the SVG. tslab's public `display` sends one MIME type per output, so this writes the
 * bundle through tslab's internal `lastWriteDisplayData` (tslab is pinned, see package.json).
 */
import { createRequire } from "node:module";
import type { TopLevelSpec } from "vega-lite";
import { renderSvg } from "./render.js";

/** A Jupyter display-data MIME bundle. */
export type MimeBundle = Readonly<Record<string, unknown>>;

/** Writes one display-data output (tslab's `lastWriteDisplayData` signature, minus the `update` flag). */
export type DisplayWriter = (bundle: MimeBundle) => void;

/** MIME type of Vega-Lite v5 specs in JupyterLab. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/**
 * The MIME bundle of a chart: the Vega-Lite spec, its SVG rendering and a text placeholder.
 * @example chartMimeBundle(spec, await renderSvg(spec))["image/svg+xml"]
 */
export function chartMimeBundle(spec: TopLevelSpec, svg: string): MimeBundle {
  const t = (spec as { title?: unknown }).title;
  const title = typeof t === "string" ? t : typeof t === "object" && t !== null && typeof (t as { text?: unknown }).text === "string" ? (t as { text: string }).text : "vega-lite";
  return { [VEGA_LITE_MIME]: spec, "image/svg+xml": svg, "text/plain": `[chart: ${title}]` };
}

/**
 * The display writer of the running tslab cell (tslab's internal `lastWriteDisplayData`, read at call time,
 * since tslab sets it anew for every cell).
 * @throws Error when not running inside a tslab kernel.
 */
export function tslabWriter(): DisplayWriter {
  let jupyter: { lastWriteDisplayData?: ((msg: unknown, update: boolean) => void) | null };
  try {
    jupyter = createRequire(import.meta.url)("tslab/dist/jupyter") as typeof jupyter;
  } catch (e) {
    throw new Error(`displayChart: tslab is not installed (${(e as Error).message}); outside a tslab notebook use saveChart or renderSvg`);
  }
  const write = jupyter.lastWriteDisplayData;
  if (typeof write !== "function") throw new Error("displayChart: not running in a tslab kernel cell; outside a notebook use saveChart or renderSvg");
  return (bundle) => write({ data: bundle, metadata: {}, transient: {} }, false);
}

/**
 * Display a chart in the current notebook cell as Vega-Lite plus SVG (see the module comment).
 * Resolves to nothing, so that `await displayChart(…)` as a cell's last expression prints no extra result.
 * @param opts.write where the bundle goes; default the running tslab cell ({@link tslabWriter}).
 * @example await displayChart(lineChart(points, { title: "loss" }));
 */
export async function displayChart(spec: TopLevelSpec, opts: { readonly write?: DisplayWriter } = {}): Promise<void> {
  const write = opts.write ?? tslabWriter();
  write(chartMimeBundle(spec, await renderSvg(spec)));
}
