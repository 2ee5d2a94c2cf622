#!/usr/bin/env node
/**
 * The `mmsn` command line:
 *   mmsn synth     write the synthetic cohort (MIMIC-CXR-JPG + MIMIC-IV, NIH-14, CheXpert in their real formats)
 *   mmsn prepare   build the preprocessed image cache of a dataset
 *   mmsn ehr       extract the MIMIC-IV EHR features of the chosen groups to a CSV
 *   mmsn pretrain  MSN or multimodal MSN pretraining on MIMIC-CXR (--data) or on generated views (no --data)
 *   mmsn probe     linear probe of a checkpoint's frozen target encoder (or a random-init baseline)
 *   mmsn evaluate  the same as probe (kept as the issue's name)
 *   mmsn study     random init vs MSN vs multimodal MSN, probes, comparison table and report (`npm start`)
 *   mmsn ablate    vanilla MSN and every EHR group combination, probes, one comparison table
 *   mmsn report    comparison table and charts from existing probe directories
 *   mmsn export    the target encoder for the browser (tfjs model.json + weights + a plain-tfjs forward)
 *   mmsn demo      short pretraining on generated views, printing the loss curve
 *   mmsn backend   report which tfjs backend loads here
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { initBackend } from "../../src/backend/index.js";
import { MSN_PRESET_NAMES, PRECISIONS, type Precision } from "../../src/config/msn.js";
import { parseEhrGroups } from "../study/ehr_groups.js";
import { comparisonText, readProbeResult, writeStudyReport } from "../study/report.js";
import { DATASETS } from "../datasets.js";
import { DEFAULT_MAX_SKIP_FRACTION } from "../skips.js";
import { PROTOCOL_NAMES, PROTOCOLS, type ProtocolName, type ProtocolSettings } from "../study/protocol.js";
import { Interrupted } from "./interrupted.js";
import { commandHelp, get, parseCommand, type CommandSpec, type FlagSpec, type ParsedArgs } from "./args.js";


const common = {
  "max-skip-fraction": { type: "number", min: 0, default: DEFAULT_MAX_SKIP_FRACTION, help: "stop before the run when a dataset/EHR table or the images skip more than this share (skips are always listed and written to skips.csv)" } as FlagSpec,
  overwrite: { type: "bool", help: "replace the run already in --out (default: refuse; --resume continues it)" } as FlagSpec,
  "allow-symlinks": { type: "bool", help: "follow symlinks that lead out of the dataset root (default: such images are skipped and counted)" } as FlagSpec,
  preset: { type: "choice", choices: MSN_PRESET_NAMES, help: "model/training preset (default: the protocol's: cpu_fast for fast, cxr_ehr_msn_tiny for paper)" } as FlagSpec,
  progress: { type: "bool", help: "progress bars (TTY) or log lines; --no-progress silences them", default: true } as FlagSpec,
  "monitor-every": { type: "int", min: 0, default: 50, help: "read the pretraining monitors (k-NN macro AUROC on validation images, effective rank, feature std, prototype usage) every N steps into metrics.csv and monitors.svg; 0 = off" } as FlagSpec,
  "monitor-images": { type: "int", min: 2, default: 128, help: "validation images the monitors read (the k-NN bank is twice as many train images)" } as FlagSpec,
  precision: { type: "choice", choices: PRECISIONS, default: "fp32", help: "GEMM precision of the training steps: bf16 = bf16 GEMM inputs, fp32 accumulation, weights and optimizer in fp32 (native and cuda backends; docs/performance.md#bf16-mixed-precision)" } as FlagSpec,
};
/** `--protocol` and one flag per protocol setting (docs/protocol.md#protocols); a flag overrides the protocol's choice. */
const protocolFlags: Record<string, FlagSpec> = {
  protocol: { type: "choice", choices: PROTOCOL_NAMES, default: "fast", help: "fast (the CPU study) or paper (the official pipeline wherever possible); reports list every difference from the official code" },
  interval: { type: "choice", choices: ["percentile", "basic"], help: "bootstrap interval shown in tables (official: percentile)" },
  imputation: { type: "choice", choices: ["iterative", "mode"], help: "view/orientation imputation (official: iterative)" },
  split: { type: "choice", choices: ["medfuse", "official-file"], help: "MIMIC-CXR split (official: medfuse, from MedFuse's listfiles)" },
  "pretrain-images": { type: "choice", choices: ["all", "train"], help: "pretraining images (official: all, validation/test subjects included)" },
  "chexpert-set": { type: "choice", choices: ["test", "valid"], help: "CheXpert evaluation set (official: test)" },
  "probe-mode": { type: "choice", choices: ["augmented", "cached"], help: "linear probe (official: augmented images through the frozen encoder, cosine lr, batch 64 drop_last)" },
  init: { type: "choice", choices: ["torch", "trunc_normal"], help: "weight initialisation (official: torch)" },
};

/** The protocol of a command: its name and settings, with the per-setting flags applied. */
function protocolOf(a: ParsedArgs): { readonly name: ProtocolName; readonly settings: ProtocolSettings } {
  const name = get.str(a, "protocol") as ProtocolName;
  const base = PROTOCOLS[name];
  const pick = <K extends keyof ProtocolSettings>(k: K, flag: string): ProtocolSettings[K] => (get.str(a, flag) as ProtocolSettings[K] | undefined) ?? base[k];
  return {
    name,
    settings: {
      preset: (get.str(a, "preset") as ProtocolSettings["preset"] | undefined) ?? base.preset,
      interval: pick("interval", "interval"),
      imputation: pick("imputation", "imputation"),
      split: pick("split", "split"),
      pretrainImages: pick("pretrainImages", "pretrain-images"),
      chexpertSet: pick("chexpertSet", "chexpert-set"),
      probe: pick("probe", "probe-mode"),
      init: pick("init", "init"),
    },
  };
}

/**
 * `--curve 50,100`: the learning curve's steps, each a positive integer below `--steps` (the final step is
 * always probed); "auto": ½ of `steps`, rounded (one probe more per run); "none".
 * @throws Error naming the bad value.
 */
export function parseSteps(text: string, steps: number): number[] {
  if (text.trim() === "none") return [];
  if (text.trim() === "auto") return [Math.round(steps / 2)].filter((k) => k >= 1 && k < steps);
  const out = text.split(",").map((t) => t.trim());
  for (const t of out) {
    if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) >= steps) throw new Error(`--curve ${text}: "${t}" is not a step between 1 and ${steps - 1} (--steps ${steps} is always probed); give steps like 50,100, or none`);
  }
  return [...new Set(out.map(Number))].sort((a, b) => a - b);
}

const studyFlags: Record<string, FlagSpec> = {
  data: { type: "string", meta: "DIR", default: "runs/cohort", help: "cohort directory; the default synthetic cohort is generated there if absent" },
  out: { type: "string", meta: "DIR", default: "runs/study", help: "output directory: one run directory per method, report.md, comparison.csv/.svg/.png" },
  preset: common.preset,
  steps: { type: "int", min: 1, default: 200, help: "pretraining steps per method (200 ≈ 7 epochs of the default cohort's 467 MIMIC train images at batch 16)" },
  "batch-size": { type: "int", min: 1, help: "images per pretraining step (default: the preset's)" },
  "probe-epochs": { type: "int", min: 1, default: 100, help: "linear-probe epoch limit (early stopping, patience 5)" },
  bootstrap: { type: "int", min: 0, default: 1000, help: "bootstrap resamples of the test metrics" },
  "checkpoint-every": { type: "int", min: 1, default: 50, help: "steps between checkpoints" },
  resume: { type: "bool", help: "continue unfinished pretraining runs in --out" },
  overwrite: { type: "bool", help: "replace the runs already in --out (default: refuse; --resume continues them)" },
  "max-skip-fraction": common["max-skip-fraction"],
  "allow-symlinks": common["allow-symlinks"],
  "synth-images": { type: "int", min: 40, help: "MIMIC images of a generated cohort (default 600)" },
  "monitor-every": common["monitor-every"],
  precision: common.precision,
  "monitor-images": common["monitor-images"],
  ...protocolFlags,
  progress: common.progress,
};

/** Every subcommand, its usage and flags. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  synth: {
    usage: "OUT_DIR [--seed 24] [--images 600 | --patients N] [--studies-per-patient 2.5] [--images-per-study 1.5] [--nih-images N] [--chexpert-images N] [--image-size 256] [--datasets mimic,nih,chexpert] [--jpeg-quality 90]",
    description: "Writes a seeded synthetic cohort in the real on-disk formats of MIMIC-CXR-JPG 2.0.0 + MIMIC-IV 2.2, NIH-14 and CheXpert (see data-loaders/synth/README.md).",
    flags: {},
  },
  prepare: {
    usage: "--data DIR --dataset mimic|nih14|chexpert [--out CACHE_DIR] [--short-side 256]",
    description: "Builds the preprocessed image cache of a dataset (uint8 shards + manifest.json; resumable and idempotent).",
    flags: {
      data: { type: "string", meta: "DIR", help: "cohort directory (mmsn synth layout)" },
      dataset: { type: "choice", choices: DATASETS, default: "mimic", help: "which dataset" },
      out: { type: "string", meta: "DIR", help: "cache directory (default DIR/.cache/<dataset>-<short-side>)" },
      "short-side": { type: "int", min: 16, default: 256, help: "shorter side of the cached images" },
      "allow-symlinks": common["allow-symlinks"],
      progress: common.progress,
    },
  },
  ehr: {
    usage: "--data DIR --ehr GROUPS --out FILE.csv",
    description: "Links MIMIC-CXR images to MIMIC-IV and writes the paper's EHR features of the chosen groups (path + feature columns).",
    flags: {
      data: { type: "string", meta: "DIR", help: "cohort directory (mmsn synth layout)" },
      ehr: { type: "string", meta: "GROUPS", default: "all", help: "EHR groups: demographic,scan,inpatient (comma-separated) or all" },
      age: { type: "choice", choices: ["norm", "bins5", "bins10"], default: "norm", help: "age encoding" },
      out: { type: "string", meta: "FILE", help: "output CSV" },
    },
  },
  pretrain: {
    usage: "(--data DIR [--ehr GROUPS|none] | --generated-views [--ehr-in K]) --out RUN [--preset cpu_fast] [--steps N] [--checkpoint-every K] [--resume | --overwrite]",
    description:
      "MSN pretraining in a run directory: config.json, run.json, metrics.csv (per step: loss parts, lr, wd, momentum, grad norm, images/s),\n" +
      "checkpoint/ (atomic, every K steps and at the end), loss.svg/.png, schedules.svg/.png, summary.md. With --data: MIMIC-CXR train split,\n" +
      "EHR groups from MIMIC-IV fused into the anchor branch (the EHR width sets ehr.ehrIn); --generated-views: synthetic views, no dataset (--ehr-in).\n" +
      "An existing run in --out is never replaced without --overwrite; --resume continues it bit-for-bit; Ctrl-C/SIGTERM save and exit 130/143;\n" +
      "a NaN/Inf loss stops with the last good checkpoint kept. Skipped rows and images are listed, counted in run.json and written to skips.csv.",
    flags: {
      data: { type: "string", meta: "DIR", help: "cohort directory (mmsn synth layout)" },
      dataset: { type: "choice", choices: ["mimic"], default: "mimic", help: "pretraining dataset" },
      ehr: { type: "string", meta: "GROUPS", default: "none", help: "EHR groups demographic,scan,inpatient (comma-separated), all, or none (vanilla MSN)" },
      "ehr-in": { type: "int", min: 0, default: 0, help: "EHR width for generated views (without --data)" },
      cache: { type: "string", meta: "DIR", help: "image cache from mmsn prepare (default: decode the JPEGs)" },
      out: { type: "string", meta: "RUN", help: "run directory" },
      preset: common.preset,
      steps: { type: "int", min: 1, default: 60, help: "total optimizer steps of the run" },
      "batch-size": { type: "int", min: 1, help: "images per step (default: the preset's)" },
      "checkpoint-every": { type: "int", min: 1, default: 50, help: "steps between checkpoints" },
      resume: { type: "bool", help: "continue the run in --out from its last checkpoint" },
      overwrite: common.overwrite,
      "max-skip-fraction": common["max-skip-fraction"],
      "allow-symlinks": common["allow-symlinks"],
      "generated-views": { type: "bool", help: "pretrain on generated views instead of a dataset (a smoke test: not a pretrained model)" },
      seed: { type: "int", min: 0, help: "seed of the initial weights, masks and batch order (default: the preset's)" },
      precision: common.precision,
      "monitor-every": common["monitor-every"],
      "monitor-images": common["monitor-images"],
      ...protocolFlags,
      progress: common.progress,
    },
  },
  probe: {
    usage: "--data DIR --dataset mimic|nih14|chexpert (--checkpoint RUN/checkpoint | --random-init) --out DIR",
    description:
      "Linear probe (the paper's linear evaluation, docs/protocol.md) on frozen target-encoder features: results.csv, evaluation.json, per_label_auroc.svg/.png, probe_curve.svg/.png, summary.md.\n" +
      "mimic: train/val/test of MIMIC-CXR; nih14: new probe, No-Finding-only images dropped; chexpert: the MIMIC probe on CheXpert valid.csv.",
    flags: {
      data: { type: "string", meta: "DIR", help: "cohort directory (mmsn synth layout)" },
      dataset: { type: "choice", choices: DATASETS, default: "mimic", help: "evaluation protocol" },
      checkpoint: { type: "string", meta: "DIR", help: "checkpoint (RUN/checkpoint) or run directory" },
      "random-init": { type: "bool", help: "probe an untrained model of --preset (the baseline)" },
      preset: common.preset,
      out: { type: "string", meta: "DIR", help: "probe output directory" },
      method: { type: "string", meta: "NAME", help: "name in tables (default from the run's EHR groups)" },
      "probe-epochs": { type: "int", min: 1, default: 100, help: "epoch limit (early stopping, patience 5)" },
      bootstrap: { type: "int", min: 0, default: 1000, help: "bootstrap resamples of the test metrics" },
      "batch-size": { type: "int", min: 1, default: 64, help: "images per encoder forward" },
      "max-skip-fraction": common["max-skip-fraction"],
      "allow-symlinks": common["allow-symlinks"],
      ...protocolFlags,
      progress: common.progress,
    },
  },
  study: {
    usage: "[--data runs/cohort] [--out runs/study] [--steps 150] [--seeds 3] [--curve auto] [--ehr all]",
    description:
      "The study (npm start): synthetic cohort if absent → per seed: random-init baseline, vanilla MSN, multimodal MSN (monitored; checkpoints kept at --curve) →\n" +
      "linear probe and k-NN read-out of each on MIMIC test → mean ± sd over seeds, paired tests, learning curve, per-seed tables, charts, report.md (docs/study.md).",
    flags: {
      ...studyFlags,
      ehr: { type: "string", meta: "GROUPS", default: "all", help: "EHR groups of the multimodal method" },
      steps: { ...studyFlags.steps!, default: 150, help: "pretraining steps per method and seed (150 ≈ 2.5 epochs of the default study cohort's 939 MIMIC train images at batch 16)" },
      "synth-images": { ...studyFlags["synth-images"]!, default: 1200, help: "MIMIC images of a generated cohort (default 1200: 90 test images for the paired tests)" },
      seeds: { type: "int", min: 1, default: 3, help: "pretraining seeds (the preset's seed and the next ones): mean ± sd, per-seed values and paired tests over them" },
      curve: { type: "string", meta: "STEPS", default: "auto", help: "steps at which each pretraining run is also probed (learning curve; random init and the final step are always in it): comma-separated, auto (½ of --steps) or none" },
    },
  },
  ablate: {
    usage: "[--data runs/cohort] [--out runs/ablate] [--steps 60]",
    description: "EHR ablation: vanilla MSN, each EHR group, each pair and all groups → probe each on MIMIC test → one comparison table and report.",
    flags: { ...studyFlags, out: { ...studyFlags.out!, default: "runs/ablate" } },
  },
  report: {
    usage: "--out DIR PROBE_DIR [PROBE_DIR …]",
    description: "Comparison table (printed, with CIs), comparison.csv/.svg/.png and report.md from probe directories written by mmsn probe.",
    flags: { out: { type: "string", meta: "DIR", help: "report directory" }, title: { type: "string", default: "Comparison", help: "report title" }, interval: protocolFlags.interval! },
    variadic: "probes",
  },
  export: {
    usage: "--checkpoint RUN/checkpoint [--out DIR] [--overwrite]",
    description: "Exports the target encoder for the browser: model.json (tfjs weightsManifest + config), weights.bin, mmsn_encoder.js (plain-tfjs forward), mmsn_preprocess.js (the package's evaluation transform, in plain JS), index.html (a page that encodes a picked image offline, served over HTTP), README.md, tf.min.js (pinned by an integrity hash, no CDN) and THIRD_PARTY_LICENSES.txt. Never writes into a checkpoint or a run directory; replaces only a previous export unless --overwrite.",
    flags: {
      checkpoint: { type: "string", meta: "DIR", help: "checkpoint (RUN/checkpoint) or run directory" },
      out: { type: "string", meta: "DIR", help: "output folder (default RUN/web)" },
      overwrite: { type: "bool", help: "replace a non-empty --out folder that is not a previous export (never a checkpoint, a run directory or a folder with subfolders)" },
    },
  },
  demo: {
    usage: "[--steps 60] [--batch-size 16]",
    description: 'Pretrains the "cpu_fast" preset (64-px views, ViT 6×192, EHR of width 4) on generated views and prints the loss curve.',
    flags: { steps: { type: "int", min: 1, default: 60, help: "steps" }, "batch-size": { type: "int", min: 1, default: 16, help: "images per step" } },
  },
  backend: { usage: "", description: "Prints the chosen tfjs backend and why faster ones were skipped.", flags: {} },
};
const ALIASES: Record<string, string> = { evaluate: "probe", start: "study" };

const MAIN_HELP = `mmsn <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([k, c]) => `  ${k.padEnd(9)}  ${c.description.split("\n")[0]!.split(/[.:](\s|$)/)[0]}`)
  .join("\n")}
  evaluate   alias of probe;  start   alias of study
Run "mmsn <command> --help" for the options of a command; options can also come from --config FILE.json.`;

async function runCommand(cmd: string, a: ParsedArgs): Promise<void> {
  switch (cmd) {
    case "pretrain": {
      const out = get.str(a, "out");
      if (get.bool(a, "resume") && get.bool(a, "overwrite")) throw new Error("pretrain: --resume continues the run in --out and --overwrite replaces it; give one of them");
      if (get.bool(a, "generated-views")) {
        if (get.str(a, "data") !== undefined) throw new Error("pretrain: --generated-views trains on synthetic views and --data on a dataset; give one of them");
        if (get.str(a, "ehr") !== "none") throw new Error("pretrain: --ehr selects MIMIC-IV EHR groups and needs --data DIR; with --generated-views use --ehr-in K");
        const { runToyPretrain } = await import("./toy.js");
        return runToyPretrain({ preset: get.str(a, "preset") ?? PROTOCOLS.fast.preset, ehrIn: get.num(a, "ehr-in")!, steps: get.num(a, "steps")!, batchSize: get.num(a, "batch-size"), out, checkpointEvery: get.num(a, "checkpoint-every"), resume: get.bool(a, "resume"), overwrite: get.bool(a, "overwrite"), precision: get.str(a, "precision") as Precision });
      }
      if (get.str(a, "data") === undefined) throw new Error("pretrain: --data DIR is required (a cohort in the `mmsn synth` layout: run `mmsn synth DIR` to generate the synthetic one, or point it at your MIMIC-CXR-JPG / MIMIC-IV copies); --generated-views trains on synthetic views instead, as a smoke test");
      const ehr = parseEhrGroups(get.str(a, "ehr")!);
      await initBackend({ quiet: true });
      const { pretrainOnDataset } = await import("./pretrain.js");
      const r = await pretrainOnDataset({
        data: get.str(a, "data")!,
        ehr,
        out: get.req(a, "out", "the run directory"),
        preset: protocolOf(a).settings.preset,
        protocol: protocolOf(a),
        steps: get.num(a, "steps")!,
        batchSize: get.num(a, "batch-size"),
        checkpointEvery: get.num(a, "checkpoint-every")!,
        resume: get.bool(a, "resume"),
        overwrite: get.bool(a, "overwrite"),
        progress: get.bool(a, "progress"),
        cache: get.str(a, "cache"),
        maxSkipFraction: get.num(a, "max-skip-fraction"),
        allowSymlinks: get.bool(a, "allow-symlinks"),
        seed: get.num(a, "seed"),
        precision: get.str(a, "precision") as Precision,
        monitorEvery: get.num(a, "monitor-every"),
        monitorImages: get.num(a, "monitor-images"),
      });
      const losses = r.results.map((x) => x.loss);
      console.log(`${r.method}: steps ${r.startStep} → ${r.startStep + r.results.length}${r.interrupted ? " (interrupted; --resume to continue)" : ""}, last loss ${losses.at(-1)?.toFixed(4) ?? "n/a"}, ${r.seconds.toFixed(1)} s; run directory ${r.dir}`);
      if (r.signal) throw new Interrupted(r.signal);
      return;
    }
    case "probe": {
      const ckpt = get.str(a, "checkpoint");
      if (ckpt === undefined && !get.bool(a, "random-init")) throw new Error("probe: give --checkpoint RUN/checkpoint, or --random-init for the untrained baseline");
      if (ckpt !== undefined && get.bool(a, "random-init")) throw new Error("probe: --checkpoint and --random-init exclude each other");
      const data = get.req(a, "data", "the cohort directory (run `mmsn synth DIR` to generate the synthetic cohort, or point --data at your MIMIC-CXR-JPG / MIMIC-IV copies)");
      await initBackend({ quiet: true });
      const { probeCommand } = await import("./probe.js");
      const r = await probeCommand({
        data,
        dataset: get.str(a, "dataset") as (typeof DATASETS)[number],
        checkpoint: ckpt,
        preset: protocolOf(a).settings.preset,
        protocol: protocolOf(a),
        out: get.req(a, "out", "the probe output directory"),
        method: get.str(a, "method"),
        maxEpochs: get.num(a, "probe-epochs"),
        bootstrap: get.num(a, "bootstrap"),
        batchSize: get.num(a, "batch-size"),
        progress: get.bool(a, "progress"),
        maxSkipFraction: get.num(a, "max-skip-fraction"),
        allowSymlinks: get.bool(a, "allow-symlinks"),
      });
      console.log(`\n${comparisonText([r], { interval: protocolOf(a).settings.interval })}\n\nprobe directory ${r.dir}: results.csv, evaluation.json, per_label_auroc.svg/.png, summary.md`);
      return;
    }
    case "study":
    case "ablate": {
      await initBackend({ quiet: true });
      const { runStudy, runAblation } = await import("./study.js");
      const o = {
        data: get.str(a, "data")!,
        out: get.str(a, "out")!,
        preset: protocolOf(a).settings.preset,
        protocol: protocolOf(a),
        steps: get.num(a, "steps")!,
        batchSize: get.num(a, "batch-size"),
        ehr: cmd === "study" ? parseEhrGroups(get.str(a, "ehr")!) : [],
        probeEpochs: get.num(a, "probe-epochs")!,
        bootstrap: get.num(a, "bootstrap")!,
        checkpointEvery: get.num(a, "checkpoint-every")!,
        resume: get.bool(a, "resume"),
        overwrite: get.bool(a, "overwrite"),
        maxSkipFraction: get.num(a, "max-skip-fraction"),
        allowSymlinks: get.bool(a, "allow-symlinks"),
        synthImages: get.num(a, "synth-images"),
        progress: get.bool(a, "progress"),
        monitorEvery: get.num(a, "monitor-every"),
        monitorImages: get.num(a, "monitor-images"),
        precision: get.str(a, "precision") as Precision,
        ...(cmd === "study" ? { seeds: get.num(a, "seeds"), curve: parseSteps(get.str(a, "curve")!, get.num(a, "steps")!) } : {}),
      };
      await (cmd === "study" ? runStudy(o) : runAblation(o));
      return;
    }
    case "report": {
      const dirs = a.probes as string[];
      if (dirs.length === 0) throw new Error("report: give one or more probe directories (written by mmsn probe --out DIR)");
      const results = dirs.map(readProbeResult);
      const out = get.req(a, "out", "the report directory");
      const interval = (get.str(a, "interval") ?? "percentile") as ProtocolSettings["interval"];
      const f = await writeStudyReport(out, results, { title: get.str(a, "title")!, links: Object.fromEntries(results.map((r, i) => [r.method, dirs[i]!])), interval });
      console.log(`${comparisonText(results, { interval })}\n\nreport: ${f.report}`);
      return;
    }
    case "ehr": {
      const groups = parseEhrGroups(get.str(a, "ehr")!);
      if (groups.length === 0) throw new Error('ehr: --ehr none selects no features; valid EHR groups: demographic, scan, inpatient, or "all"');
      const { ehrCommand } = await import("./prepare.js");
      return ehrCommand(get.req(a, "data", "the cohort directory"), groups, get.str(a, "age") as "norm" | "bins5" | "bins10", get.req(a, "out", "the output CSV"));
    }
    case "prepare": {
      const { prepareCommand } = await import("./prepare.js");
      return prepareCommand(get.req(a, "data", "the cohort directory"), get.str(a, "dataset") as (typeof DATASETS)[number], get.num(a, "short-side")!, get.str(a, "out"), get.bool(a, "progress"), get.bool(a, "allow-symlinks"));
    }
    case "export": {
      const { exportCommand } = await import("./export.js");
      await initBackend({ quiet: true }); // as every other command: the automatic choice, or MMSN_BACKEND
      return exportCommand(get.req(a, "checkpoint", "the checkpoint to export"), get.str(a, "out"), { overwrite: get.bool(a, "overwrite") });
    }
    case "demo": {
      const { runToyPretrain } = await import("./toy.js");
      return runToyPretrain({ preset: "cpu_fast", ehrIn: 4, steps: get.num(a, "steps")!, batchSize: get.num(a, "batch-size") });
    }
    case "backend":
      return void console.log(JSON.stringify(await initBackend({ quiet: true }), null, 2));
  }
}

/**
 * Run the CLI on `argv` (the arguments after `mmsn`).
 * @throws Error with a message for the user (unknown command/flag, bad value, missing data, …).
 */
export async function main(argv: readonly string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (!first || first === "--help" || first === "-h" || first === "help") return void console.log(MAIN_HELP);
  const cmd = ALIASES[first] ?? first;
  const spec = COMMANDS[cmd];
  if (!spec) throw new Error(`unknown command "${first}"; valid commands: ${[...Object.keys(COMMANDS), ...Object.keys(ALIASES)].join(", ")}`);
  if (cmd === "synth") {
    if (rest.includes("--help") || rest.includes("-h")) return void console.log(commandHelp(cmd, spec).replace(/\n\noptions:[\s\S]*/, ""));
    const synth = await import("./synth.js");
    await synth.runSynthCli(rest);
    return;
  }
  const a = parseCommand(cmd, spec, rest);
  if (a.help) return void console.log(commandHelp(first, spec));
  await runCommand(cmd, a);
}

/** True when this file is the process entry point (also through the `mmsn` bin symlink). */
function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(arg)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(`mmsn: ${e.message}`);
    process.exitCode = e instanceof Interrupted ? e.exitCode : 1;
  });
}
