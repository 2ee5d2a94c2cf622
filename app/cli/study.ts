/**
 * `mmsn study` (what `npm start` runs) and `mmsn ablate`: the end-to-end comparisons on a cohort.
 *   study   for each of --seeds seeds: random-init baseline, vanilla MSN and multimodal MSN (the chosen EHR
 *           groups), every pretraining run monitored, its --curve checkpoints kept → probe each → report with
 *           mean ± sd over seeds, paired tests and the learning curve; the multimodal target encoder of the
 *           first seed is exported for the browser to RUN/web
 *   ablate  vanilla MSN and every EHR group combination (each group, each pair, all three) → probe each → report
 * Each run lives in its own directory under --out (study: --out/seed-S/METHOD); the report (report.md,
 * comparison.csv/.svg/.png, learning_curve.svg/.png) is written at the top of --out. Re-running with --resume
 * continues unfinished pretraining runs.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkImageFiles, writeSyntheticCohort, type CxrDataset } from "../../data-loaders/index.js";
import type { EhrGroup } from "../../data-loaders/index.js";
import { ehrCombinations, methodName } from "../study/ehr_groups.js";
import { comparisonMarkdown, comparisonText, writeStudyReport, type MethodResult } from "../study/report.js";
import { learningCurveChart, learningCurveText, pairedTestNote, READOUT_TITLE, seedFindings, seedSummary, seedSummaryMarkdown, seedSummaryText, type CurveProbe, type SeedRun, type SeedSummary } from "../study/seeds.js";
import { keptCheckpoint } from "../../src/train/run.js";
import { saveChart } from "../../src/viz/render.js";
import { formatDuration } from "../../src/utils/progress.js";
import { monitorChart, monitorSentence, runMonitorReadings } from "../study/run_summary.js";
import type { MonitorRow } from "../../src/train/monitor.js";
import { COHORT_LAYOUT } from "../data.js";
import { exportCommand } from "./export.js";
import { pretrainInputs, pretrainMonitorSets, pretrainOnDataset, type PretrainMonitorSets } from "./pretrain.js";
import { DEFAULT_MAX_SKIP_FRACTION, assertSkipFraction } from "../skips.js";
import { msnConfig, type Precision } from "../../src/config/msn.js";
import { describeRun, existingRun } from "../../src/io/run_dir.js";
import { protocolHeader, resolvedProtocol, type ResolvedProtocol } from "../study/protocol.js";
import { Interrupted } from "./interrupted.js";
import { probeCommand, type ProbeCommandResult } from "./probe.js";

/** Options of {@link runStudy} and {@link runAblation}. */
export interface StudyOptions {
  /** Cohort directory; the default synthetic cohort is generated there when it holds no MIMIC-CXR. */
  readonly data: string;
  readonly out: string;
  readonly preset: string;
  /** Pretraining steps of every pretrained method. */
  readonly steps: number;
  readonly batchSize?: number;
  /** EHR groups of the multimodal method (study only). */
  readonly ehr: readonly EhrGroup[];
  readonly probeEpochs: number;
  readonly bootstrap: number;
  readonly checkpointEvery: number;
  readonly resume: boolean;
  /** Replace the runs already in `out` (default: refuse unless `resume`). */
  readonly overwrite?: boolean;
  /** See `mmsn pretrain --max-skip-fraction` (default 0.05). */
  readonly maxSkipFraction?: number;
  /** Follow symlinks out of the dataset root (default: skipped and counted). */
  readonly allowSymlinks?: boolean;
  /** The protocol (default `fast`); the report header lists its differences from the official code. */
  readonly protocol?: ResolvedProtocol;
  /** MIMIC images of a generated cohort (default: the generator's default, 600). */
  readonly synthImages?: number;
  readonly progress?: boolean;
  /** Pretraining seeds (study only): the preset's seed and the next `seeds − 1` integers. Default 1. */
  readonly seeds?: number;
  /** Steps at which the study also probes each pretraining run (the learning curve); the final step is always probed. */
  readonly curve?: readonly number[];
  /** Monitor readings every this many steps (0 = off; default 0). */
  readonly monitorEvery?: number;
  /** Validation images the monitors read (default 128). */
  readonly monitorImages?: number;
  /** GEMM precision of every pretraining run (config.precision; default "fp32"); the probes are fp32. */
  readonly precision?: Precision;
}

/** Generate the synthetic cohort in `dir` unless it already holds MIMIC-CXR. */
export async function ensureCohort(dir: string, images?: number): Promise<boolean> {
  if (existsSync(join(dir, COHORT_LAYOUT.mimicCxr))) return false;
  console.log(`no cohort in ${dir}: generating the synthetic cohort (mmsn synth ${dir}${images ? ` --images ${images}` : ""}) …`);
  const r = await writeSyntheticCohort(dir, images ? { images } : {});
  console.log(`synthetic cohort written in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return true;
}

const clock = () => performance.now() / 1000;

/**
 * Before any work: the study's run directories under `o.out` are new, or `--resume` / `--overwrite` says what
 * to do with the runs already there (never replaced silently, never found out after the first method ran).
 * @throws Error naming the runs found and the three ways on.
 */
function assertStudyRuns(o: StudyOptions, dirNames: readonly string[]): void {
  if (o.resume && o.overwrite) throw new Error(`${o.out}: --resume (continue the runs) and --overwrite (replace them) contradict each other; give one of them`);
  if (o.resume || o.overwrite) return;
  const found = dirNames.flatMap((d) => {
    const r = existingRun(join(o.out, d));
    return r ? [`${d}: ${describeRun(r)}`] : [];
  });
  if (found.length > 0) {
    throw new Error(`${o.out} already holds runs of a study (${found.join("; ")}); continue them with --resume, replace them with --overwrite (npm start -- --overwrite), or choose another --out`);
  }
}

/**
 * Before the first run: every method's pretraining inputs (the table, the image files, each EHR group set's
 * tables) and the probe's image files pass `--max-skip-fraction`, so a study never stops halfway on its data.
 * @returns MIMIC-CXR as loaded (the monitor sets are drawn from it).
 * @throws Error naming the file and the fix, as the run that would have failed.
 */
function checkStudyInputs(o: StudyOptions, groupSets: readonly (readonly EhrGroup[])[]): CxrDataset {
  const common = { data: o.data, maxSkipFraction: o.maxSkipFraction, allowSymlinks: o.allowSymlinks, protocol: o.protocol };
  const { all } = pretrainInputs({ ...common, ehr: [] });
  assertSkipFraction(checkImageFiles(all).report, o.maxSkipFraction ?? DEFAULT_MAX_SKIP_FRACTION); // what the probes read
  for (const ehr of groupSets) if (ehr.length > 0) pretrainInputs({ ...common, ehr });
  return all;
}

/** The monitor sets of every pretraining run of a study, built once (undefined when the monitors are off). */
async function studyMonitorSets(o: StudyOptions, all: CxrDataset): Promise<PretrainMonitorSets | undefined> {
  return (o.monitorEvery ?? 0) > 0 ? pretrainMonitorSets(all, msnConfig(o.preset), o.monitorImages) : undefined;
}

/** The probe of a checkpoint (or of the random init of `seed`) on MIMIC, with the study's settings. */
function probeOf(o: StudyOptions, out: string, extra: { readonly checkpoint?: string; readonly method?: string; readonly seed?: number }): Promise<ProbeCommandResult> {
  return probeCommand({ data: o.data, dataset: "mimic", preset: o.preset, out, maxEpochs: o.probeEpochs, bootstrap: o.bootstrap, maxSkipFraction: o.maxSkipFraction, allowSymlinks: o.allowSymlinks, protocol: o.protocol, progress: o.progress, ...extra });
}

/** Pretrain one method (keeping its learning-curve checkpoints), then probe its final and curve checkpoints. */
async function pretrainAndProbe(o: StudyOptions, groups: readonly EhrGroup[], run: string, timings: string[], links: Record<string, string>, seed?: number, monitorSets?: PretrainMonitorSets): Promise<{ result: ProbeCommandResult; curve: CurveProbe[] }> {
  const method = methodName(groups);
  const keep = (o.curve ?? []).filter((k) => k > 0 && k < o.steps);
  const t0 = clock();
  const pre = await pretrainOnDataset({ data: o.data, ehr: groups, out: run, preset: o.preset, steps: o.steps, batchSize: o.batchSize, checkpointEvery: o.checkpointEvery, resume: o.resume, overwrite: o.overwrite, maxSkipFraction: o.maxSkipFraction, allowSymlinks: o.allowSymlinks, protocol: o.protocol, progress: o.progress, seed, monitorEvery: o.monitorEvery, monitorImages: o.monitorImages, ...(monitorSets ? { monitorSets } : {}), keepSteps: keep, ...(o.precision ? { precision: o.precision } : {}) });
  if (pre.signal) throw new Interrupted(pre.signal);
  const t1 = clock();
  const result = await probeOf(o, join(run, "probe-mimic"), { checkpoint: join(run, "checkpoint"), method });
  const curve: CurveProbe[] = [];
  for (const k of keep) {
    const p = await probeOf(o, join(run, `probe-mimic-step-${k}`), { checkpoint: keptCheckpoint(run, k), method });
    curve.push({ method, steps: k, test: p.test, ...(p.knn ? { knn: p.knn } : {}) });
  }
  timings.push(`${method}${seed !== undefined ? ` (seed ${seed})` : ""}: pretraining ${(t1 - t0).toFixed(0)} s (${o.steps} steps), features + probe ${(clock() - t1).toFixed(0)} s${keep.length ? ` (${keep.length + 1} checkpoints)` : ""}`);
  links[`${method}${seed !== undefined ? ` (seed ${seed})` : ""}`] = run;
  return { result, curve };
}

async function finish(
  o: StudyOptions,
  title: string,
  results: MethodResult[],
  timings: string[],
  links: Record<string, string>,
  t0: number,
  seeded?: {
    readonly summaries: readonly SeedSummary[];
    readonly perSeed: readonly { readonly seed: number; readonly results: readonly MethodResult[] }[];
    /** One sentence per pretraining run on its monitors, and the first seed's readings (charted as monitors.svg). */
    readonly monitors: { readonly lines: readonly string[]; readonly first: readonly (MonitorRow & { readonly series: string })[] };
  },
): Promise<{ results: MethodResult[]; seconds: number; report: string; summaries?: readonly SeedSummary[] }> {
  const seconds = clock() - t0;
  const interval = (o.protocol ?? resolvedProtocol("fast")).settings.interval;
  const summaries = seeded?.summaries ?? [];
  const curveFile = summaries.some((s) => s.curve.length > 0) ? await saveChart(learningCurveChart(summaries, title), join(o.out, "learning_curve")) : undefined;
  const mon = seeded?.monitors;
  const monitorFile = mon && mon.first.length > 0 ? await saveChart(monitorChart(mon.first, `${title} (seed ${seeded!.perSeed[0]!.seed})`), join(o.out, "monitors")) : undefined;
  const heading = (s: SeedSummary) => `${READOUT_TITLE[s.readout]} on frozen target-encoder features, ${s.seeds.length} seed${s.seeds.length === 1 ? "" : "s"}, MIMIC-CXR test (${s.n} images)`;
  const files = await writeStudyReport(o.out, results, {
    interval,
    title,
    links,
    ...(seeded
      ? {
          sections: [
            ...summaries.flatMap((s) => [`## ${heading(s)}`, "", seedSummaryMarkdown(s), "", ...seedFindings(s).map((f) => `- ${f}`), ""]),
            ...(curveFile ? ["## Learning curve", "", ...summaries.flatMap((s) => [`${READOUT_TITLE[s.readout]}:`, "", "```", learningCurveText(s), "```", ""]), "![learning curve](learning_curve.svg)", ""] : []),
            ...(mon && mon.lines.length > 0 ? ["## Pretraining monitors (validation images)", "", ...mon.lines.map((l) => `- ${l}`), "", ...(monitorFile ? ["![monitors](monitors.svg)", ""] : [])] : []),
            ...seeded.perSeed.flatMap((p) => [`## Seed ${p.seed}, linear probe`, "", comparisonMarkdown(p.results, { interval }), ""]),
            `The chart below: per-label AUROC of seed ${seeded.perSeed[0]!.seed}.`,
          ],
        }
      : {}),
    notes: [
      ...protocolHeader(o.protocol ?? resolvedProtocol("fast"), { steps: o.steps, batchSize: o.batchSize ?? msnConfig(o.preset).batchSize, probeEpochs: o.probeEpochs, bootstrap: o.bootstrap }),
      `cohort: ${resolve(o.data)}; preset ${o.preset}; ${o.steps} pretraining steps per method; linear probe ≤ ${o.probeEpochs} epochs (early stopping, patience 5); ${o.bootstrap} bootstrap resamples`,
      ...timings,
      `total wall time ${seconds.toFixed(0)} s`,
    ],
  });
  if (summaries.length > 0) {
    for (const s of summaries) {
      console.log(`\n${title}: ${heading(s)}\n\n${seedSummaryText(s)}\n`);
      if (s.curve.length > 0) console.log(`learning curve (seed-averaged macro AUROC, 95% CI):\n${learningCurveText(s)}\n`);
      for (const f of seedFindings(s)) console.log(`- ${f.replaceAll("**", "")}`);
    }
    console.log(`\n${pairedTestNote(summaries[0]!)}\n`);
    if (mon && mon.lines.length > 0) console.log(`pretraining monitors (validation images):\n${mon.lines.map((l) => `- ${l}`).join("\n")}\n`);
  } else {
    console.log(`\n${title}: MIMIC-CXR test, linear probe on frozen target-encoder features\n\n${comparisonText(results, { interval })}\n`);
  }
  console.log(`report: ${files.report} (comparison.csv, comparison.svg/.png${curveFile ? ", learning_curve.svg/.png" : ""}${monitorFile ? ", monitors.svg/.png" : ""}); ${seconds.toFixed(0)} s in all`);
  return { results, seconds, report: files.report, ...(seeded ? { summaries } : {}) };
}

/**
 * The study: for each seed, random-init baseline, vanilla MSN and multimodal MSN, each probed on MIMIC test
 * (and at the --curve steps); the report compares them over seeds with paired tests.
 * @returns the first seed's method results, the seeded summary, total seconds and the report path.
 */
export async function runStudy(o: StudyOptions): Promise<{ results: MethodResult[]; seconds: number; report: string; summaries?: readonly SeedSummary[] }> {
  const t0 = clock();
  const last = o.ehr.length > 0 ? `msn-ehr-${o.ehr.join("-")}` : "msn";
  const base = msnConfig(o.preset).seed;
  const seeds = Array.from({ length: o.seeds ?? 1 }, (_, i) => base + i);
  assertStudyRuns(o, seeds.flatMap((sd) => [`seed-${sd}/msn`, `seed-${sd}/${last}`]));
  await ensureCohort(o.data, o.synthImages);
  const sets = await studyMonitorSets(o, checkStudyInputs(o, [[], o.ehr]));
  const timings: string[] = [];
  const links: Record<string, string> = {};
  const runs: SeedRun[] = [];
  const perSeed: { seed: number; results: MethodResult[] }[] = [];
  const tSeeds = clock();
  for (const seed of seeds) {
    const dir = join(o.out, `seed-${seed}`);
    const done = runs.length;
    const eta = done > 0 ? `, about ${formatDuration(((clock() - tSeeds) / done) * (seeds.length - done))} left` : "";
    console.log(`\n== seed ${seed} (${done + 1} of ${seeds.length}${eta}) ==`);
    const tr = clock();
    const random = await probeOf(o, join(dir, "random-init", "probe-mimic"), { seed });
    timings.push(`random init (seed ${seed}): features + probe ${(clock() - tr).toFixed(0)} s`);
    links[`random init (seed ${seed})`] = join(dir, "random-init");
    const msn = await pretrainAndProbe(o, [], join(dir, "msn"), timings, links, seed, sets);
    const ehr = o.ehr.length > 0 ? await pretrainAndProbe(o, o.ehr, join(dir, last), timings, links, seed, sets) : undefined;
    const results = [random, msn.result, ...(ehr ? [ehr.result] : [])];
    perSeed.push({ seed, results });
    runs.push({ seed, results: results.map((r) => ({ method: r.method, test: r.test, ...(r.knn ? { knn: r.knn } : {}) })), curve: [...msn.curve, ...(ehr?.curve ?? [])] });
  }
  // The last method's target encoder of the first seed, ready for the browser (tfjs model.json + weights + mmsn_encoder.js).
  await exportCommand(join(o.out, `seed-${seeds[0]}`, last, "checkpoint"), join(o.out, `seed-${seeds[0]}`, last, "web"));
  const resamples = Math.max(o.bootstrap, 200);
  const withKnn = runs.every((r) => [...r.results, ...r.curve].every((x) => x.knn));
  const summaries = (withKnn ? (["probe", "knn"] as const) : (["probe"] as const)).map((readout) => seedSummary(runs, o.steps, { resamples, readout }));
  const monitors = { lines: [] as string[], first: [] as (MonitorRow & { series: string })[] };
  for (const seed of seeds) {
    for (const [dirName, method] of [["msn", methodName([])], ...(o.ehr.length > 0 ? [[last, methodName(o.ehr)]] : [])] as const) {
      const readings = runMonitorReadings(join(o.out, `seed-${seed}`, dirName));
      if (readings.length === 0) continue;
      monitors.lines.push(`${method} (seed ${seed}): ${monitorSentence(readings)}`);
      if (seed === seeds[0]) monitors.first.push(...readings.map((r) => ({ ...r, series: method })));
    }
  }
  return finish(o, "Multimodal MSN study", perSeed[0]!.results, timings, links, t0, { summaries, perSeed, monitors });
}

/**
 * The EHR ablation: vanilla MSN, each EHR group, each pair and all groups; probe each on MIMIC test; report.
 */
export async function runAblation(o: StudyOptions): Promise<{ results: MethodResult[]; seconds: number; report: string }> {
  const t0 = clock();
  assertStudyRuns(o, ["msn", ...ehrCombinations().map((g) => `msn-ehr-${g.join("-")}`)]);
  await ensureCohort(o.data, o.synthImages);
  const sets = await studyMonitorSets(o, checkStudyInputs(o, [[], ...ehrCombinations()]));
  const timings: string[] = [];
  const links: Record<string, string> = {};
  const results: MethodResult[] = [(await pretrainAndProbe(o, [], join(o.out, "msn"), timings, links, undefined, sets)).result];
  for (const g of ehrCombinations()) results.push((await pretrainAndProbe(o, g, join(o.out, `msn-ehr-${g.join("-")}`), timings, links, undefined, sets)).result);
  return finish(o, "EHR group ablation", results, timings, links, t0);
}
