/** Schedules are pure functions of the step with the reference implementations' values. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scheduleValue } from "../../src/optim/schedules.js";
import { msnConfig } from "../../src/config/msn.js";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe("schedules", () => {
  it("epochCosine = torch CosineAnnealingLR(T_max=epochs, eta_min) stepped per epoch", () => {
    const s = { kind: "epochCosine", start: 1e-4, end: 0, epochs: 100 } as const;
    close(scheduleValue(s, 0, 10), 1e-4);
    close(scheduleValue(s, 9, 10), 1e-4); // constant within epoch 0
    close(scheduleValue(s, 10, 10), 1e-4 * 0.5 * (1 + Math.cos(Math.PI / 100)));
    close(scheduleValue(s, 500, 10), 5e-5);
    close(scheduleValue(s, 1000, 10), 0);
  });

  it("warmupCosine = msn WarmupCosineSchedule (linear warmup, cosine to final, stretched horizon)", () => {
    const s = msnConfig("msn_vits16").optimizer.lr;
    const ipe = 100;
    close(scheduleValue(s, 0, ipe), 2e-4);
    close(scheduleValue(s, 750, ipe), 2e-4 + 0.5 * (1e-3 - 2e-4));
    close(scheduleValue(s, 1500, ipe), 1e-3);
    const atEnd = scheduleValue(s, 800 * ipe, ipe); // 800 of the 1000 stretched epochs: not yet at final_lr
    assert.ok(atEnd > 1e-6 && atEnd < 1e-3);
    close(scheduleValue(s, 10_000_000, ipe), 1e-6);
  });

  it("cosine weight decay 0.04 → 0.4 and linear EMA 0.996 → 1", () => {
    const c = msnConfig("msn_vits16");
    close(scheduleValue(c.optimizer.weightDecay, 0, 10), 0.04);
    close(scheduleValue(c.optimizer.weightDecay, 5000, 10), 0.22);
    close(scheduleValue(c.optimizer.weightDecay, 10000, 10), 0.4);
    close(scheduleValue(c.ema, 0, 10), 0.996);
    close(scheduleValue(c.ema, 5000, 10), 0.998);
    close(scheduleValue(c.ema, 20000, 10), 1);
  });

  it("is a pure function of the step (resume at any step)", () => {
    const s = { kind: "warmupCosine", start: 0, peak: 1, end: 0.1, warmupEpochs: 2, epochs: 9 } as const;
    const seq = Array.from({ length: 50 }, (_, i) => scheduleValue(s, i, 5));
    assert.deepEqual(Array.from({ length: 50 }, (_, i) => scheduleValue(s, i, 5)), seq);
  });
});
