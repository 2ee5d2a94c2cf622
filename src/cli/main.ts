#!/usr/bin/env node
/**
 * The `mmsn` command line. Subcommands grow with the pipeline; today:
 *   mmsn start     a real short MultimodalMSN pretraining on generated views, printing the loss curve
 *   mmsn pretrain  the same with a chosen preset, EHR width, steps and batch size, saving a checkpoint
 *   mmsn synth     write the synthetic cohort (MIMIC-CXR-JPG + MIMIC-IV, NIH-14, CheXpert in their real formats)
 *   mmsn backend   report which tfjs backend loads here
 *
 * This entry point is the one place in src/ that reaches data-loaders/ (dynamically, per command): the
 * library itself never imports it (test/layout.test.ts checks).
 */
import { parseArgs } from "node:util";
import { initBackend } from "../backend/index.js";
import { MSN_PRESET_NAMES, type MsnPresetName } from "../config/msn.js";
import { toyBatches } from "../demo/toy_views.js";
import { MultimodalMSN } from "../msn/multimodal_msn.js";
import { pretrain } from "../train/pretrain.js";
import { trainRun } from "../train/run.js";
import { lineChart, saveChart } from "../viz/index.js";
import { asciiPlot } from "../utils/ascii_plot.js";

const HELP: Record<string, string> = {
  main: `mmsn <command> [options]

commands:
  start      short multimodal MSN pretraining on generated views; prints the loss curve
  pretrain   pretrain with --preset, --ehr-in, --steps, --batch-size; --out DIR checkpoints and --resume
  synth      write the synthetic cohort in the real dataset formats (mmsn synth OUT_DIR [--images N] …)
  backend    print the tfjs backend chosen on this machine
Run "mmsn <command> --help" for the options of a command.`,
  start: `mmsn start [--steps N] [--batch-size B]
Pretrains the "cpu_fast" preset (64-px views, ViT 6×192, EHR of width 4) on generated views for N steps
(default 60) and prints the loss curve.`,
  pretrain: `mmsn pretrain [--preset NAME] [--ehr-in K] [--steps N] [--batch-size B] [--out DIR [--checkpoint-every K] [--resume]]
  --preset      one of ${MSN_PRESET_NAMES.join(", ")} (default cpu_fast)
  --ehr-in      EHR vector width; 0 = vanilla MSN (default 0)
  --steps       optimizer steps (default 60)
  --batch-size  images per step (default: the preset's)
  --out         run directory: config.json, metrics.csv (per step), checkpoint/ (atomic), loss.svg/.png
  --checkpoint-every  steps between checkpoints (default 50; always at the end)
  --resume      continue the run in --out from its last checkpoint (bit-identical on the same backend)
  Ctrl-C finishes the current step, saves a checkpoint and exits; a NaN loss stops with the last good checkpoint kept.
  Data: generated views (the dataset-backed pretraining arrives with the pipeline issue).`,
  synth: `mmsn synth OUT_DIR [--seed 24] [--images 600 | --patients N] [--studies-per-patient 2.5]
  [--images-per-study 1.5] [--nih-images N] [--chexpert-images N] [--image-size 256]
  [--datasets mimic,nih,chexpert] [--jpeg-quality 90]
Writes a seeded synthetic cohort in the real on-disk formats of MIMIC-CXR-JPG 2.0.0 + MIMIC-IV 2.2, NIH-14 and
CheXpert (see data-loaders/synth/README.md).`,
  backend: `mmsn backend   print the chosen backend and why faster ones were skipped`,
};

function intOpt(v: string | undefined, name: string, def: number, min = 0): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

interface PretrainArgs {
  readonly preset: string;
  readonly ehrIn: number;
  readonly steps: number;
  readonly batchSize?: number;
  /** Run directory: config, metrics.csv, checkpoints, loss chart. */
  readonly out?: string;
  readonly checkpointEvery?: number;
  readonly resume?: boolean;
}

async function runPretrain(a: PretrainArgs): Promise<void> {
  const { preset, ehrIn, steps, batchSize, out } = a;
  if (!(MSN_PRESET_NAMES as string[]).includes(preset)) {
    throw new Error(`--preset "${preset}" is not a preset; valid presets: ${MSN_PRESET_NAMES.join(", ")}`);
  }
  const info = await initBackend();
  const model = new MultimodalMSN(preset as MsnPresetName, { ehr: { ehrIn } });
  const b = batchSize ?? model.config.batchSize;
  const c = model.config;
  console.log(
    `MultimodalMSN ${preset}: ViT ${c.vit.depth}×${c.vit.embedDim} (${c.vit.numHeads} heads), ${model.anchorParams.numParams().toLocaleString()} anchor parameters, ` +
      `views 1+${c.randViews}×${c.randSize}px+${c.focalViews}×${c.focalSize}px, K=${c.numPrototypes}, EHR ${c.ehr.ehrIn ? `${c.ehr.ehrIn}→${c.ehr.ehrOut}` : "off (vanilla MSN)"}, ` +
      `batch ${b}, ${steps} steps on ${info.name}`,
  );
  const t0 = performance.now();
  // The preset's schedules are in epochs: spread its `epochs` over the requested steps.
  const stepsPerEpoch = Math.max(1, Math.round(steps / Math.max(1, c.epochs)));
  let results;
  if (out) {
    model.dispose();
    const run = await trainRun(c, {
      dir: out,
      steps,
      stepsPerEpoch,
      checkpointEvery: a.checkpointEvery ?? 50,
      resume: a.resume,
      batches: (start) => toyBatches(c, b, c.seed, { startStep: start }),
    });
    results = run.results;
    run.model.dispose();
  } else {
    results = await pretrain(model, toyBatches(c, b, c.seed), { steps, stepsPerEpoch });
    model.dispose();
  }
  const secs = (performance.now() - t0) / 1000;
  const losses = results.map((r) => r.loss);
  console.log("\nloss per step:\n" + asciiPlot(losses, { height: 10, label: `step 0 … ${losses.length - 1}` }));
  const head = (n: number) => losses.slice(0, n).reduce((s, x) => s + x, 0) / n;
  const tail = (n: number) => losses.slice(-n).reduce((s, x) => s + x, 0) / n;
  const k = Math.max(1, Math.min(5, Math.floor(losses.length / 4)));
  console.log(`\nloss: first ${k} steps ${head(k).toFixed(4)} → last ${k} steps ${tail(k).toFixed(4)}; ${((steps * b) / secs).toFixed(1)} img/s, ${secs.toFixed(1)} s`);
  if (out) {
    const points = results.flatMap((r) => [
      { step: r.step, value: r.loss, series: "total" },
      { step: r.step, value: r.ce, series: "cross-entropy" },
      { step: r.step, value: r.meMax, series: "ME-MAX" },
    ]);
    const files = await saveChart(lineChart(points, { title: `MSN loss (${preset})`, xTitle: "step", yTitle: "loss" }), `${out}/loss`);
    console.log(`run directory ${out}: config.json, metrics.csv, checkpoint/, ${Object.values(files).map((f) => f.split("/").pop()).join(", ")}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === "synth" && !rest.includes("--help") && !rest.includes("-h")) {
    const synth = (await import("../../data-loaders/synth/cli.js")) as { runSynthCli(argv: readonly string[]): Promise<unknown> };
    await synth.runSynthCli(rest);
    return;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      help: { type: "boolean", short: "h" },
      steps: { type: "string" },
      "batch-size": { type: "string" },
      preset: { type: "string" },
      "ehr-in": { type: "string" },
      out: { type: "string" },
      "checkpoint-every": { type: "string" },
      resume: { type: "boolean" },
    },
    strict: true,
  });
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") return void console.log(HELP.main);
  if (!(cmd in HELP)) throw new Error(`unknown command "${cmd}"; valid commands: ${Object.keys(HELP).filter((k) => k !== "main").join(", ")}`);
  if (values.help) return void console.log(HELP[cmd]);
  switch (cmd) {
    case "start":
      return runPretrain({ preset: "cpu_fast", ehrIn: 4, steps: intOpt(values.steps, "steps", 60, 1), batchSize: intOpt(values["batch-size"], "batch-size", 16, 1) });
    case "pretrain":
      return runPretrain({
        preset: values.preset ?? "cpu_fast",
        ehrIn: intOpt(values["ehr-in"], "ehr-in", 0),
        steps: intOpt(values.steps, "steps", 60, 1),
        batchSize: values["batch-size"] ? intOpt(values["batch-size"], "batch-size", 16, 1) : undefined,
        out: values.out,
        checkpointEvery: intOpt(values["checkpoint-every"], "checkpoint-every", 50, 1),
        resume: values.resume ?? false,
      });
    case "backend": {
      const i = await initBackend({ quiet: true });
      return void console.log(JSON.stringify(i, null, 2));
    }
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(`mmsn: ${e.message}`);
  process.exit(1);
});
