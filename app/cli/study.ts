/**
 * `mmsn study` (what `npm start` runs) and `mmsn ablate`: the end-to-end comparisons on a cohort.
 *   study   random-init baseline, vanilla MSN and multimodal MSN (the chosen EHR groups) → probe each → report;
 *           the multimodal target encoder is exported for the browser to RUN/web
 *   ablate  vanilla MSN and every EHR group combination (each group, each pair, all three) → probe each → report
 * Each run lives in its own directory under --out; the report (report.md, comparison.csv/.svg/.png) is
 * written at the top of --out. Re-running with --resume continues unfinished pretraining runs.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeSyntheticCohort } from "../../data-loaders/index.js";
import type { EhrGroup } from "../../data-loaders/index.js";
import { ehrCombinations, methodName } from "../study/ehr_groups.js";
import { comparisonText, writeStudyReport, type MethodResult } from "../study/report.js";
import { COHORT_LAYOUT } from "../data.js";
import { exportCommand } from "./export.js";
import { pretrainOnDataset } from "./pretrain.js";
import { msnConfig } from "../../src/config/msn.js";
import { describeRun, existingRun } from "../../src/io/run_dir.js";
import { protocolHeader, resolvedProtocol, type ResolvedProtocol } from "../study/protocol.js";
import { Interrupted } from "./interrupted.js";
import { probeCommand } from "./probe.js";

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

async function pretrainAndProbe(o: StudyOptions, groups: readonly EhrGroup[], dirName: string, timings: string[], links: Record<string, string>): Promise<MethodResult> {
  const method = methodName(groups);
  const run = join(o.out, dirName);
  const t0 = clock();
  const pre = await pretrainOnDataset({ data: o.data, ehr: groups, out: run, preset: o.preset, steps: o.steps, batchSize: o.batchSize, checkpointEvery: o.checkpointEvery, resume: o.resume, overwrite: o.overwrite, maxSkipFraction: o.maxSkipFraction, allowSymlinks: o.allowSymlinks, protocol: o.protocol, progress: o.progress });
  if (pre.signal) throw new Interrupted(pre.signal);
  const t1 = clock();
  const r = await probeCommand({ data: o.data, dataset: "mimic", checkpoint: join(run, "checkpoint"), preset: o.preset, out: join(run, "probe-mimic"), method, maxEpochs: o.probeEpochs, bootstrap: o.bootstrap, maxSkipFraction: o.maxSkipFraction, allowSymlinks: o.allowSymlinks, protocol: o.protocol, progress: o.progress });
  timings.push(`${method}: pretraining ${(t1 - t0).toFixed(0)} s (${o.steps} steps), features + probe ${(clock() - t1).toFixed(0)} s`);
  links[method] = run;
  return r;
}

async function finish(o: StudyOptions, title: string, results: MethodResult[], timings: string[], links: Record<string, string>, t0: number): Promise<{ results: MethodResult[]; seconds: number; report: string }> {
  const seconds = clock() - t0;
  const interval = (o.protocol ?? resolvedProtocol("fast")).settings.interval;
  const files = await writeStudyReport(o.out, results, {
    interval,
    title,
    links,
    notes: [
      ...protocolHeader(o.protocol ?? resolvedProtocol("fast"), { steps: o.steps, batchSize: o.batchSize ?? msnConfig(o.preset).batchSize, probeEpochs: o.probeEpochs, bootstrap: o.bootstrap }),
      `cohort: ${resolve(o.data)}; preset ${o.preset}; ${o.steps} pretraining steps per method; linear probe ≤ ${o.probeEpochs} epochs (early stopping, patience 5); ${o.bootstrap} bootstrap resamples`,
      ...timings,
      `total wall time ${seconds.toFixed(0)} s`,
    ],
  });
  console.log(`\n${title}: MIMIC-CXR test, linear probe on frozen target-encoder features\n\n${comparisonText(results, { interval })}\n`);
  console.log(`report: ${files.report} (comparison.csv, comparison.svg/.png); ${seconds.toFixed(0)} s in all`);
  return { results, seconds, report: files.report };
}

/**
 * The study: random-init baseline, vanilla MSN, multimodal MSN; probe each on MIMIC test; report.
 * @returns the method results, total seconds and the report path.
 */
export async function runStudy(o: StudyOptions): Promise<{ results: MethodResult[]; seconds: number; report: string }> {
  const t0 = clock();
  const last = o.ehr.length > 0 ? `msn-ehr-${o.ehr.join("-")}` : "msn";
  assertStudyRuns(o, ["msn", last]);
  await ensureCohort(o.data, o.synthImages);
  const timings: string[] = [];
  const links: Record<string, string> = {};
  const results: MethodResult[] = [];
  const tr = clock();
  results.push(await probeCommand({ data: o.data, dataset: "mimic", preset: o.preset, out: join(o.out, "random-init", "probe-mimic"), maxEpochs: o.probeEpochs, bootstrap: o.bootstrap, maxSkipFraction: o.maxSkipFraction, allowSymlinks: o.allowSymlinks, protocol: o.protocol, progress: o.progress }));
  timings.push(`random init: features + probe ${(clock() - tr).toFixed(0)} s`);
  links["random init"] = join(o.out, "random-init");
  results.push(await pretrainAndProbe(o, [], "msn", timings, links));
  if (o.ehr.length > 0) results.push(await pretrainAndProbe(o, o.ehr, last, timings, links));
  // The last method's target encoder, ready for the browser (tfjs model.json + weights + mmsn_encoder.js).
  await exportCommand(join(o.out, last, "checkpoint"), join(o.out, last, "web"));
  return finish(o, "Multimodal MSN study", results, timings, links, t0);
}

/**
 * The EHR ablation: vanilla MSN, each EHR group, each pair and all groups; probe each on MIMIC test; report.
 */
export async function runAblation(o: StudyOptions): Promise<{ results: MethodResult[]; seconds: number; report: string }> {
  const t0 = clock();
  assertStudyRuns(o, ["msn", ...ehrCombinations().map((g) => `msn-ehr-${g.join("-")}`)]);
  await ensureCohort(o.data, o.synthImages);
  const timings: string[] = [];
  const links: Record<string, string> = {};
  const results: MethodResult[] = [await pretrainAndProbe(o, [], "msn", timings, links)];
  for (const g of ehrCombinations()) results.push(await pretrainAndProbe(o, g, `msn-ehr-${g.join("-")}`, timings, links));
  return finish(o, "EHR group ablation", results, timings, links, t0);
}
