/**
 * Public API of the visualisation module: Vega-Lite chart specs and their SVG/PNG rendering, notebook display
 * (Vega-Lite + SVG in one output), image grids and attention-map overlays.
 */
export { groupedComparisonChart, histogramChart, lineChart, perLabelChart } from "./charts.js";
export type {
  ChartOptions,
  ComparisonChartOptions,
  ComparisonPoint,
  CurvePoint,
  HistogramChartOptions,
  HistogramValue,
  LineChartOptions,
  PerLabelChartOptions,
} from "./charts.js";
export { renderPng, renderSvg, saveChart } from "./render.js";
export type { ChartFormat, PngOptions } from "./render.js";
export { VEGA_LITE_MIME, chartMimeBundle, displayChart, tslabWriter } from "./notebook.js";
export type { DisplayWriter, MimeBundle } from "./notebook.js";
export { batchTiles, imageGridJpeg, imageGridPixels, imageGridPng, upscaleTile } from "./image_grid.js";
export type { ImageGridOptions, ImageTile } from "./image_grid.js";
export { attentionOverlayRows, clsAttention } from "./attention.js";
export type { ClsAttention, OverlayOptions } from "./attention.js";
