/**
 * `npm run bench`: every benchmark of the package against its reference (PyTorch, scikit-learn, Pillow),
 * measured in the same run, printed as a table with the ratio (ours / reference; > 1 means we are faster)
 * and written to bench/results.json. Pass names to run a subset: `npm run bench -- train metrics`.
 * `npm run bench -- scale` runs the scale run (test/bench/scale.ts: ~30 min, no reference to compare against),
 * which the default run leaves out.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { printBenchRows } from "./report.js";
import type { BenchRow } from "./types.js";

const SUITES: Record<string, { file: string; fn: string }> = {
  train: { file: "train_step.ts", fn: "benchTrainStep" },
  metrics: { file: "metrics.ts", fn: "benchMetrics" },
  preprocess: { file: "preprocess.ts", fn: "benchPreprocess" },
  cuda: { file: "cuda_step.ts", fn: "benchCudaStep" },
  gemm: { file: "gemm.ts", fn: "benchGemm" },
};

const SCALE_OPTIONS = ["--images", "--keep"]; // scale.ts reads their values
const wanted = process.argv.slice(2).filter((a, i, all) => !a.startsWith("-") && !SCALE_OPTIONS.includes(all[i - 1] ?? ""));
for (const w of wanted) if (!(w in SUITES) && w !== "scale") throw new Error(`unknown bench "${w}"; valid: ${Object.keys(SUITES).join(", ")}, scale`);
if (wanted.includes("scale")) await (await import("./scale.js")).benchScale();
if (wanted.length === 1 && wanted[0] === "scale") process.exit(0);
const rows: BenchRow[] = [];
for (const [name, s] of Object.entries(SUITES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const path = join(import.meta.dirname, s.file);
  if (!existsSync(path)) continue;
  console.error(`[bench] ${name} …`);
  const mod = (await import(path)) as Record<string, () => Promise<BenchRow[]>>;
  rows.push(...(await mod[s.fn]!()));
}
printBenchRows(rows);
writeFileSync(join(import.meta.dirname, "results.json"), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
