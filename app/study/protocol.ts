/**
 * Evaluation protocols of the study: `paper` follows the official code (nyuad-cai/CXR-EHR-MSN @ b3755c0 with
 * lightly 1.4.21 and MedFuse's data split) wherever this package can; `fast` is the CPU-sized study `npm start`
 * runs. Each protocol is a set of named choices, and {@link protocolDifferences} lists every known way a run
 * under it differs from the official pipeline, so that every report can say so in its header.
 */
import type { MsnPresetName } from "../../src/config/msn.js";

/** A protocol's name. */
export type ProtocolName = "paper" | "fast";
/** The protocols, `fast` first (the default). */
export const PROTOCOL_NAMES: readonly ProtocolName[] = ["fast", "paper"];

/** The choices a protocol makes; each has the official behaviour available. */
export interface ProtocolSettings {
  /** Model and pretraining preset (`cxr_ehr_msn_tiny` is the official ViT-Tiny setting). */
  readonly preset: MsnPresetName;
  /** Bootstrap interval shown in tables: `percentile` (official) or `basic`. */
  readonly interval: "percentile" | "basic";
  /** View/orientation imputation: `iterative` (official IterativeImputer + random forest) or `mode` (conditional mode). */
  readonly imputation: "iterative" | "mode";
  /** MIMIC-CXR split: `medfuse` (official: MedFuse's patient split) or `official-file` (mimic-cxr-2.0.0-split.csv). */
  readonly split: "medfuse" | "official-file";
  /** Pretraining images: `all` (official: every image, validation/test subjects included) or `train`. */
  readonly pretrainImages: "all" | "train";
  /** CheXpert evaluation set: `test` (official: the radiologist-labelled test set) or `valid`. */
  readonly chexpertSet: "test" | "valid";
  /** Linear probe: `augmented` (official: images through the frozen encoder each epoch, flip + affine 45°, cosine lr, batch 64 drop_last) or `cached` (frozen features computed once, constant lr). */
  readonly probe: "augmented" | "cached";
  /** Weight initialisation: `torch` (official: torchvision ViT / PyTorch Linear defaults) or `trunc_normal`. */
  readonly init: "torch" | "trunc_normal";
}

/** The protocols. */
export const PROTOCOLS: Readonly<Record<ProtocolName, ProtocolSettings>> = {
  fast: { preset: "cpu_fast", interval: "percentile", imputation: "mode", split: "official-file", pretrainImages: "train", chexpertSet: "valid", probe: "cached", init: "trunc_normal" },
  paper: { preset: "cxr_ehr_msn_tiny", interval: "percentile", imputation: "iterative", split: "medfuse", pretrainImages: "all", chexpertSet: "test", probe: "augmented", init: "torch" },
};

/** One known difference between a run and the official pipeline. */
export interface ProtocolDifference {
  /** The setting (a {@link ProtocolSettings} key, `scale` for the run's length, or `always` for what no option changes). */
  readonly setting: keyof ProtocolSettings | "scale" | "always";
  /** What the official code does. */
  readonly official: string;
  /** What this run does. */
  readonly here: string;
}

const OFFICIAL = PROTOCOLS.paper;

const DESCRIBE: { readonly [K in keyof ProtocolSettings]: (v: ProtocolSettings[K]) => string } = {
  preset: (v) =>
    v === "cxr_ehr_msn_tiny"
      ? "ViT-Tiny/16 at 224 px, 3 channels, 1 + 10 views, 1024 frozen prototypes, AdamW lr 1e-4 wd 1e-3, 100 epochs × batch 64"
      : v === "cpu_fast"
        ? "cpu_fast: 64-px grayscale views, patch 8, 6 blocks, 4 focal views of 32 px, 256 trainable prototypes, warmup, wd 0.04; evaluated at 64 px (Resize 73 → CenterCrop 64)"
        : `preset ${v}`,
  interval: (v) => (v === "percentile" ? "percentile bootstrap interval [P2.5, P97.5] of 1,000 resamples" : "basic bootstrap interval [2θ̂ − P97.5, 2θ̂ − P2.5]"),
  imputation: (v) => (v === "iterative" ? "view/orientation label-encoded, IterativeImputer(RandomForestRegressor(), max_iter=10, random_state=24), rounded" : "view/orientation imputed by conditional mode"),
  split: (v) => (v === "medfuse" ? "MedFuse patient split (every image train; MedFuse val/test listfile subjects → validate/test)" : "mimic-cxr-2.0.0-split.csv"),
  pretrainImages: (v) => (v === "all" ? "pretraining on every image, validation and test subjects included" : "pretraining on the train split only"),
  chexpertSet: (v) => (v === "test" ? "CheXpert test set (test_labels.csv)" : "CheXpert valid.csv as the test set"),
  probe: (v) => (v === "augmented" ? "images through the frozen encoder each epoch (flip + RandomAffine 45°), cosine lr, batch 64 drop_last" : "features computed once without augmentation, constant lr, batch min(64, n) with drop_last, validation and test keep every row"),
  init: (v) => (v === "torch" ? "torchvision ViT init, PyTorch Linear defaults" : "trunc-normal(0.02) weights, zero biases"),
};

/** What differs from the official pipeline whatever the settings (no option reproduces it yet). */
export const ALWAYS_DIFFERENT: readonly ProtocolDifference[] = [
  { setting: "always", official: "16-bit mixed precision (Lightning `16-mixed`)", here: "float32" },
  { setting: "always", official: "pretraining batches keep the last incomplete batch (drop_last off)", here: "the last incomplete pretraining batch of each epoch is dropped" },
  { setting: "always", official: "probe AUROC on sigmoid outputs; a label with one class in the test set makes roc_auc_score raise", here: "AUROC on logits (same ranking, no float32 saturation ties); one-class labels excluded from the macro average and reported" },
];

/** How long a run trains, where it is not the official length (100 epochs of batch 64; probe ≤ 100 epochs). */
export interface RunScale {
  /** Pretraining steps, and the images per step. */
  readonly steps?: number;
  readonly batchSize?: number;
  /** Train images per pretraining epoch (to express `steps` in epochs). */
  readonly trainImages?: number;
  /** Linear-probe epoch limit. */
  readonly probeEpochs?: number;
  /** Bootstrap resamples of the test metrics. */
  readonly bootstrap?: number;
}

function scaleDifferences(s: RunScale): ProtocolDifference[] {
  const out: ProtocolDifference[] = [];
  if (s.steps !== undefined || (s.batchSize !== undefined && s.batchSize !== 64)) {
    const epochs = s.steps !== undefined && s.trainImages && s.batchSize ? ` (${((s.steps * s.batchSize) / s.trainImages).toFixed(2)} epochs)` : "";
    out.push({ setting: "scale", official: "pretraining for 100 epochs of batch 64", here: `${s.steps ?? "?"} pretraining steps of batch ${s.batchSize ?? "the preset's"}${epochs}` });
  }
  if (s.probeEpochs !== undefined && s.probeEpochs !== 100) out.push({ setting: "scale", official: "linear probe ≤ 100 epochs", here: `linear probe ≤ ${s.probeEpochs} epochs` });
  if (s.bootstrap !== undefined && s.bootstrap !== 1000) out.push({ setting: "scale", official: "1,000 bootstrap resamples", here: `${s.bootstrap} bootstrap resamples` });
  return out;
}

/**
 * Every known difference between a run with `settings` and the official pipeline: the settings that are not
 * the official choice, the run's length (`scale`, when given), then {@link ALWAYS_DIFFERENT}.
 */
export function protocolDifferences(settings: ProtocolSettings, scale: RunScale = {}): ProtocolDifference[] {
  const out: ProtocolDifference[] = [];
  for (const key of Object.keys(DESCRIBE) as (keyof ProtocolSettings)[]) {
    if (settings[key] === OFFICIAL[key]) continue;
    const describe = DESCRIBE[key] as (v: ProtocolSettings[typeof key]) => string;
    out.push({ setting: key, official: describe(OFFICIAL[key]), here: describe(settings[key]) });
  }
  return [...out, ...scaleDifferences(scale), ...ALWAYS_DIFFERENT];
}

/** A protocol as a command runs it: its name and its settings (the protocol's, with per-setting overrides). */
export interface ResolvedProtocol {
  readonly name: ProtocolName;
  readonly settings: ProtocolSettings;
}

/** {@link ResolvedProtocol} of a protocol without overrides. */
export function resolvedProtocol(name: ProtocolName): ResolvedProtocol {
  return { name, settings: PROTOCOLS[name] };
}

/** The report-header lines of a protocol: its name, then one line per difference from the official pipeline. */
export function protocolHeader(p: ResolvedProtocol, scale: RunScale = {}): string[] {
  const diffs = protocolDifferences(p.settings, scale);
  return [`protocol: ${p.name}, ${diffs.length} known differences from the official code (docs/protocol.md#protocols)`, ...diffs.map((d) => `differs (${d.setting}): here ${d.here}; official: ${d.official}`)];
}
