/**
 * `mmsn probe`: features of the frozen target encoder of a checkpoint (or of a random-init model, the
 * baseline), the paper's linear probe and test metrics with bootstrap CIs, written to a probe directory.
 *   mimic     probe trained on MIMIC train (early stop on MIMIC val), tested on MIMIC test
 *   nih14     new probe on NIH-14 train, "No Finding"-only images dropped, tested on NIH-14 test
 *   chexpert  the MIMIC-trained probe applied to CheXpert valid.csv (as the test set), no retraining
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProbeTrainResult } from "../../src/eval/linear_probe.js";
import { chexpertProtocol, dropNoFindingOnly, mimicProtocol, nih14Protocol, type ProtocolOptions, type ProtocolResult } from "../../src/eval/protocols.js";
import type { Encoder, LabeledFeatures } from "../../src/eval/types.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { RNG_ALGORITHM } from "../../src/utils/rng.js";
import { selectSplit, type CxrDataset, type SplitName } from "../../data-loaders/index.js";
import type { EhrGroup } from "../../data-loaders/index.js";
import { methodName } from "../study/ehr_groups.js";
import { runMethod } from "../study/method_run.js";
import { writeProbeOutputs, type MethodResult } from "../study/report.js";
import { checkPreset } from "./args.js";
import { datasetFeatures, evalViews, loadDataset, type DatasetName } from "../data.js";

/** Options of {@link probeCommand}. */
export interface ProbeCommandOptions {
  readonly data: string;
  readonly dataset: DatasetName;
  /** A checkpoint directory (`RUN/checkpoint`) or a run directory; absent = random-init baseline. */
  readonly checkpoint?: string;
  /** Preset of the random-init baseline (ignored with a checkpoint). */
  readonly preset: string;
  readonly out: string;
  /** Display name; default from the run's EHR groups ("MSN", "MSN+EHR(…)") or "random init". */
  readonly method?: string;
  /** Probe epoch limit (default 100, the paper's). */
  readonly maxEpochs?: number;
  /** Bootstrap resamples of the test metrics (default 1000). */
  readonly bootstrap?: number;
  /** Images per encoder forward. */
  readonly batchSize?: number;
  readonly progress?: boolean;
}

/** Result of {@link probeCommand}: the method's test evaluation and the probe's training run. */
export interface ProbeCommandResult extends MethodResult {
  readonly training?: ProbeTrainResult;
  readonly dir: string;
}

/** Resolve `RUN` or `RUN/checkpoint` to the checkpoint directory. */
export function checkpointDir(p: string): string {
  if (existsSync(join(p, "model.json"))) return p;
  if (existsSync(join(p, "checkpoint", "model.json"))) return join(p, "checkpoint");
  throw new Error(`no checkpoint at ${p}: expected ${join(p, "model.json")} (or a run directory holding checkpoint/); pretrain with \`mmsn pretrain --out RUN\` first`);
}

/** The method name recorded by `mmsn pretrain` in `RUN/run.json`, if any. */
function recordedMethod(ckpt: string): string | undefined {
  const runJson = join(ckpt, "..", "run.json");
  if (!existsSync(runJson)) return undefined;
  try {
    const j = JSON.parse(readFileSync(runJson, "utf8")) as { ehr?: EhrGroup[] };
    return Array.isArray(j.ehr) ? methodName(j.ehr) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Probe a checkpoint (or a random-init model) on a dataset and write `out/`: results.csv, evaluation.json,
 * per_label_auroc.svg/.png, probe_curve.svg/.png, summary.md, features/ (cache).
 * @throws Error with how to get the data when `data` is missing; naming the file for a corrupt checkpoint.
 */
export async function probeCommand(o: ProbeCommandOptions): Promise<ProbeCommandResult> {
  let model: MultimodalMSN;
  let source: string;
  let method: string;
  // The feature cache is keyed by what the features depend on: the weights (or the random init) and the size.
  let fingerprint: string;
  if (o.checkpoint !== undefined) {
    const ckpt = checkpointDir(o.checkpoint);
    model = MultimodalMSN.load(ckpt);
    fingerprint = createHash("sha1").update(readFileSync(join(ckpt, "weights.bin"))).digest("hex").slice(0, 12);
    source = `target encoder of ${ckpt} (step ${model.step})`;
    method = o.method ?? recordedMethod(ckpt) ?? "pretrained";
  } else {
    model = new MultimodalMSN(checkPreset(o.preset));
    source = `random-init ${o.preset} encoder (seed ${model.config.seed}), no pretraining`;
    method = o.method ?? "random init";
    fingerprint = `random-${o.preset}-${model.config.seed}-${RNG_ALGORITHM}`;
  }
  try {
    const { size, channels } = evalViews(model.config);
    const bs = o.batchSize ?? 64;
    const features = (encoder: Encoder, ds: CxrDataset, name: string, s: SplitName | "all"): Promise<LabeledFeatures> => {
      const part = s === "all" ? ds : selectSplit(ds, s);
      if (part.length === 0) throw new Error(`${name}: the ${s} split is empty`);
      return datasetFeatures(encoder, part, { size, channels, batchSize: bs }, {
        cacheDir: join(o.out, "features"),
        cacheKey: `${fingerprint}.${size}px.${name}.${s}`,
        label: `features ${name}/${s}`,
        progress: o.progress === false ? false : process.stderr,
      });
    };
    // The paper's probe batch is 64 (drop_last); a tiny cohort gets one batch of all its training rows.
    const popts = (nTrain: number): ProtocolOptions => ({ probe: { maxEpochs: o.maxEpochs ?? 100, batchSize: Math.min(64, nTrain) }, evaluate: { bootstrap: o.bootstrap ?? 1000 } });
    const name = o.dataset === "nih14" ? "nih14" : "mimic";
    const ds = loadDataset(o.data, name);
    // The CheXpert protocol applies the MIMIC-trained probe: its test features come with the MIMIC splits.
    let chexpert: LabeledFeatures | undefined;
    const run = await runMethod({
      method,
      dataset: o.dataset,
      model,
      features: async (encoder) => {
        const splits = { train: await features(encoder, ds, name, "train"), val: await features(encoder, ds, name, "validate"), test: await features(encoder, ds, name, "test") };
        if (o.dataset === "chexpert") chexpert = await features(encoder, loadDataset(o.data, "chexpert"), "chexpert", "all");
        return splits;
      },
      protocol: async (splits): Promise<ProtocolResult> => {
        if (o.dataset === "nih14") return nih14Protocol(splits, popts(dropNoFindingOnly(splits.train).set.n));
        const mimic = await mimicProtocol(splits, popts(splits.train.n));
        if (o.dataset !== "chexpert") return mimic;
        return { ...chexpertProtocol({ probe: mimic.probe, test: chexpert! }, { evaluate: popts(0).evaluate! }), training: mimic.training };
      },
    });
    const result: MethodResult = { method, dataset: o.dataset, evaluation: run.evaluation, source };
    await writeProbeOutputs(o.out, result, { training: run.training, notes: run.notes });
    return { ...result, training: run.training, dir: o.out };
  } finally {
    model.dispose();
  }
}
