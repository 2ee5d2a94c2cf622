/** Patch dropping: counts, CLS handling and the official code's sequence-length quirk. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomKeepIndices } from "../../src/models/masking.js";
import { Rng } from "../../src/utils/rng.js";

describe("randomKeepIndices", () => {
  it("quirk (CXR-EHR-MSN): ⌊196·0.85⌋ = 166 tokens incl. CLS at 224 px, 30 at 96 px, last patch never kept", () => {
    const k224 = randomKeepIndices(64, 196, 0.15, new Rng(1), true);
    const k96 = randomKeepIndices(64, 36, 0.15, new Rng(2), true);
    assert.equal(k224.keep, 166);
    assert.equal(k96.keep, 30);
    for (const k of [k224, k96]) {
      for (let b = 0; b < k.batch; b++) {
        const row = Array.from(k.idx.subarray(b * k.keep, (b + 1) * k.keep));
        assert.equal(row[0], 0, "CLS first");
        assert.equal(new Set(row).size, row.length, "no repeats");
        assert.ok(!row.includes(k.tokens - 1), "the last patch is never kept");
      }
    }
  });

  it("msn: CLS + ⌊196·0.85⌋ = 166 patches, every patch can be kept", () => {
    const k = randomKeepIndices(200, 196, 0.15, new Rng(3), false);
    assert.equal(k.keep, 167);
    const seen = new Set(k.idx);
    assert.ok(seen.has(196), "last patch drawn at least once in 200 images");
  });

  it("is deterministic for a seed", () => {
    assert.deepEqual(randomKeepIndices(4, 36, 0.15, new Rng(9), true).idx, randomKeepIndices(4, 36, 0.15, new Rng(9), true).idx);
  });
});
