/**
 * Parity of auroc / averagePrecision / evaluateMultilabel with scikit-learn. The golden file is produced by
 * test/reference/eval_sklearn_reference.py; this test regenerates it live and fails when the committed file
 * is stale, then compares within 1e-9.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirePython } from "../helpers/python.js";
import { auroc, averagePrecision, evaluateMultilabel } from "../../src/eval/metrics.js";

const GOLDEN = "test/golden/eval_metrics.json";
const SCRIPT = "test/reference/eval_sklearn_reference.py";

interface BinaryCase { name: string; y: number[]; s: number[]; auroc: number; ap: number }
interface Golden {
  binary: BinaryCase[];
  multilabel: {
    n: number; numLabels: number; y: number[]; s: number[];
    perLabelAuroc: number[]; perLabelAp: number[]; macroAuroc: number; macroAp: number;
  };
}

test("golden eval_metrics.json is reproduced live by the committed sklearn script", (t) => {
  const py = requirePython(t, ["sklearn", "numpy"], ["python3-sklearn", "python3-numpy"]);
  if (!py) return;
  const dir = mkdtempSync(join(tmpdir(), "eval-golden-"));
  try {
    const out = join(dir, "eval_metrics.json");
    execFileSync(py, [SCRIPT, out], { stdio: "inherit" });
    assert.equal(readFileSync(out, "utf8"), readFileSync(GOLDEN, "utf8"), `${GOLDEN} is stale: rerun ${SCRIPT}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("auroc and averagePrecision match sklearn within 1e-9 (ties, imbalance, random)", () => {
  const g = JSON.parse(readFileSync(GOLDEN, "utf8")) as Golden;
  assert.ok(g.binary.length >= 10);
  for (const c of g.binary) {
    assert.ok(Math.abs(auroc(c.y, c.s) - c.auroc) <= 1e-9, `${c.name}: auroc ${auroc(c.y, c.s)} vs sklearn ${c.auroc}`);
    const ap = averagePrecision(c.y, c.s);
    assert.ok(Math.abs(ap - c.ap) <= 1e-9, `${c.name}: ap ${ap} vs sklearn ${c.ap}`);
  }
});

test("evaluateMultilabel per-label and macro values match sklearn average='macro' within 1e-9", () => {
  const { multilabel: m } = JSON.parse(readFileSync(GOLDEN, "utf8")) as Golden;
  const names = Array.from({ length: m.numLabels }, (_, i) => `label${i}`);
  const ev = evaluateMultilabel(Float64Array.from(m.y), Float64Array.from(m.s), m.numLabels, names, { bootstrap: 0 });
  assert.equal(ev.excluded.length, 0);
  assert.equal(ev.perLabel.length, m.numLabels);
  ev.perLabel.forEach((p, j) => {
    assert.ok(Math.abs(p.auroc - m.perLabelAuroc[j]!) <= 1e-9, `label ${j} auroc`);
    assert.ok(Math.abs(p.auprc - m.perLabelAp[j]!) <= 1e-9, `label ${j} ap`);
  });
  assert.ok(Math.abs(ev.macroAuroc - m.macroAuroc) <= 1e-9);
  assert.ok(Math.abs(ev.macroAuprc - m.macroAp) <= 1e-9);
});
