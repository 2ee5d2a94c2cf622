/**
 * Entry of the GPU benchmark for the device machine (bundled by tools/device_bundle.mjs into
 * .device/bundle/cuda_bench.mjs): runs `benchCudaStep()` (test/bench/cuda_step.ts) and prints its rows as
 * the same markdown table and notes that test/bench/run.ts prints. Instead of test/bench/results.json it
 * writes the rows to `$OUT/bench_results.json` when OUT is set (the device tool's output folder).
 *
 * Here, with node_modules: `npx tsx tools/device_bench.ts` (rows say "not run: …" without a GPU).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchCudaStep } from "../test/bench/cuda_step.js";
import type { BenchRow } from "../test/bench/types.js";

console.error("[bench] cuda …");
const rows: BenchRow[] = await benchCudaStep();
// Formatting copied from test/bench/run.ts: keep the two in step.
const fmt = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : "n/a");
console.log("\n| benchmark | unit | ours | reference | ours / reference |\n|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.name} | ${r.unit} | ${fmt(r.ours)} | ${fmt(r.reference)} | ${fmt(r.ours / r.reference)}× |`);
console.log("");
for (const r of rows) console.log(`- ${r.name}: reference = ${r.referenceName}; ${r.notes ?? ""}`);
if (process.env.OUT) writeFileSync(join(process.env.OUT, "bench_results.json"), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
