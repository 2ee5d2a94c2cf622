/**
 * Charts and summary of a pretraining run directory, from its `metrics.csv` (so a resumed run's chart
 * covers the whole run): `loss.{svg,png,vl.json}` (total, cross-entropy, ME-MAX per step),
 * `schedules.{svg,png,vl.json}` (lr, weight decay, EMA momentum) and `summary.md`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lineChart } from "../../src/viz/charts.js";
import { saveChart } from "../../src/viz/render.js";

/** One parsed row of metrics.csv. */
export type MetricsRow = Record<string, number>;

/** Parse `dir/metrics.csv` (header + numeric rows). */
export function readMetrics(dir: string): MetricsRow[] {
  const lines = readFileSync(join(dir, "metrics.csv"), "utf8").split("\n").filter((l) => l.length > 0);
  const head = (lines[0] ?? "").split(",");
  return lines.slice(1).map((l) => {
    const cells = l.split(",");
    return Object.fromEntries(head.map((h, i) => [h, Number(cells[i])]));
  });
}

/**
 * Render the run's charts and write `summary.md`.
 * @param info lines describing the run (data, EHR groups, preset), printed at the top of the summary.
 * @returns the chart files written.
 */
export async function writeRunSummary(dir: string, title: string, info: readonly string[]): Promise<string[]> {
  const rows = readMetrics(dir);
  const files: string[] = [];
  const loss = rows.flatMap((r) => [
    { step: r.step!, value: r.loss!, series: "total" },
    { step: r.step!, value: r.ce!, series: "cross-entropy" },
    { step: r.step!, value: r.me_max!, series: "ME-MAX" },
  ]);
  files.push(...Object.values(await saveChart(lineChart(loss, { title: `${title}: MSN loss`, xTitle: "step", yTitle: "loss" }), join(dir, "loss"))));
  const maxLr = rows.reduce((m, x) => Math.max(m, x.lr!), 1e-12);
  const sched = rows.flatMap((r) => [
    { step: r.step!, value: r.lr! / maxLr, series: "lr (÷ max)" },
    { step: r.step!, value: r.momentum!, series: "EMA momentum" },
  ]);
  files.push(...Object.values(await saveChart(lineChart(sched, { title: `${title}: schedules`, xTitle: "step", yTitle: "value" }), join(dir, "schedules"))));
  const n = rows.length;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const k = Math.max(1, Math.min(10, Math.floor(n / 4)));
  const first = mean(rows.slice(0, k).map((r) => r.loss!));
  const last = mean(rows.slice(-k).map((r) => r.loss!));
  const ips = mean(rows.map((r) => r.images_per_second!));
  writeFileSync(
    join(dir, "summary.md"),
    [
      `# Pretraining run: ${title}`,
      "",
      ...info.map((l) => `- ${l}`),
      `- steps: ${n}; loss, mean of the first ${k} steps ${first.toFixed(4)} → last ${k} steps ${last.toFixed(4)}; ${ips.toFixed(1)} images/s (training step only)`,
      "",
      "Files: `config.json` (resolved config), `run.json` (command options), `metrics.csv` (per step: loss parts, lr, weight decay, momentum, grad norm, images/s), `checkpoint/` (atomic), `loss.svg`/`.png`, `schedules.svg`/`.png`.",
      "",
      "![loss](loss.svg)",
      "",
    ].join("\n"),
  );
  return files;
}
