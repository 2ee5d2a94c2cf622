/**
 * Parity with PyTorch. test/reference/torch_reference.py builds the same model in plain torch from the same
 * name-seeded weights and inputs and writes every intermediate; this test (1) regenerates those golden
 * values live and fails if the committed copy differs (so they cannot be stale or invented), then (2) checks
 * the TypeScript model against them within 1e-4 (relative where values are large).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../src/backend/index.js";
import { emaUpdate } from "../../src/msn/ema.js";
import { prototypeLogProbabilities } from "../../src/msn/loss.js";
import { assertClose, maxScaledDiff, readGolden } from "../helpers/golden.js";
import { PARITY_GOLDEN, parityBatch, parityMasks, parityModel as parityModelFor, readParityGolden, type ParityMeta as Meta } from "../helpers/msn_parity.js";
import { requirePython } from "../helpers/python.js";

const ROOT = join(import.meta.dirname, "../..");
const TOL = 1e-4;

const { meta, tensors } = readParityGolden();
const g = (name: string) => {
  const t = tensors.get(name);
  if (!t) throw new Error(`golden has no tensor ${name}`);
  return t.data;
};
const c = meta.config;
const parityModel = () => parityModelFor(meta);
const batchTensors = () => parityBatch(meta);
const { keepAnchors, keepFocal } = parityMasks(meta);

const read = (t: tf.Tensor) => {
  const d = t.dataSync() as Float32Array;
  t.dispose();
  return d;
};

describe("parity with PyTorch (test/reference/torch_reference.py)", () => {
  before(async () => {
    await initBackend({ quiet: true });
  });

  it("golden values are reproduced by live PyTorch", (t) => {
    const py = requirePython(t, ["torch", "numpy"], ["python3-torch", "python3-numpy"]);
    if (!py) return;
    const dir = mkdtempSync(join(tmpdir(), "mmsn-parity-"));
    execFileSync(py, [join(ROOT, "test/reference/torch_reference.py"), join(dir, "live")], { stdio: "inherit" });
    const live = readGolden<Meta>(join(dir, "live"));
    const strip = (m: Meta) => JSON.stringify({ ...m, how: undefined, scalars: undefined });
    assert.equal(strip(live.meta), strip(meta), "structure, config or masks of the committed golden differ from live PyTorch");
    for (const [k, v] of Object.entries(meta.scalars)) {
      assertClose([live.meta.scalars[k as keyof Meta["scalars"]]], [v], 1e-5, `live scalar ${k}`);
    }
    for (const [name, t0] of tensors) assertClose(live.tensors.get(name)!.data, t0.data, 1e-5, `live tensor ${name}`);
    assert.ok(readFileSync(PARITY_GOLDEN + ".bin").length > 0);
  });

  it("has exactly the reference's parameters (names and shapes)", () => {
    const m = parityModel();
    try {
      const ours = [...m.anchorParams.vars.entries()].filter(([n]) => !m.anchorParams.meta.get(n)!.buffer).map(([n, v]) => `${n}:${v.shape}`);
      assert.deepEqual(ours.sort(), meta.params.map((p) => `${p.name}:${p.shape}`).sort());
      const tgt = [...m.targetParams.vars.keys()].filter((n) => !m.targetParams.meta.get(n)!.buffer);
      assert.deepEqual(tgt.sort(), [...meta.targetParams].sort());
    } finally {
      m.dispose();
    }
  });

  it("matches EMA, CLS features, heads, probabilities, Sinkhorn targets, loss parts, gradients and the AdamW step", () => {
    const m = parityModel();
    const batch = batchTensors();
    try {
      // Step 1: EMA
      emaUpdate(m.targetParams, m.anchorParams, c.ema!);
      for (const n of meta.targetParams) assertClose(m.targetParams.get(n).dataSync(), g("ema/" + n), TOL, `EMA ${n}`);
      // Step 2: target branch
      const clsT = m.targetEncoder.forward(batch.target);
      assertClose(clsT.dataSync(), g("cls_target"), TOL, "target CLS");
      assertClose(read(m.targetHead.forward(clsT, false)), g("z_target"), TOL, "target head");
      clsT.dispose();
      assertClose(read(m.targetProbabilities(batch.target)), g("target_probs"), TOL, "sharpened + Sinkhorn targets");
      // Step 3: anchors with masks (224→here 128 px random view, 96-px focal views)
      assertClose(read(m.anchorEncoder.forward(batch.anchors, keepAnchors)), g("cls_anchor"), TOL, "masked anchor CLS");
      assertClose(read(m.anchorEncoder.forward(batch.focal, keepFocal)), g("cls_focal"), TOL, "masked 96-px focal CLS");
      const z = m.anchorForward(batch, keepAnchors, keepFocal);
      assertClose(z.dataSync(), g("z_anchor"), TOL, "anchor head after EHR fusion");
      assertClose(read(tf.exp(prototypeLogProbabilities(z, m.prototypes as unknown as tf.Tensor2D, c.tau!))), g("anchor_probs"), TOL, "anchor probabilities");
      z.dispose();
      // Step 4: loss parts and gradients of every trainable tensor
      const r = m.gradients(batch, { keepAnchors, keepFocal });
      for (const k of ["loss", "ce", "meMax", "entropy"] as const) assertClose([r[k]], [meta.scalars[k]], TOL, k);
      assert.deepEqual([...r.grads.keys()].sort(), meta.params.map((p) => p.name).sort());
      const bad = [...r.grads].map(([n, gr]) => [n, maxScaledDiff(gr.dataSync() as Float32Array, g("grad/" + n))] as const).filter(([, d]) => !(d <= TOL));
      assert.equal(bad.map(([n, d]) => `${n} ${d.toExponential(2)}`).join("; "), "", "gradients that differ from PyTorch");
      // Step 5: one AdamW step (msn param groups, clipped)
      const norm = m.optimizer.step(r.grads, c.lr!, c.wd!, c.clip!);
      for (const t of r.grads.values()) t.dispose();
      assertClose([norm], [meta.scalars.gradNorm], TOL, "gradient norm");
      for (const p of meta.params) assertClose(m.anchorParams.get(p.name).dataSync(), g("adamw/" + p.name), TOL, `AdamW ${p.name}`);
    } finally {
      tf.dispose(Object.values(batch));
      m.dispose();
    }
  });

  it("chunked encoder backpropagation (encoderChunk) gives the same loss and gradients", () => {
    const m = parityModel();
    const batch = batchTensors();
    try {
      emaUpdate(m.targetParams, m.anchorParams, c.ema!);
      m.encoderChunk = 3; // 6 anchor views → chunks of 3, 3 (random + focal groups split separately)
      const before = tf.memory().numTensors;
      const r = m.gradients(batch, { keepAnchors, keepFocal });
      for (const k of ["loss", "ce", "meMax", "entropy"] as const) assertClose([r[k]], [meta.scalars[k]], TOL, k);
      const bad = [...r.grads].map(([n, gr]) => [n, maxScaledDiff(gr.dataSync() as Float32Array, g("grad/" + n))] as const).filter(([, d]) => !(d <= TOL));
      assert.equal(bad.map(([n, d]) => `${n} ${d.toExponential(2)}`).join("; "), "", "chunked gradients that differ from PyTorch");
      assert.equal(r.grads.size, meta.params.length);
      for (const t of r.grads.values()) t.dispose();
      assert.equal(tf.memory().numTensors, before, "chunked gradients leak no tensors");
    } finally {
      tf.dispose(Object.values(batch));
      m.dispose();
    }
  });

  it("trainStep does the same five steps end to end", () => {
    const m = parityModel();
    const batch = batchTensors();
    try {
      const r = m.trainStep(batch, { keepAnchors, keepFocal });
      assertClose([r.loss], [meta.scalars.loss], TOL, "trainStep loss");
      assert.equal(r.momentum, c.ema);
      let worst = 0;
      for (const p of meta.params) worst = Math.max(worst, maxScaledDiff(m.anchorParams.get(p.name).dataSync() as Float32Array, g("adamw/" + p.name)));
      assert.ok(worst <= TOL, `parameters after trainStep differ by ${worst}`);
    } finally {
      tf.dispose(Object.values(batch));
      m.dispose();
    }
  });
});
