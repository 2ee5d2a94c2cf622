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
import { extractFeatures } from "../../src/eval/features.js";
import type { ProbeTrainResult } from "../../src/eval/linear_probe.js";
import { chexpertProtocol, dropNoFindingOnly, mimicProtocol, nih14Protocol, type ProtocolOptions } from "../../src/eval/protocols.js";
import type { LabeledFeatures } from "../../src/eval/types.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { methodName, type EhrGroupName } from "../study/ehr_groups.js";
import { writeProbeOutputs, type MethodResult } from "../study/report.js";
import type { CxrDataset, SplitName } from "../../data-loaders/index.js";
import { checkPreset } from "./args.js";
import { evalImageBatches, loadDataset, split, type DatasetName } from "./data.js";

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
function runMethod(ckpt: string): string | undefined {
  const runJson = join(ckpt, "..", "run.json");
  if (!existsSync(runJson)) return undefined;
  try {
    const j = JSON.parse(readFileSync(runJson, "utf8")) as { ehr?: EhrGroupName[] };
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
    method = o.method ?? runMethod(ckpt) ?? "pretrained";
  } else {
    model = new MultimodalMSN(checkPreset(o.preset));
    source = `random-init ${o.preset} encoder (seed ${model.config.seed}), no pretraining`;
    method = o.method ?? "random init";
    fingerprint = `random-${o.preset}-${model.config.seed}`;
  }
  try {
    const size = model.config.vit.imgSize;
    const channels = model.config.vit.inChans === 1 ? 1 : 3;
    const bs = o.batchSize ?? 64;
    const features = async (ds: CxrDataset, name: string, s: SplitName | "all"): Promise<LabeledFeatures> => {
      const part = s === "all" ? ds : split(ds, s);
      if (part.length === 0) throw new Error(`${name}: the ${s} split is empty`);
      const f = await extractFeatures((x) => model.encode(x), evalImageBatches(part, size, channels, bs), {
        cacheDir: join(o.out, "features"),
        cacheKey: `${fingerprint}.${size}px.${name}.${s}`,
        total: part.length,
        label: `features ${name}/${s}`,
        progress: o.progress === false ? false : process.stderr,
      });
      return { features: f.features, labels: f.labels, n: f.n, dim: f.dim, labelNames: part.labelNames };
    };
    // The paper's probe batch is 64 (drop_last); a tiny cohort gets one batch of all its training rows.
    const popts = (nTrain: number): ProtocolOptions => ({ probe: { maxEpochs: o.maxEpochs ?? 100, batchSize: Math.min(64, nTrain) }, evaluate: { bootstrap: o.bootstrap ?? 1000 } });
    let res;
    if (o.dataset === "nih14") {
      const ds = loadDataset(o.data, "nih14");
      const train = await features(ds, "nih14", "train");
      res = await nih14Protocol({ train, val: await features(ds, "nih14", "validate"), test: await features(ds, "nih14", "test") }, popts(dropNoFindingOnly(train).set.n));
    } else {
      const ds = loadDataset(o.data, "mimic");
      const splits = { train: await features(ds, "mimic", "train"), val: await features(ds, "mimic", "validate"), test: await features(ds, "mimic", "test") };
      const mimic = await mimicProtocol(splits, popts(splits.train.n));
      if (o.dataset === "chexpert") {
        const cx = loadDataset(o.data, "chexpert");
        const r = chexpertProtocol({ probe: mimic.probe, test: await features(cx, "chexpert", "all") }, { evaluate: popts(0).evaluate! });
        res = { ...r, training: mimic.training };
      } else res = mimic;
    }
    const result: MethodResult = { method, dataset: o.dataset, evaluation: res.evaluation, source };
    await writeProbeOutputs(o.out, result, { training: res.training, notes: res.notes });
    return { ...result, training: res.training, dir: o.out };
  } finally {
    model.dispose();
  }
}
