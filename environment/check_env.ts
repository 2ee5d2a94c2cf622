/**
 * Environment check: versions, the tfjs backend chosen here, and a smoke test (a matMul and one MSN step on
 * the test preset). Run: `npx tsx environment/check_env.ts`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { execFileSync } from "node:child_process";
import { initBackend } from "../src/backend/index.js";
import { MultimodalMSN } from "../src/msn/multimodal_msn.js";
import { disposeBatch } from "../src/types/batch.js";
import { toyBatches } from "../app/demo/toy_views.js";

const version = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n")[0];
  } catch {
    return "not found";
  }
};

const info = await initBackend({ quiet: true });
console.log(`node ${process.version}, tfjs-core ${tf.version_core}`);
console.log(`backend: ${info.name} — ${info.details}`);
for (const [k, v] of Object.entries(info.skipped)) console.log(`  skipped ${k}: ${v}`);
console.log(`reference python (/usr/bin/python3): ${version("/usr/bin/python3", ["-c", "import torch, sklearn; print('torch', torch.__version__, 'sklearn', sklearn.__version__)"])}`);
const t0 = performance.now();
const s = tf.tidy(() => tf.sum(tf.matMul(tf.ones([256, 256]), tf.ones([256, 256]))).dataSync()[0]);
console.log(`smoke: 256³ matMul sum = ${s} (expected ${256 ** 3}) in ${(performance.now() - t0).toFixed(1)} ms`);
const model = new MultimodalMSN("test", { ehr: { ehrIn: 2 } });
const it = toyBatches(model.config, 4);
const batch = (await it.next()).value!;
const r = model.trainStep(batch);
disposeBatch(batch);
model.dispose();
console.log(`smoke: one MSN step on the test preset, loss ${r.loss.toFixed(4)} — ${Number.isFinite(r.loss) && s === 256 ** 3 ? "OK" : "FAILED"}`);
