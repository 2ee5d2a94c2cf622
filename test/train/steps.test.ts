/** Steps per epoch: data epochs (drop_last) and the schedule unit of a run. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scheduleStepsPerEpoch, stepsPerEpoch } from "../../src/train/steps.js";

describe("steps per epoch", () => {
  it("stepsPerEpoch drops the last partial batch and is at least 1", () => {
    assert.equal(stepsPerEpoch(25, 4), 6);
    assert.equal(stepsPerEpoch(24, 4), 6);
    assert.equal(stepsPerEpoch(3, 4), 1);
    assert.equal(stepsPerEpoch(0, 4), 1);
  });

  it("scheduleStepsPerEpoch spreads the schedule epochs over the run's steps", () => {
    assert.equal(scheduleStepsPerEpoch(7, 1), 7);
    assert.equal(scheduleStepsPerEpoch(30, 10), 3);
    assert.equal(scheduleStepsPerEpoch(25, 10), 3);
    assert.equal(scheduleStepsPerEpoch(4, 100), 1);
    assert.equal(scheduleStepsPerEpoch(5, 0), 5);
  });
});
