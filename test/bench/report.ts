/** How `npm run bench` (test/bench/run.ts) and the device bench (tools/device_bench.ts) print their rows. */
import type { BenchRow } from "./types.js";

/** A throughput or ratio with 3 significant digits at most ("n/a" when not finite: a bench that did not run). */
const fmt = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : "n/a");

/** Print `rows` to stdout as a markdown table (with ours / reference), then one note line a row. */
export function printBenchRows(rows: readonly BenchRow[]): void {
  console.log("\n| benchmark | unit | ours | reference | ours / reference |\n|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.name} | ${r.unit} | ${fmt(r.ours)} | ${fmt(r.reference)} | ${fmt(r.ours / r.reference)}× |`);
  console.log("");
  for (const r of rows) console.log(`- ${r.name}: reference = ${r.referenceName}; ${r.notes ?? ""}`);
}
