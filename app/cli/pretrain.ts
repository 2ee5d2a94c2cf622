/**
 * `mmsn pretrain --data DIR`: MSN / multimodal MSN pretraining on MIMIC-CXR (train split) with the MIMIC-IV
 * EHR groups fused into the anchor branch, in a checkpointed run directory (`trainRun`).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../src/utils/atomic.js";
import { join, resolve } from "node:path";
import { msnConfig, type MsnConfig, type Precision } from "../../src/config/msn.js";
import { assertPrecisionSupported } from "../../src/backend/precision.js";
import { checkPreset } from "./args.js";
import type { StepResult } from "../../src/msn/multimodal_msn.js";
import type { EhrGroup } from "../../data-loaders/index.js";
import { methodName } from "../study/ehr_groups.js";
import { writeRunSummary } from "../study/run_summary.js";
import { protocolHeader, resolvedProtocol, type ResolvedProtocol } from "../study/protocol.js";
import { trainRun } from "../../src/train/run.js";
import { modelMonitor } from "../../src/eval/model_monitor.js";
import type { TrainMonitor } from "../../src/train/monitor.js";
import { scheduleStepsPerEpoch, stepsPerEpoch } from "../../src/train/steps.js";
import { checkImageFiles, selectSplit } from "../../data-loaders/index.js";
import type { BatchStream, CxrDataset, LoadReport } from "../../data-loaders/index.js";
import type { MsnBatch } from "../../src/types/batch.js";
import { cachedSource, cohortEhr, loadDataset, monitorImages, pretrainBatches, type MonitorImageSet } from "../data.js";
import { DEFAULT_MAX_SKIP_FRACTION, assertSkipFraction, missingCounts, skipCounts, printSkipSummary, skipNote, writeSkips, type SkipCounts } from "../skips.js";

/** Options of {@link pretrainOnDataset}. */
export interface DatasetPretrainOptions {
  /** Cohort directory (`mmsn synth` layout). */
  readonly data: string;
  /** EHR groups fused into the anchor branch; [] = vanilla MSN. */
  readonly ehr: readonly EhrGroup[];
  /** Run directory. */
  readonly out: string;
  readonly preset: string;
  readonly steps: number;
  /** Default: the preset's batch size. */
  readonly batchSize?: number;
  readonly checkpointEvery: number;
  readonly resume: boolean;
  /** Replace a run already in `out` (default: refuse, naming --resume and --overwrite). */
  readonly overwrite?: boolean;
  readonly progress?: boolean;
  /** Image cache from `mmsn prepare` (read instead of the JPEGs). */
  readonly cache?: string;
  /** Stop before training when a load skipped more than this share of its rows/images (default 0.05). */
  readonly maxSkipFraction?: number;
  /** Follow symlinks out of the dataset root (default: skipped and counted). */
  readonly allowSymlinks?: boolean;
  /** The protocol (default `fast`): its settings choose the images, the EHR imputation and the init. */
  readonly protocol?: ResolvedProtocol;
  /** Seed of the model's initial weights, masks and batch order (default: the preset's). */
  readonly seed?: number;
  /** GEMM precision of the training steps (config.precision; default "fp32"). */
  readonly precision?: Precision;
  /** Read the monitors every this many steps (and at the last step) into metrics.csv; 0 = off (default 0). */
  readonly monitorEvery?: number;
  /** Validation images the monitors read (k-NN queries, collapse diagnostics); the k-NN bank is twice as many train images. Default 128. */
  readonly monitorImages?: number;
  /** Monitor sets built once for several runs (the study's), instead of `pretrainMonitorSets` per run. */
  readonly monitorSets?: PretrainMonitorSets;
  /** Steps whose checkpoints are kept in `out/checkpoints/step-N` (a learning curve probes them). */
  readonly keepSteps?: readonly number[];
}

/** What a dataset-backed run returns (the model is disposed). */
export interface DatasetPretrainResult {
  readonly dir: string;
  readonly method: string;
  readonly results: readonly StepResult[];
  readonly startStep: number;
  readonly interrupted: boolean;
  /** The signal that interrupted the run (the CLI exits 130 / 143). */
  readonly signal?: "SIGINT" | "SIGTERM";
  readonly seconds: number;
  readonly trainImages: number;
  readonly ehrColumns: readonly string[];
  /** Skip counts of every input (dataset table, EHR tables, images), as in run.json and skips.csv. */
  readonly skipped: SkipCounts;
}

/** What a pretraining run reads, checked: the whole table, the pretraining images and their EHR rows. */
export interface PretrainInputs {
  /** MIMIC-CXR with its split (the monitors' validation images come from it). */
  readonly all: CxrDataset;
  /** The pretraining images: readable files, linked to EHR rows when groups are given. */
  readonly train: CxrDataset;
  readonly ehr?: { readonly matrix: Float32Array; readonly dim: number };
  readonly columns: readonly string[];
  /** The skip reports of the table, the image-file check and the EHR tables. */
  readonly reports: LoadReport[];
}

/**
 * Load and check what a pretraining run of `o` reads, before any work: the dataset table, the image files of the
 * pretraining images (not with a cache, which records its own failures) and the EHR tables of `o.ehr`.
 * @throws Error naming the file and the fix when a load skips more than `o.maxSkipFraction`.
 */
export function pretrainInputs(o: Pick<DatasetPretrainOptions, "data" | "ehr" | "cache" | "maxSkipFraction" | "allowSymlinks" | "protocol">): PretrainInputs {
  const protocol = o.protocol ?? resolvedProtocol("fast");
  const maxSkip = o.maxSkipFraction ?? DEFAULT_MAX_SKIP_FRACTION;
  const all = loadDataset(o.data, "mimic", { allowSymlinks: o.allowSymlinks, split: protocol.settings.split });
  assertSkipFraction(all.report, maxSkip);
  const reports = [all.report];
  // The official code pretrains on every image (validation and test subjects included): protocol `paper`.
  let train = protocol.settings.pretrainImages === "all" ? all : selectSplit(all, "train");
  if (o.cache === undefined) {
    // Empty, truncated and non-image files are found before the run (a cache records its own failures).
    const checked = checkImageFiles(train);
    assertSkipFraction(checked.report, maxSkip);
    reports.push(checked.report);
    train = checked.dataset;
  }
  if (o.ehr.length === 0) return { all, train, columns: [], reports };
  const e = cohortEhr(o.data, train, o.ehr, { scanImputation: protocol.settings.imputation });
  assertSkipFraction(e.report, maxSkip);
  reports.push(e.report);
  return { all, train: e.dataset, ehr: { matrix: e.matrix, dim: e.dim }, columns: e.columns, reports };
}

/** The fixed monitor sets of a pretraining run: validation queries and a bank of train images. */
export interface PretrainMonitorSets {
  readonly query: MonitorImageSet;
  readonly bank: MonitorImageSet;
}

/**
 * The monitor sets of `all` at `config`'s input size: `images` (default 128) validation images and twice as many
 * train images, the same for every method and seed of a study. Their unreadable images are left out (counted in
 * each set's report); they are not training inputs, so not in a run's skip counts.
 */
export async function pretrainMonitorSets(all: CxrDataset, config: MsnConfig, images = 128): Promise<PretrainMonitorSets> {
  return { query: await monitorImages(selectSplit(all, "validate"), config, images), bank: await monitorImages(selectSplit(all, "train"), config, 2 * images) };
}

/**
 * Pretrain on the MIMIC-CXR train split of `data`. The EHR vector width (columns of the selected groups)
 * sets `ehr.ehrIn`. The preset's schedules (in epochs) are spread over `steps`; the data loop runs over
 * epochs of the train split (batch k of the run depends only on k, so `resume` is bit-identical).
 * @throws Error with how to get the data when `data` is missing; when a table or the image check skips more
 *   than `maxSkipFraction`; when `out` holds a run and neither `resume` nor `overwrite` is set, or another
 *   process trains in it; when a resume would see other train images; on a corrupt checkpoint (file named;
 *   it is left in place); on a NaN/Inf loss (the last good checkpoint is kept).
 */
export async function pretrainOnDataset(o: DatasetPretrainOptions): Promise<DatasetPretrainResult> {
  checkPreset(o.preset);
  const protocol = o.protocol ?? resolvedProtocol("fast");
  const t0 = performance.now();
  const { all, train, ehr, columns, reports } = pretrainInputs(o);
  const config = msnConfig(o.preset, { init: protocol.settings.init, ehr: { ehrIn: ehr?.dim ?? 0 }, ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.precision !== undefined ? { precision: o.precision } : {}) });
  assertPrecisionSupported(config.precision); // before the run directory is touched
  const b = o.batchSize ?? config.batchSize;
  if (train.length < b) throw new Error(`the MIMIC train split of ${o.data} has ${train.length} images, fewer than one batch of ${b}; use a smaller --batch-size or a larger cohort`);
  const method = methodName(o.ehr);
  const c = config;
  const source = o.cache !== undefined ? cachedSource(train, o.cache) : undefined;
  console.log(
    `${method}: preset ${o.preset} (ViT ${c.vit.depth}×${c.vit.embedDim}, ${c.randSize}px + ${c.focalViews}×${c.focalSize}px focal), ` +
      `EHR ${ehr ? `${ehr.dim} features [${columns.join(", ")}]` : "off"}, ${train.length} MIMIC ${protocol.settings.pretrainImages === "all" ? "" : "train "}images, batch ${b}, ${o.steps} steps, protocol ${protocol.name} → ${o.out}`,
  );
  printSkipSummary(reports); // the EHR report also lists values read as missing
  // The batch plan is a function of the train images: record them, and refuse a resume on another set.
  const plan = { images: train.length, sha256: createHash("sha256").update(train.ids.join("\n")).digest("hex") };
  const planFile = join(o.out, "train_images.json");
  if (o.resume && existsSync(planFile)) {
    const was = JSON.parse(readFileSync(planFile, "utf8")) as typeof plan;
    if (was.sha256 !== plan.sha256) {
      throw new Error(`${o.out}: the usable train images changed since this run started (${was.images} → ${plan.images}: files were edited, removed or became unreadable); a resumed run would not continue the same batches. Restore the data, or start over with --overwrite`);
    }
  }
  let monitor: TrainMonitor | undefined;
  if ((o.monitorEvery ?? 0) > 0) {
    const { bank, query } = o.monitorSets ?? (await pretrainMonitorSets(all, config, o.monitorImages));
    monitor = modelMonitor({ every: o.monitorEvery!, bank, query });
    const lost = [query, bank].map((m) => m.report.read - m.report.kept).reduce((a, b) => a + b, 0);
    console.log(
      `monitors every ${o.monitorEvery} steps: k-NN (k 20) from ${bank.n} train images onto ${query.n} validation images, effective rank, feature std, prototype usage → metrics.csv, monitors.svg` +
        (lost > 0 ? ` (${lost} unreadable image${lost === 1 ? "" : "s"} left out of these sets)` : ""),
    );
  }
  let images: BatchStream<MsnBatch> | undefined;
  let recorded = false;
  const run = await trainRun(config, {
    dir: o.out,
    steps: o.steps,
    stepsPerEpoch: scheduleStepsPerEpoch(o.steps, c.epochs),
    checkpointEvery: o.checkpointEvery,
    resume: o.resume,
    overwrite: o.overwrite,
    command: "mmsn pretrain",
    progress: o.progress,
    ...(monitor ? { monitor } : {}),
    ...(o.keepSteps ? { keepSteps: o.keepSteps } : {}),
    onStep: () => {
      // At the first step of this call (the run directory is then ours): a new run records its plan.
      if (recorded) return;
      recorded = true;
      if (!(o.resume && existsSync(planFile))) writeFileAtomic(planFile, JSON.stringify(plan) + "\n");
    },
    batches: (startStep) => (images = pretrainBatches(train, c, { batchSize: b, startStep, ...(ehr ? { ehr } : {}), ...(source ? { source } : {}) })),
  });
  run.model.dispose();
  if (images) reports.push(images.report);
  if (images) printSkipSummary([images.report], "(an unreadable image's slot is taken by the next readable image of the epoch's order: the batch plan, and a resumed run, stay the same)");
  const skipped = skipCounts(reports);
  writeSkips(o.out, reports);
  writeFileAtomic(
    join(o.out, "run.json"),
    JSON.stringify(
      { command: "pretrain", protocol: protocol.name, protocolSettings: protocol.settings, data: resolve(o.data), cache: o.cache ?? null, dataset: "mimic", ehr: o.ehr, ehrColumns: columns, preset: o.preset, steps: o.steps, batchSize: b, checkpointEvery: o.checkpointEvery, trainImages: train.length, dataStepsPerEpoch: stepsPerEpoch(train.length, b), skipped, missingValues: missingCounts(reports) },
      null,
      2,
    ) + "\n",
  );
  await writeRunSummary(o.out, method, [
    `data: ${resolve(o.data)} (MIMIC-CXR ${protocol.settings.pretrainImages === "all" ? "all images" : "train split"}, ${train.length} images)`,
    `EHR groups: ${o.ehr.length ? `${o.ehr.join(", ")} → ${columns.length} features (${columns.join(", ")})` : "none (vanilla MSN)"}`,
    `preset ${o.preset}, batch ${b}, ${o.steps} steps, checkpoint every ${o.checkpointEvery}`,
    ...protocolHeader(protocol, { steps: o.steps, batchSize: b, trainImages: train.length }),
    skipNote(reports),
  ]);
  return { dir: o.out, method, results: run.results, startStep: run.startStep, interrupted: run.interrupted, ...(run.signal ? { signal: run.signal } : {}), seconds: (performance.now() - t0) / 1000, trainImages: train.length, ehrColumns: columns, skipped };
}
