/**
 * metrics.csv (src/io/metrics_csv.ts): the monitor columns may be empty and nothing else may; a file written
 * before the monitor columns existed (the legacy 10-column header) is read with its rows widened to the new
 * columns, and truncateMetrics rewrites it with the new header on resume.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { METRICS_COLUMNS, METRICS_HEADER, MONITOR_COLUMNS, readMetricsRows, truncateMetrics } from "../../src/io/metrics_csv.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-metrics-csv-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const LEGACY_HEADER = "step,loss,ce,me_max,entropy,lr,weight_decay,momentum,grad_norm,images_per_second";
let files = 0;
const write = (text: string): string => {
  const path = join(TMP, `metrics-${files++}.csv`);
  writeFileSync(path, text);
  return path;
};
/** A legacy row of `step` (10 numbers, the last images/s). */
const legacyRow = (step: number) => `${step},${1 - step / 10},0.9,0.01,2.5,0.001,0.04,0.996,${1.5 + step},${12.25 + step}`;
/** A current row of `step` (16 fields); `monitor` fills the six monitor columns. */
const row = (step: number, monitor?: number[]) => `${step},0.5,0.4,0.02,2.1,0.001,0.04,0.996,1.25,${(monitor ?? MONITOR_COLUMNS.map(() => "")).join(",")},33.5`;

describe("metrics.csv columns", () => {
  it("has the monitor columns between grad_norm and images_per_second", () => {
    assert.deepEqual(MONITOR_COLUMNS, ["knn_auroc", "effective_rank", "feature_std", "proto_entropy", "proto_mean_entropy", "protos_in_use"]);
    assert.equal(METRICS_COLUMNS.length, 16);
    assert.equal(METRICS_HEADER, `step,loss,ce,me_max,entropy,lr,weight_decay,momentum,grad_norm,${MONITOR_COLUMNS.join(",")},images_per_second\n`);
    assert.equal(row(0).split(",").length, 16);
  });
});

describe("readMetricsRows", () => {
  it("accepts rows with empty monitor fields next to rows with a reading", () => {
    const rows = [row(0), row(1, [0.612345, 11.5, 0.123456, 2.5, 1.25, 9]), row(2), row(3, [0.7, 12, 0.2, 2.4, 1.1, 10])];
    const path = write(METRICS_HEADER + rows.map((r) => r + "\n").join(""));
    const r = readMetricsRows(path);
    assert.deepEqual(r.rows, rows);
    assert.deepEqual(r.steps, [0, 1, 2, 3]);
    assert.equal(r.torn, undefined);
    assert.deepEqual(r.rows[0]!.split(",").slice(9, 15), ["", "", "", "", "", ""]);
  });

  it("accepts some monitor fields empty and others filled (each monitor column is optional on its own)", () => {
    const partial = "0,0.5,0.4,0.02,2.1,0.001,0.04,0.996,1.25,0.5,,,2.5,,7,33.5";
    assert.deepEqual(readMetricsRows(write(METRICS_HEADER + partial + "\n")).rows, [partial]);
  });

  for (const [column, index] of [["step", 0], ["loss", 1], ["grad_norm", 8], ["images_per_second", 15]] as const) {
    it(`rejects an empty ${column} field, naming the file and line`, () => {
      const bad = row(1).split(",");
      bad[index] = "";
      const text = METRICS_HEADER + row(0) + "\n" + bad.join(",") + "\n" + row(2) + "\n";
      const path = write(text);
      assert.throws(
        () => readMetricsRows(path),
        (e: Error) => {
          assert.ok(e.message.startsWith(`${path} line 3: ${JSON.stringify(bad.join(",").slice(0, 80))} is not a metrics row (16 numbers, the step first, steps increasing);`), e.message);
          assert.match(e.message, /repair or delete it .*--overwrite$/);
          return true;
        },
      );
      assert.equal(readFileSync(path, "utf8"), text, "the file is left as it was");
    });
  }

  it("rejects garbage in a monitor column, a row of the wrong width, and a legacy-width row under the new header", () => {
    const garbage = row(0, [0.5, 1, 2, 3, 4, 5]).replace(",0.5,1,", ",abc,1,");
    assert.throws(() => readMetricsRows(write(METRICS_HEADER + garbage + "\n")), /line 2: .* is not a metrics row \(16 numbers/);
    assert.throws(() => readMetricsRows(write(METRICS_HEADER + row(0) + ",1\n")), /line 2: .* is not a metrics row \(16 numbers/);
    assert.throws(() => readMetricsRows(write(METRICS_HEADER + row(0) + "\n" + legacyRow(1) + "\n")), /line 3: .* is not a metrics row \(16 numbers/);
    assert.throws(() => readMetricsRows(write(METRICS_HEADER + row(1) + "\n" + row(1) + "\n")), /line 3: .*steps increasing/);
  });

  it("reads a legacy 10-column file with its rows widened to the new columns (monitor fields empty)", () => {
    const path = write(LEGACY_HEADER + "\n" + [0, 1, 2].map((s) => legacyRow(s) + "\n").join(""));
    const r = readMetricsRows(path);
    assert.deepEqual(r.steps, [0, 1, 2]);
    assert.equal(r.rows.length, 3);
    r.rows.forEach((got, s) => {
      const f = got.split(",");
      const old = legacyRow(s).split(",");
      assert.equal(f.length, METRICS_COLUMNS.length);
      assert.deepEqual(f.slice(0, 9), old.slice(0, 9));
      assert.deepEqual(f.slice(9, 15), ["", "", "", "", "", ""]);
      assert.equal(f[15], old[9]);
      assert.equal(Number(f[METRICS_COLUMNS.indexOf("images_per_second")]), 12.25 + s);
    });
  });

  it("a legacy file's rows must be 10 numbers: no empty fields, no new-width rows", () => {
    const empty = legacyRow(1).replace(",0.9,", ",,");
    assert.throws(() => readMetricsRows(write(`${LEGACY_HEADER}\n${legacyRow(0)}\n${empty}\n`)), /line 3: .* is not a metrics row \(10 numbers, the step first, steps increasing\)/);
    assert.throws(() => readMetricsRows(write(`${LEGACY_HEADER}\n${row(0)}\n`)), /line 2: .* is not a metrics row \(10 numbers/);
  });

  it("rejects an unknown header naming line 1", () => {
    const path = write(LEGACY_HEADER.replace("grad_norm,", "") + "\n" + "0,1,1,1,1,1,1,1,1\n");
    assert.throws(() => readMetricsRows(path), new RegExp(`^Error: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} line 1: header "step,loss,ce,me_max,entropy,lr,weight_decay,momentum,images_per_second" is not `));
  });
});

describe("truncateMetrics", () => {
  it("rewrites a legacy file with the new header, its kept rows widened, keeping only steps < N", () => {
    const path = write(LEGACY_HEADER + "\n" + [0, 1, 2, 3, 4].map((s) => legacyRow(s) + "\n").join(""));
    truncateMetrics(path, 3);
    const text = readFileSync(path, "utf8");
    const lines = text.split("\n");
    assert.equal(lines[0] + "\n", METRICS_HEADER);
    assert.equal(lines.at(-1), "", "ends with a newline");
    const body = lines.slice(1, -1);
    assert.deepEqual(body.map((l) => l.split(",")[0]), ["0", "1", "2"]);
    body.forEach((l, s) => {
      const old = legacyRow(s).split(",");
      assert.equal(l, [...old.slice(0, 9), "", "", "", "", "", "", old[9]].join(","));
    });
    // The rewritten file reads back as a current file, and new rows can follow it.
    writeFileSync(path, text + row(3, [0.5, 3.25, 0.1, 2, 1, 4]) + "\n");
    assert.deepEqual(readMetricsRows(path).steps, [0, 1, 2, 3]);
  });

  it("keeps monitor fields of a current file and drops the rows from step N on", () => {
    const rows = [row(0), row(1, [0.6, 11, 0.12, 2.5, 1.2, 9]), row(2), row(3, [0.7, 12, 0.2, 2.4, 1.1, 10])];
    const path = write(METRICS_HEADER + rows.map((r) => r + "\n").join(""));
    truncateMetrics(path, 2);
    assert.equal(readFileSync(path, "utf8"), METRICS_HEADER + rows[0] + "\n" + rows[1] + "\n");
    truncateMetrics(path, 0);
    assert.equal(readFileSync(path, "utf8"), METRICS_HEADER);
  });

  it("leaves a legacy file with garbage untouched and names the line", () => {
    const text = `${LEGACY_HEADER}\n${legacyRow(0)}\n${legacyRow(1).replace("0.9", "x")}\n`;
    const path = write(text);
    assert.throws(() => truncateMetrics(path, 1), /line 3: .* is not a metrics row \(10 numbers/);
    assert.equal(readFileSync(path, "utf8"), text);
  });
});
