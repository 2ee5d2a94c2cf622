/** The synthetic signal is real: image and EHR probes beat chance on held-out patients. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EHR_PREDICTABLE_LABELS, runSignalCheck } from "../../app/synth/signal_check.js";
import { fitLogistic, predictLogistic } from "../../app/synth/logistic.js";

test("logistic regression separates a separable toy problem", () => {
  const X = [[0], [1], [2], [3], [4], [5]], y = [0, 0, 0, 1, 1, 1];
  const p = predictLogistic(fitLogistic(X, y), X);
  assert.ok(p[0]! < 0.5 && p[5]! > 0.5);
});

test("signal check: image macro AUROC > 0.6, EHR AUROC > 0.55 on the EHR-predictable labels", () => {
  const r = runSignalCheck({ seed: 24, images: 2000, imageSize: 128 });
  assert.ok(r.testSubjects > 100 && r.testImages > 400, `test split ${r.testSubjects} subjects / ${r.testImages} images`);
  assert.ok(r.image.macro > 0.6, `image macro AUROC ${r.image.macro}`);
  assert.ok(r.ehr.macroPredictable > 0.55, `EHR macro AUROC on ${EHR_PREDICTABLE_LABELS.join(", ")}: ${r.ehr.macroPredictable}`);
  for (const l of ["Support Devices", "Pleural Effusion", "Atelectasis"]) {
    assert.ok((r.ehr.perLabel[l] ?? 0) > 0.55, `EHR AUROC ${l} ${r.ehr.perLabel[l]}`);
  }
});
