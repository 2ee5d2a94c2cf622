/**
 * The scale run (`npm run bench -- scale`, or `npx tsx test/bench/scale.ts [--images 20000] [--keep DIR]`): a
 * synthetic MIMIC-CXR cohort of ≥ 20,000 images in the real on-disk format (JPEG + MIMIC-IV tables) through
 * `mmsn synth`, `mmsn prepare` (the uint8 image cache) and one epoch of `mmsn pretrain` (cpu_fast, views built
 * from the cache on the view workers, one optimizer step per batch), each stage as its own process, as a user
 * runs them. For each stage: wall time, throughput, peak RSS (VmHWM) and RSS sampled every second, to show that
 * memory stays flat instead of growing with the images seen; disk use of the cohort, the cache and the run.
 * Then the extrapolation to MIMIC-CXR's 377,110 images (time per epoch of pretraining; the pretraining stage's
 * time includes its start-up, which a 20,000-image epoch makes small). Results go to test/bench/scale_results.json.
 * It has no reference implementation to compare against, so it is not part of the default `npm run bench`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pretrainInputs } from "../../app/cli/pretrain.js";

const REPO = path.resolve(import.meta.dirname, "../..");
/** MIMIC-CXR-JPG 2.0.0's image count, the scale the figures are extrapolated to. */
const MIMIC_IMAGES = 377_110;

/** One stage of the scale run. */
export interface ScaleStage {
  readonly stage: string;
  readonly seconds: number;
  /** What the throughput counts (images, steps…) and how many. */
  readonly items: number;
  readonly unit: string;
  /** Peak resident memory of the process (kernel VmHWM), MiB. */
  readonly peakRssMiB: number;
  /** Highest RSS in the second quarter of the stage and in the last quarter, MiB: flat when they agree. */
  readonly rssQ2MiB: number;
  readonly rssQ4MiB: number;
  /** Disk use of what the stage wrote, MiB. */
  readonly diskMiB: number;
  /** Whether that disk use grows with the images (the cohort, the cache) or not (a run directory). */
  readonly diskScales: boolean;
}

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Total size of the files under `dir`, MiB. */
function diskMiB(dir: string): number {
  if (!existsSync(dir)) return 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) bytes += statSync(p).size;
    }
  };
  walk(dir);
  return bytes / 2 ** 20;
}

/** VmRSS and VmHWM (KiB) of a process and its children (the view workers are threads: one process). */
function memKiB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
    return { rss: field("VmRSS"), hwm: field("VmHWM") };
  } catch {
    return undefined;
  }
}

/** Run `mmsn ARGS` (through node + tsx, no npx shim in between, so the pid sampled is the job's). */
async function runStage(stage: string, args: readonly string[], items: () => number, unit: string, wrote: string, diskScales = true): Promise<ScaleStage> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "app/cli/main.ts"), ...args], { cwd: REPO, stdio: ["ignore", "inherit", "inherit"] });
  const samples: { t: number; rss: number }[] = [];
  let hwm = 0;
  const timer = setInterval(() => {
    const m = memKiB(child.pid!);
    if (m) {
      samples.push({ t: performance.now() - t0, rss: m.rss });
      hwm = Math.max(hwm, m.hwm);
    }
  }, 1000);
  const code: number = await new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  clearInterval(timer);
  if (code !== 0) throw new Error(`scale run: ${stage} (mmsn ${args.join(" ")}) exited with ${code}`);
  const seconds = (performance.now() - t0) / 1000;
  const quarter = (q: number) => Math.max(0, ...samples.filter((s) => s.t >= ((q - 1) / 4) * seconds * 1000 && s.t < (q / 4) * seconds * 1000).map((s) => s.rss)) / 1024;
  return { stage, seconds, items: items(), unit, peakRssMiB: hwm / 1024, rssQ2MiB: quarter(2), rssQ4MiB: quarter(4), diskMiB: diskMiB(wrote), diskScales };
}

/** Lines of a CSV file (header included), or 0 when absent. */
const csvRows = (file: string): string[] => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : []);

/** The scale run; returns its stages (also printed and written to scale_results.json). */
export async function benchScale(): Promise<ScaleStage[]> {
  const images = Number(argValue("images", "20000"));
  const keep = argValue("keep", "");
  const dir = keep || mkdtempSync(path.join(tmpdir(), "mmsn-scale-"));
  const cohort = path.join(dir, "cohort");
  const cache = path.join(dir, "cache");
  const run = path.join(dir, "run");
  const stages: ScaleStage[] = [];
  try {
    stages.push(await runStage("synth (JPEG q90, 256 px + MIMIC-IV tables)", ["synth", cohort, "--images", String(images), "--datasets", "mimic"], () => images, "img", cohort));
    stages.push(await runStage("prepare (decode → uint8 cache, short side 256)", ["prepare", "--data", cohort, "--dataset", "mimic", "--out", cache, "--no-progress"], () => images, "img", cache));
    // One epoch: the pretraining split's images (as `mmsn pretrain` selects them) over cpu_fast's batch of 16.
    const trainImages = pretrainInputs({ data: cohort, ehr: [], cache }).train.ids.length;
    const steps = Math.ceil(trainImages / 16);
    stages.push(await runStage(`pretrain one epoch (cpu_fast, batch 16, ${steps} steps)`, ["pretrain", "--data", cohort, "--cache", cache, "--preset", "cpu_fast", "--steps", String(steps),
      "--monitor-every", "0", "--checkpoint-every", String(steps), "--out", run, "--no-progress"], () => (csvRows(path.join(run, "metrics.csv")).length - 1) * 16, "img", run, false));
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  const lines = ["| stage | time | throughput | peak RSS | RSS 2nd quarter → last quarter | disk | at 377,110 images |", "|---|---|---|---|---|---|---|"];
  for (const s of stages) {
    const rate = s.items / s.seconds;
    const full = MIMIC_IMAGES / rate;
    lines.push(`| ${s.stage} | ${s.seconds.toFixed(0)} s | ${rate.toFixed(1)} ${s.unit}/s | ${s.peakRssMiB.toFixed(0)} MiB | ${s.rssQ2MiB.toFixed(0)} → ${s.rssQ4MiB.toFixed(0)} MiB | ` +
      `${s.diskMiB.toFixed(0)} MiB | ${(full / 3600).toFixed(1)} h${s.diskScales ? `, ${((s.diskMiB * MIMIC_IMAGES) / images / 1024).toFixed(1)} GiB` : ""} |`);
  }
  console.log(`\nScale run: ${images.toLocaleString("en")} synthetic MIMIC-CXR images\n\n${lines.join("\n")}\n`);
  writeFileSync(path.join(import.meta.dirname, "scale_results.json"), JSON.stringify({ date: new Date().toISOString(), images, stages }, null, 2));
  return stages;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchScale();
