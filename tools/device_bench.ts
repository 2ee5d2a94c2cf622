/**
 * Entry of the GPU benchmark for the device machine (bundled by tools/device_bundle.mjs into
 * .device/bundle/cuda_bench.mjs): runs `benchCudaStep()` (test/bench/cuda_step.ts) and prints its rows with
 * test/bench/report.ts, as test/bench/run.ts does. Instead of test/bench/results.json it writes the rows to
 * `$OUT/bench_results.json` when OUT is set (the device tool's output folder).
 *
 * Here, with node_modules: `npx tsx tools/device_bench.ts` (rows say "not run: …" without a GPU).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchCudaStep } from "../test/bench/cuda_step.js";
import { printBenchRows } from "../test/bench/report.js";
import type { BenchRow } from "../test/bench/types.js";

console.error("[bench] cuda …");
const rows: BenchRow[] = await benchCudaStep();
printBenchRows(rows);
if (process.env.OUT) writeFileSync(join(process.env.OUT, "bench_results.json"), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
