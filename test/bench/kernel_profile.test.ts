/**
 * The bench's kernel profile (test/bench/kernel_profile.ts): registered kernels are timed between two
 * synchronisations and named, custom-gradient ops are counted but timed through their inner kernels, the
 * engine is restored (also when the profiled run throws), and no tensor is left behind.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { formatKernelProfile, kernelProfile } from "./kernel_profile.js";

test("kernel profile: names, calls, synchronisations, custom gradients, no leak", async () => {
  await tf.setBackend("cpu");
  const a = tf.ones([8, 4]);
  const b = tf.ones([4, 2]);
  const squared = tf.customGrad((x) => ({ value: tf.square(x as tf.Tensor), gradFunc: (dy) => dy }));
  const before = tf.memory().numTensors;
  let syncs = 0;
  const p = await kernelProfile(
    async () => {
      const y = tf.tidy(() => squared(tf.relu(tf.add(tf.matMul(a, b), 1))) as tf.Tensor);
      await y.data();
      y.dispose();
    },
    () => syncs++,
  );
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  assert.deepEqual(p.kernels.map((k) => k.name).sort(), ["Add", "BatchMatMul", "Relu", "Square"]);
  for (const k of p.kernels) assert.ok(k.calls === 1 && k.ms >= 0, `${k.name}: ${k.calls} calls, ${k.ms} ms`);
  assert.equal(p.calls, 5, "4 kernels and the custom-gradient op");
  // 2 per timed kernel, 1 at the end of the run, 100 to measure one idle synchronisation
  assert.equal(syncs, 2 * 4 + 1 + 100);
  assert.ok(Math.abs(p.kernelMs - p.kernels.reduce((s, k) => s + k.ms, 0)) < 1e-9);
  for (let i = 1; i < p.kernels.length; i++) assert.ok(p.kernels[i - 1]!.ms >= p.kernels[i]!.ms, "largest first");
  const line = formatKernelProfile(p, 2);
  assert.match(line, /in 4 kernels/);
  assert.match(line, /2 others \d+%/);
  a.dispose();
  b.dispose();
});

test("kernel profile: the engine is restored when the run throws", async () => {
  await tf.setBackend("cpu");
  const engine = tf.engine() as unknown as { runKernelFunc: unknown };
  const orig = engine.runKernelFunc;
  await assert.rejects(
    kernelProfile(async () => {
      tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(engine.runKernelFunc, orig);
});
