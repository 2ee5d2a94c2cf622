/**
 * Bench: macro AUROC + 1,000 bootstrap resamples (percentile 95% CI) on 100,000 × 14 seeded synthetic scores,
 * ours (`evaluateMultilabel`, which also computes per-label AUROC/AUPRC and their CIs) against scikit-learn's
 * `roc_auc_score` in a loop over resamples (test/reference/eval_sklearn_bench.py), in the same run on the
 * same data. scikit-learn is timed on fewer resamples (default 20, `BENCH_SKLEARN_RESAMPLES`) and its
 * throughput extrapolated: its per-resample cost is constant, and 1,000 resamples would take minutes.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../../src/utils/rng.js";
import { evaluateMultilabel } from "../../src/eval/metrics.js";
import type { BenchRow } from "./types.js";

const N = 100_000;
const L = 14;
const RESAMPLES = 1000;
const SCRIPT = fileURLToPath(new URL("../reference/eval_sklearn_bench.py", import.meta.url));

/** Seeded synthetic labels (prevalence 2 %–50 %) and scores (signal + noise, ~5 % rounded to create ties). */
function syntheticProblem(seed: number): { y: Float64Array; s: Float64Array } {
  const rng = new Rng(seed);
  const y = new Float64Array(N * L);
  const s = new Float64Array(N * L);
  for (let i = 0; i < N; i++) {
    for (let l = 0; l < L; l++) {
      const pos = rng.next() < 0.02 + (0.48 * l) / (L - 1) ? 1 : 0;
      y[i * L + l] = pos;
      const v = rng.normal() + 0.8 * pos;
      s[i * L + l] = rng.next() < 0.05 ? Math.round(v * 4) / 4 : v;
    }
  }
  return { y, s };
}

/**
 * Run the bench (ours, then scikit-learn on the same data).
 * @returns one row: unit "bootstraps/s"; the ratio and both timings are in `notes`.
 */
export async function benchMetrics(): Promise<BenchRow[]> {
  const { y, s } = syntheticProblem(2024);
  const names = Array.from({ length: L }, (_, l) => `label${l}`);

  evaluateMultilabel(y.subarray(0, 1000 * L), s.subarray(0, 1000 * L), L, names, { bootstrap: 20 }); // JIT warm-up
  const t0 = performance.now();
  const ev = evaluateMultilabel(y, s, L, names, { bootstrap: RESAMPLES, seed: 24 });
  const oursSec = (performance.now() - t0) / 1000;

  const skResamples = Number(process.env.BENCH_SKLEARN_RESAMPLES ?? 20);
  const dir = mkdtempSync(join(tmpdir(), "bench-metrics-"));
  let sk: { resamples: number; seconds: number; pointMacroAuroc: number; sklearn: string; numpy: string };
  try {
    writeFileSync(join(dir, "y.u8"), Uint8Array.from(y));
    writeFileSync(join(dir, "s.f64"), s);
    const out = execFileSync(
      "/usr/bin/python3",
      [SCRIPT, join(dir, "y.u8"), join(dir, "s.f64"), String(N), String(L), String(skResamples), "24"],
      { encoding: "utf8" },
    );
    sk = JSON.parse(out.trim().split("\n").pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const diff = Math.abs(sk.pointMacroAuroc - ev.macroAuroc);
  if (diff > 1e-9) throw new Error(`benchMetrics: macro AUROC differs from sklearn by ${diff}`);
  const ours = RESAMPLES / oursSec;
  const reference = sk.resamples / sk.seconds;
  return [
    {
      name: `macro AUROC + ${RESAMPLES} bootstraps (95% CI), ${N.toLocaleString("en")}×${L}`,
      unit: "bootstraps/s",
      ours,
      reference,
      referenceName: `scikit-learn ${sk.sklearn} roc_auc_score loop (numpy ${sk.numpy}, /usr/bin/python3)`,
      notes:
        `ratio ours/sklearn = ${(ours / reference).toFixed(1)}×; ours ${oursSec.toFixed(2)} s for ${RESAMPLES} resamples, ` +
        `single thread, including per-label AUROC+AUPRC and their CIs (one sort per label, weighted passes per resample); ` +
        `sklearn timed on ${sk.resamples} resamples (${sk.seconds.toFixed(2)} s) and extrapolated to ${RESAMPLES} ` +
        `(${((RESAMPLES * sk.seconds) / sk.resamples).toFixed(0)} s); same data; point macro AUROC equal within ${diff.toExponential(1)}`,
    },
  ];
}

// `npx tsx test/bench/metrics.ts` runs this bench alone.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const row of await benchMetrics()) console.log(JSON.stringify(row, null, 1));
}
