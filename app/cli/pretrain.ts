/**
 * `mmsn pretrain --data DIR`: MSN / multimodal MSN pretraining on MIMIC-CXR (train split) with the MIMIC-IV
 * EHR groups fused into the anchor branch, in a checkpointed run directory (`trainRun`).
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { msnConfig } from "../../src/config/msn.js";
import { checkPreset } from "./args.js";
import type { StepResult } from "../../src/msn/multimodal_msn.js";
import type { EhrGroup } from "../../data-loaders/index.js";
import { methodName } from "../study/ehr_groups.js";
import { writeRunSummary } from "../study/run_summary.js";
import { trainRun } from "../../src/train/run.js";
import { scheduleStepsPerEpoch, stepsPerEpoch } from "../../src/train/steps.js";
import { selectSplit } from "../../data-loaders/index.js";
import { cachedSource, cohortEhr, loadDataset, pretrainBatches } from "../data.js";

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
  readonly progress?: boolean;
  /** Image cache from `mmsn prepare` (read instead of the JPEGs). */
  readonly cache?: string;
}

/** What a dataset-backed run returns (the model is disposed). */
export interface DatasetPretrainResult {
  readonly dir: string;
  readonly method: string;
  readonly results: readonly StepResult[];
  readonly startStep: number;
  readonly interrupted: boolean;
  readonly seconds: number;
  readonly trainImages: number;
  readonly ehrColumns: readonly string[];
}

/**
 * Pretrain on the MIMIC-CXR train split of `data`. The EHR vector width (columns of the selected groups)
 * sets `ehr.ehrIn`. The preset's schedules (in epochs) are spread over `steps`; the data loop runs over
 * epochs of the train split (batch k of the run depends only on k, so `resume` is bit-identical).
 * @throws Error with how to get the data when `data` is missing; on a corrupt checkpoint (file named; it is
 *   left in place); on a NaN/Inf loss (the last good checkpoint is kept).
 */
export async function pretrainOnDataset(o: DatasetPretrainOptions): Promise<DatasetPretrainResult> {
  checkPreset(o.preset);
  const t0 = performance.now();
  const all = loadDataset(o.data, "mimic");
  let train = selectSplit(all, "train");
  let ehr: { matrix: Float32Array; dim: number } | undefined;
  let columns: readonly string[] = [];
  if (o.ehr.length > 0) {
    const e = cohortEhr(o.data, train, o.ehr);
    train = e.dataset;
    ehr = { matrix: e.matrix, dim: e.dim };
    columns = e.columns;
  }
  const config = msnConfig(o.preset, { ehr: { ehrIn: ehr?.dim ?? 0 } });
  const b = o.batchSize ?? config.batchSize;
  if (train.length < b) throw new Error(`the MIMIC train split of ${o.data} has ${train.length} images, fewer than one batch of ${b}; use a smaller --batch-size or a larger cohort`);
  const method = methodName(o.ehr);
  const c = config;
  const source = o.cache !== undefined ? cachedSource(train, o.cache) : undefined;
  console.log(
    `${method}: preset ${o.preset} (ViT ${c.vit.depth}×${c.vit.embedDim}, ${c.randSize}px + ${c.focalViews}×${c.focalSize}px focal), ` +
      `EHR ${ehr ? `${ehr.dim} features [${columns.join(", ")}]` : "off"}, ${train.length} MIMIC train images, batch ${b}, ${o.steps} steps → ${o.out}`,
  );
  const run = await trainRun(config, {
    dir: o.out,
    steps: o.steps,
    stepsPerEpoch: scheduleStepsPerEpoch(o.steps, c.epochs),
    checkpointEvery: o.checkpointEvery,
    resume: o.resume,
    progress: o.progress,
    batches: (startStep) => pretrainBatches(train, c, { batchSize: b, startStep, ...(ehr ? { ehr } : {}), ...(source ? { source } : {}) }),
  });
  run.model.dispose();
  writeFileSync(
    join(o.out, "run.json"),
    JSON.stringify(
      { command: "pretrain", data: resolve(o.data), cache: o.cache ?? null, dataset: "mimic", ehr: o.ehr, ehrColumns: columns, preset: o.preset, steps: o.steps, batchSize: b, checkpointEvery: o.checkpointEvery, trainImages: train.length, dataStepsPerEpoch: stepsPerEpoch(train.length, b) },
      null,
      2,
    ) + "\n",
  );
  await writeRunSummary(o.out, method, [
    `data: ${resolve(o.data)} (MIMIC-CXR train split, ${train.length} images)`,
    `EHR groups: ${o.ehr.length ? `${o.ehr.join(", ")} → ${columns.length} features (${columns.join(", ")})` : "none (vanilla MSN)"}`,
    `preset ${o.preset}, batch ${b}, ${o.steps} steps, checkpoint every ${o.checkpointEvery}`,
  ]);
  return { dir: o.out, method, results: run.results, startStep: run.startStep, interrupted: run.interrupted, seconds: (performance.now() - t0) / 1000, trainImages: train.length, ehrColumns: columns };
}
