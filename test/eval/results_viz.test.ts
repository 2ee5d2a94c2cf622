import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { Rng } from "../../src/utils/rng.js";
import { evaluateMultilabel } from "../../src/eval/metrics.js";
import { evaluationRows, formatWithCi, resultsDataFrame, toCsv, writeResultsCsv, RESULT_COLUMNS } from "../../src/eval/results.js";
import { groupedComparisonChart, lineChart, perLabelChart } from "../../src/viz/charts.js";
import { renderSvg, saveChart } from "../../src/viz/render.js";

const LABELS = ["Atelectasis", "Cardiomegaly", "Fracture", "Edema"];

function evaluation() {
  const n = 300;
  const rng = new Rng(3);
  const y = new Float64Array(n * 4);
  const s = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < 4; l++) {
      const pos = l === 2 ? 0 : rng.next() < 0.3 ? 1 : 0; // "Fracture" has no positive: excluded
      y[i * 4 + l] = pos;
      s[i * 4 + l] = rng.normal() + pos * (1 + l * 0.5);
    }
  }
  return evaluateMultilabel(y, s, 4, LABELS, { bootstrap: 100, seed: 2 });
}

test("evaluationRows: one row per label (excluded flagged with reason) plus macro; CSV; format", () => {
  const ev = evaluation();
  const rows = evaluationRows(ev, { method: "MSN", dataset: "mimic", group: "demo" });
  assert.deepEqual(rows.map((r) => r.label), [...LABELS, "macro"]);
  const fracture = rows[2]!;
  assert.equal(fracture.excluded, true);
  assert.ok(Number.isNaN(fracture.auroc));
  assert.match(fracture.note, /excluded: only negative labels/);
  const macro = rows[4]!;
  assert.equal(macro.auroc, ev.macroAuroc);
  assert.equal(macro.aurocLo, ev.macroAurocCi!.percentile.lo);
  assert.equal(macro.aurocHi, ev.macroAurocCi!.percentile.hi);
  assert.equal(macro.aurocBasicLo, ev.macroAurocCi!.basic.lo);
  assert.equal(macro.auprcBasicHi, ev.macroAuprcCi!.basic.hi);
  assert.match(macro.note, /mean of 3 labels; excluded: Fracture/);
  const csv = toCsv(rows, RESULT_COLUMNS);
  const lines = csv.trim().split("\n");
  assert.equal(lines[0], RESULT_COLUMNS.join(","));
  assert.equal(lines.length, 6);
  assert.match(lines[3]!, /^MSN,mimic,demo,Fracture,,,,,,,,,,,0,300,true,"excluded: only negative labels in the evaluated set \(nPos=0, nNeg=300, missing=0\); AUROC undefined"$/);
  assert.equal(toCsv([{ a: 'x"y', b: NaN }]), 'a,b\n"x""y",\n');
  const basic = { lo: 0.8263, hi: 0.8561 };
  const ci = { percentile: { lo: 0.8361, hi: 0.8659 }, basic, nValid: 1 };
  assert.equal(formatWithCi(0.84612, ci), "0.846 (0.836, 0.866)");
  assert.equal(formatWithCi(0.84612, ci, { interval: "percentile" }), "0.846 (0.836, 0.866)");
  assert.equal(formatWithCi(0.84612, ci, { interval: "basic" }), "0.846 (0.826, 0.856)");
  assert.equal(formatWithCi(0.84612, ci, { digits: 2, interval: "basic" }), "0.85 (0.83, 0.86)");
  assert.equal(formatWithCi(0.84612, ci, 2), "0.85 (0.84, 0.87)");
  assert.throws(() => formatWithCi(0.84612, ci, { interval: "pivot" as never }), /interval must be "percentile" or "basic", got "pivot" \("pivot" is now called "basic"/);
});

test("results DataFrame (danfojs-node) and CSV file", async () => {
  const rows = evaluationRows(evaluation(), { method: "MSN", dataset: "mimic" });
  const df = await resultsDataFrame(rows);
  assert.deepEqual(df.shape, [5, RESULT_COLUMNS.length]);
  assert.deepEqual(df.columns, [...RESULT_COLUMNS]);
  const dir = mkdtempSync(join(tmpdir(), "results-"));
  try {
    const p = join(dir, "sub", "mimic.csv");
    writeResultsCsv(rows, p);
    assert.equal(readFileSync(p, "utf8"), toCsv(rows, RESULT_COLUMNS));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("charts render to SVG and PNG with the expected marks and labels", async () => {
  const rows = evaluationRows(evaluation(), { method: "MSN", dataset: "mimic" });
  const dir = process.env.EVAL_CHART_DIR ?? mkdtempSync(join(tmpdir(), "charts-"));
  try {
    const spec = perLabelChart(rows, { title: "MIMIC test AUROC" });
    const files = await saveChart(spec, join(dir, "per_label_auroc"));
    const svg = readFileSync(files.svg!, "utf8");
    assert.match(svg, /^<svg/);
    assert.match(svg, /MIMIC test AUROC/);
    assert.match(svg, /excluded \(one class\): Fracture/);
    for (const l of ["Atelectasis", "Cardiomegaly", "Edema"]) assert.ok(svg.includes(l), l);
    assert.ok(!/>Fracture</.test(svg), "excluded label must not get a bar");
    assert.equal((svg.match(/role-mark/g) ?? []).length >= 3, true); // bars, error rules, macro rule
    assert.match(svg, /class="mark-rect role-mark/);
    assert.match(svg, /class="mark-rule role-mark/);
    const meta = await sharp(readFileSync(files.png!)).metadata();
    assert.equal(meta.format, "png");
    assert.ok(meta.width! > 800 && meta.height! > 400, `${meta.width}x${meta.height}`);
    assert.ok(existsSync(files.json!));

    const cmp = groupedComparisonChart(
      [
        { category: "mimic", series: "MSN", value: 0.75, lo: 0.74, hi: 0.76 },
        { category: "mimic", series: "MSN+EHR", value: 0.77, lo: 0.76, hi: 0.78 },
        { category: "chexpert", series: "MSN", value: 0.82 },
        { category: "chexpert", series: "MSN+EHR", value: 0.85 },
      ],
      { title: "Methods side by side", seriesTitle: "method" },
    );
    const f2 = await saveChart(cmp, join(dir, "comparison"), ["svg", "png"]);
    const svg2 = readFileSync(f2.svg!, "utf8");
    for (const t of ["Methods side by side", "MSN+EHR", "chexpert", "mimic"]) assert.ok(svg2.includes(t), t);
    assert.equal((svg2.match(/<path[^>]*aria-roledescription="bar"/g) ?? []).length, 4);

    const curve = lineChart(
      Array.from({ length: 20 }, (_, i) => [
        { step: i, value: 1 / (i + 1), series: "train BCE" },
        { step: i, value: 1.2 / (i + 1), series: "val BCE" },
      ]).flat(),
      { title: "Probe loss", xTitle: "epoch" },
    );
    const svg3 = await renderSvg(curve);
    assert.match(svg3, /class="mark-line role-mark/);
    for (const t of ["Probe loss", "epoch", "train BCE", "val BCE"]) assert.ok(svg3.includes(t), t);
    assert.throws(() => lineChart([], { logy: true } as never), /unknown option "logy"; valid options: title, width, height, xTitle, yTitle, logY/);
  } finally {
    if (!process.env.EVAL_CHART_DIR) rmSync(dir, { recursive: true, force: true });
  }
});
