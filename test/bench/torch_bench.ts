/** Running test/reference/torch_bench.py (the PyTorch side of the train-step benches) and reading its result. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { MsnConfig } from "../../src/config/msn.js";

const SCRIPT = join(import.meta.dirname, "../reference/torch_bench.py");

/** torch_bench.py's model and batch arguments for `c` (steps, warm-up, threads and device are added by the caller). */
export function torchConfig(c: MsnConfig, batch: number) {
  return {
    img: c.randSize, patch: c.vit.patchSize, chans: c.vit.inChans, dim: c.vit.embedDim, depth: c.vit.depth,
    heads: c.vit.numHeads, mlp: c.vit.embedDim * c.vit.mlpRatio, focal: c.focalSize, rand_views: c.randViews,
    focal_views: c.focalViews, batch, head_hidden: c.head.hiddenDim, head_out: c.head.outputDim,
    protos: c.numPrototypes, ehr_in: c.ehr.ehrIn, ehr_out: c.ehr.ehrOut, drop: c.patchDropRatio,
  };
}

/** Run torch_bench.py with `python` and `args` (JSON); returns its last output line, parsed. Throws on failure. */
export function runTorchBench<T>(python: string, args: object, env?: NodeJS.ProcessEnv): T {
  const out = execFileSync(python, [SCRIPT, JSON.stringify(args)], { env, encoding: "utf8", maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

/** The median (upper median for an even count) of `xs`. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
