/** Public API of the visualisation module: Vega-Lite chart specs and their SVG/PNG rendering. */
export { groupedComparisonChart, lineChart, perLabelChart } from "./charts.js";
export type {
  ChartOptions,
  ComparisonChartOptions,
  ComparisonPoint,
  CurvePoint,
  LineChartOptions,
  PerLabelChartOptions,
} from "./charts.js";
export { renderPng, renderSvg, saveChart } from "./render.js";
export type { ChartFormat, PngOptions } from "./render.js";
