/**
 * The interval every table shows by default is the official code's. Reference: nyuad-cai/CXR-EHR-MSN,
 * `src/models/utils.py`, function `computing_confidence_intervals` (called by `get_model_performance` on 1,000
 * `df.sample(frac=1, replace=True)` resamples). Its arithmetic, transcribed below as `officialCi` (not copied):
 * with θ̂ the full-test-set value and θ* the list of bootstrap values,
 *   δ = θ̂ − θ*  (elementwise),  lower = θ̂ − P97.5(δ),  upper = θ̂ − P2.5(δ),
 * where P is `np.percentile` with numpy's default "linear" method. Since P97.5(θ̂ − θ*) = θ̂ − P2.5(θ*), this is the
 * percentile interval [P2.5(θ*), P97.5(θ*)]; the project's "basic" interval is its reflection about θ̂.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../src/utils/rng.js";
import { rankColumn } from "../../src/eval/ranking.js";
import { bootstrapInterval, bootstrapMultilabel, drawCounts, prepare, weightedMetrics } from "../../src/eval/bootstrap.js";
import { DEFAULT_INTERVAL, evaluateMultilabel, pickInterval, type BootstrapCi } from "../../src/eval/metrics.js";
import { evaluationRows, formatWithCi } from "../../src/eval/results.js";
import { comparisonMarkdown, comparisonPoints, comparisonText, perLabelComparison, readProbeResult, writeProbeOutputs, writeStudyReport } from "../../app/study/report.js";

const TOL = 1e-12;
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= TOL, `${what}: ${a} vs ${b} (|Δ| = ${Math.abs(a - b)})`);

/** `np.percentile(a, q)` with numpy's default method "linear" (virtual index (n−1)·q/100, numpy's two-sided lerp). */
function npPercentile(a: readonly number[], q: number): number {
  const s = [...a].sort((x, y) => x - y);
  const virtual = (s.length - 1) * (q / 100);
  const prev = Math.floor(virtual);
  const next = Math.min(prev + 1, s.length - 1);
  const t = virtual - prev;
  const [lo, hi] = [s[prev]!, s[next]!];
  const diff = hi - lo;
  return t >= 0.5 ? hi - diff * (1 - t) : lo + diff * t;
}

/** The official `computing_confidence_intervals` arithmetic (95 %, no NaN handling: sklearn raises instead). */
function officialCi(samples: ArrayLike<number>, trueValue: number): { lower: number; upper: number } {
  const delta = Array.from(samples, (x) => trueValue - x);
  const deltaLower = npPercentile(delta, 97.5);
  const deltaUpper = npPercentile(delta, 2.5);
  return { lower: trueValue - deltaLower, upper: trueValue - deltaUpper };
}

/** Default interval = official; basic = official reflected about θ̂. */
function checkAgainstOfficial(ci: BootstrapCi, theta: number, samples: ArrayLike<number>, what: string): void {
  const o = officialCi(samples, theta);
  const shown = pickInterval(ci);
  close(shown.lo, o.lower, `${what} default lo`);
  close(shown.hi, o.upper, `${what} default hi`);
  close(ci.percentile.lo, o.lower, `${what} percentile lo`);
  close(ci.percentile.hi, o.upper, `${what} percentile hi`);
  close(ci.basic.lo, 2 * theta - o.upper, `${what} basic lo`);
  close(ci.basic.hi, 2 * theta - o.lower, `${what} basic hi`);
}

/** N×L labels (no missing) and scores; label l has prevalence 0.15 + 0.1·l and signal 0.6 + 0.5·l. */
function synthetic(n: number, L: number, seed: number) {
  const rng = new Rng(seed);
  const y = new Float64Array(n * L);
  const s = new Float64Array(n * L);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < L; l++) {
      const pos = rng.next() < 0.15 + 0.1 * l ? 1 : 0;
      y[i * L + l] = pos;
      s[i * L + l] = Math.round((rng.normal() + pos * (0.6 + 0.5 * l)) * 20) / 20; // rounded: ties too
    }
  }
  return { y, s };
}

test("numpy percentile transcription: hand-checked values", () => {
  // np.percentile([1, 2, 3, 4], [0, 2.5, 50, 97.5, 100]) = [1, 1.075, 2.5, 3.925, 4]
  const xs = [4, 1, 3, 2];
  close(npPercentile(xs, 0), 1, "P0");
  close(npPercentile(xs, 2.5), 1.075, "P2.5");
  close(npPercentile(xs, 50), 2.5, "P50");
  close(npPercentile(xs, 97.5), 3.925, "P97.5");
  close(npPercentile(xs, 100), 4, "P100");
});

test("the default interval is the official one; basic is its reflection (hand-made skewed replicates)", () => {
  assert.equal(DEFAULT_INTERVAL, "percentile");
  // θ̂ near the top of a skewed bootstrap distribution: the two intervals differ visibly.
  const theta = 0.9;
  const samples = Array.from({ length: 1000 }, (_, i) => 0.9 - 0.2 * ((i + 0.5) / 1000) ** 3 + 0.01 * ((i * 7919) % 13) / 13);
  const ci = bootstrapInterval(theta, samples, 0.95);
  assert.equal(ci.nValid, 1000);
  checkAgainstOfficial(ci, theta, samples, "skewed");
  assert.ok(ci.basic.lo - ci.percentile.lo > 0.01, "basic and percentile differ on a skewed distribution");
  // A shuffled copy of the replicates gives the same interval (order of the list does not matter).
  const shuffled = [...samples].reverse();
  checkAgainstOfficial(bootstrapInterval(theta, shuffled, 0.95), theta, shuffled, "reversed");
});

test("on the same bootstrap replicates the project's default interval equals the official one (per label and macro)", () => {
  const n = 400;
  const L = 4;
  const resamples = 1000;
  const seed = 24;
  const { y, s } = synthetic(n, L, 17);
  const rankings = Array.from({ length: L }, (_, l) => rankColumn(y, s, n, l, L));
  const names = ["a", "b", "c", "d"];
  const ev = evaluateMultilabel(y, s, L, names, { bootstrap: resamples, seed });
  assert.equal(ev.perLabel.length, L);

  // The replicates θ* of every label and of the macro mean, drawn exactly as bootstrapMultilabel draws them.
  const prepared = rankings.map((r) => prepare(r, n));
  const rng = new Rng(seed);
  const counts = new Int32Array(n);
  const out = new Float64Array(2);
  const auc = Array.from({ length: L }, () => new Float64Array(resamples));
  const ap = Array.from({ length: L }, () => new Float64Array(resamples));
  const macroAuc = new Float64Array(resamples);
  const macroAp = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    drawCounts(rng, counts);
    let sa = 0;
    let sp = 0;
    for (let l = 0; l < L; l++) {
      weightedMetrics(prepared[l]!, counts, n, out);
      auc[l]![b] = out[0]!;
      ap[l]![b] = out[1]!;
      sa += out[0]!;
      sp += out[1]!;
    }
    macroAuc[b] = sa / L; // sklearn's average="macro": the unweighted mean of the per-label values
    macroAp[b] = sp / L;
  }
  for (const x of [...auc, ...ap]) assert.ok(x.every(Number.isFinite), "both classes in every resample (the official code has no NaN path)");
  const boot = bootstrapMultilabel(rankings, n, {
    resamples,
    seed,
    level: 0.95,
    point: ev.perLabel.flatMap((p) => [p.auroc, p.auprc]),
    macroPoint: [ev.macroAuroc, ev.macroAuprc],
  });
  for (let b = 0; b < resamples; b++) close(boot.macroAurocSamples[b]!, macroAuc[b]!, `same replicate ${b}`);

  for (let l = 0; l < L; l++) {
    const p = ev.perLabel[l]!;
    assert.equal(p.aurocCi!.nValid, resamples);
    checkAgainstOfficial(p.aurocCi!, p.auroc, auc[l]!, `${p.label} AUROC`);
    checkAgainstOfficial(p.auprcCi!, p.auprc, ap[l]!, `${p.label} AUPRC`);
    assert.deepEqual(boot.perLabel[l]!.auroc, p.aurocCi);
  }
  checkAgainstOfficial(ev.macroAurocCi!, ev.macroAuroc, macroAuc, "macro AUROC");
  checkAgainstOfficial(ev.macroAuprcCi!, ev.macroAuprc, macroAp, "macro AUPRC");

  // What the tables print: results rows (main Lo/Hi columns), formatWithCi, the report's markdown/text/chart/per-label views.
  const official = officialCi(macroAuc, ev.macroAuroc);
  const rows = evaluationRows(ev, { method: "M", dataset: "mimic" });
  const macro = rows.find((r) => r.label === "macro")!;
  close(macro.aurocLo, official.lower, "results row Lo");
  close(macro.aurocHi, official.upper, "results row Hi");
  close(macro.aurocBasicLo, 2 * ev.macroAuroc - official.upper, "results row BasicLo");
  close(macro.aurocBasicHi, 2 * ev.macroAuroc - official.lower, "results row BasicHi");
  const printed = `${ev.macroAuroc.toFixed(3)} (${official.lower.toFixed(3)}, ${official.upper.toFixed(3)})`;
  assert.equal(formatWithCi(ev.macroAuroc, ev.macroAurocCi), printed);
  const results = [{ method: "M", dataset: "mimic", evaluation: ev }];
  assert.ok(comparisonMarkdown(results).includes(printed));
  assert.ok(comparisonText(results).includes(printed));
  const bar = comparisonPoints(results).find((x) => x.category === "macro")!;
  close(bar.lo, official.lower, "chart bar lo");
  close(bar.hi, official.upper, "chart bar hi");
  assert.equal(perLabelComparison(results).at(-1)!["M"], printed);

  // interval: "basic" selects the reflection everywhere.
  const basicPrinted = formatWithCi(ev.macroAuroc, ev.macroAurocCi, { interval: "basic" });
  assert.equal(basicPrinted, `${ev.macroAuroc.toFixed(3)} (${ev.macroAurocCi!.basic.lo.toFixed(3)}, ${ev.macroAurocCi!.basic.hi.toFixed(3)})`);
  assert.ok(comparisonMarkdown(results, { interval: "basic" }).includes(basicPrinted));
  assert.ok(comparisonText(results, { interval: "basic" }).includes(basicPrinted));
  const basicBar = comparisonPoints(results, { interval: "basic" }).find((x) => x.category === "macro")!;
  close(basicBar.lo, ev.macroAurocCi!.basic.lo, "basic chart bar lo");
  close(basicBar.hi, ev.macroAurocCi!.basic.hi, "basic chart bar hi");
  assert.equal(perLabelComparison(results, { interval: "basic" }).at(-1)!["M"], basicPrinted);
  assert.throws(() => comparisonPoints(results, { interval: "pivot" as never }), /interval must be "percentile" or "basic"/);
});

test("readProbeResult reads evaluation.json written before the rename (basic interval stored as \"pivot\")", () => {
  const { y, s } = synthetic(200, 2, 3);
  const ev = evaluateMultilabel(y, s, 2, ["a", "b"], { bootstrap: 50, seed: 1 });
  const strip = (c: BootstrapCi) => ({ pivot: c.basic, percentile: c.percentile, nValid: c.nValid });
  const old = {
    ...ev,
    macroAurocCi: strip(ev.macroAurocCi!),
    macroAuprcCi: strip(ev.macroAuprcCi!),
    perLabel: ev.perLabel.map((p) => ({ ...p, aurocCi: strip(p.aurocCi!), auprcCi: strip(p.auprcCi!) })),
  };
  const dir = mkdtempSync(join(tmpdir(), "old-probe-"));
  try {
    writeFileSync(join(dir, "evaluation.json"), JSON.stringify({ method: "M", dataset: "mimic", evaluation: old }));
    const back = readProbeResult(dir).evaluation;
    assert.deepEqual(back.macroAurocCi, ev.macroAurocCi);
    assert.deepEqual(back.perLabel[1]!.auprcCi, ev.perLabel[1]!.auprcCi);
    // And the current format reads back unchanged.
    writeFileSync(join(dir, "evaluation.json"), JSON.stringify({ method: "M", dataset: "mimic", evaluation: ev }));
    assert.deepEqual(readProbeResult(dir).evaluation, ev);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("report.md and summary.md print and name the percentile interval by default, the basic one on request", async () => {
  const { y, s } = synthetic(200, 2, 5);
  const ev = evaluateMultilabel(y, s, 2, ["a", "b"], { bootstrap: 100, seed: 2 });
  const r = { method: "M", dataset: "mimic", evaluation: ev };
  const pct = formatWithCi(ev.macroAuroc, ev.macroAurocCi);
  const basic = formatWithCi(ev.macroAuroc, ev.macroAurocCi, { interval: "basic" });
  assert.notEqual(pct, basic);
  const dir = mkdtempSync(join(tmpdir(), "report-ci-"));
  try {
    const a = await writeStudyReport(join(dir, "a"), [r], { title: "T" });
    const reportA = readFileSync(a.report, "utf8");
    assert.ok(reportA.includes(pct) && reportA.includes("percentile CIs (the official code's interval)"), reportA);
    const b = await writeStudyReport(join(dir, "b"), [r], { title: "T", interval: "basic" });
    const reportB = readFileSync(b.report, "utf8");
    assert.ok(reportB.includes(basic) && reportB.includes("basic CIs"), reportB);
    // comparison.csv holds both intervals whatever is shown.
    const header = readFileSync(b.comparisonCsv, "utf8").split("\n")[0]!;
    assert.match(header, /aurocLo,aurocHi,aurocBasicLo,aurocBasicHi/);
    const p = await writeProbeOutputs(join(dir, "p"), r);
    const summaryA = readFileSync(p.summary, "utf8");
    assert.ok(summaryA.includes(`Macro AUROC **${pct}**`) && summaryA.includes("percentile CIs (the official code's interval)"), summaryA);
    const q = await writeProbeOutputs(join(dir, "q"), r, { interval: "basic" });
    assert.ok(readFileSync(q.summary, "utf8").includes(`**${basic}**`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
