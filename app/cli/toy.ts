/**
 * Pretraining on generated views (no dataset): `mmsn demo`, and `mmsn pretrain` without `--data`. Prints
 * the loss curve; with `out`, a checkpointed run directory (`trainRun`).
 */
import { initBackend } from "../../src/backend/index.js";
import { assertPrecisionSupported } from "../../src/backend/precision.js";
import type { Precision } from "../../src/config/msn.js";
import { toyBatches } from "../demo/toy_views.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { pretrain } from "../../src/train/pretrain.js";
import { trainRun } from "../../src/train/run.js";
import { lineChart } from "../../src/viz/charts.js";
import { saveChart } from "../../src/viz/render.js";
import { checkPreset } from "./args.js";
import { Interrupted } from "./interrupted.js";
import { asciiPlot } from "../../src/utils/ascii_plot.js";
import { scheduleStepsPerEpoch } from "../../src/train/steps.js";

/** Options of {@link runToyPretrain}. */
export interface ToyPretrainArgs {
  readonly preset: string;
  readonly ehrIn: number;
  readonly steps: number;
  readonly batchSize?: number;
  /** Run directory: config, metrics.csv, checkpoints, loss chart. */
  readonly out?: string;
  readonly checkpointEvery?: number;
  readonly resume?: boolean;
  /** Replace a run already in `out`. */
  readonly overwrite?: boolean;
  /** GEMM precision of the training steps (config.precision; default "fp32"). */
  readonly precision?: Precision;
}

/**
 * Pretrain `preset` on generated views and print the loss curve (the model is disposed).
 * @throws Interrupted when SIGINT/SIGTERM stopped the run (after its checkpoint was saved).
 */
export async function runToyPretrain(a: ToyPretrainArgs): Promise<void> {
  const { preset, ehrIn, steps, batchSize, out } = a;
  const name = checkPreset(preset);
  const info = await initBackend();
  if (a.precision) assertPrecisionSupported(a.precision);
  const model = new MultimodalMSN(name, { ehr: { ehrIn }, ...(a.precision ? { precision: a.precision } : {}) });
  const b = batchSize ?? model.config.batchSize;
  const c = model.config;
  console.log(
    `MultimodalMSN ${preset}: ViT ${c.vit.depth}×${c.vit.embedDim} (${c.vit.numHeads} heads), ${model.anchorParams.numParams().toLocaleString()} anchor parameters, ` +
      `views 1+${c.randViews}×${c.randSize}px+${c.focalViews}×${c.focalSize}px, K=${c.numPrototypes}, EHR ${c.ehr.ehrIn ? `${c.ehr.ehrIn}→${c.ehr.ehrOut}` : "off (vanilla MSN)"}, ` +
      `batch ${b}, ${steps} steps on ${info.name}`,
  );
  const t0 = performance.now();
  // The preset's schedules are in epochs: spread its `epochs` over the requested steps.
  const stepsPerEpoch = scheduleStepsPerEpoch(steps, c.epochs);
  let results;
  let signal: "SIGINT" | "SIGTERM" | undefined;
  if (out) {
    model.dispose();
    const run = await trainRun(c, {
      dir: out,
      steps,
      stepsPerEpoch,
      checkpointEvery: a.checkpointEvery ?? 50,
      resume: a.resume,
      overwrite: a.overwrite,
      command: "mmsn pretrain --generated-views",
      batches: (start) => toyBatches(c, b, c.seed, { startStep: start }),
    });
    results = run.results;
    run.model.dispose();
    signal = run.signal;
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
  if (signal) throw new Interrupted(signal);
}
