/** Notebook display helpers of src/viz: Vega-Lite + SVG bundles, image grids, attention overlays, chart options. */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { VEGA_LITE_MIME, displayChart, tslabDisplay, type TslabDisplay } from "../../src/viz/notebook.js";
import { attentionOverlayRows, clsAttention } from "../../src/viz/attention.js";
import { batchTiles, imageGridJpeg, imageGridPixels, imageGridPng, upscaleTile } from "../../src/viz/image_grid.js";
import { groupedComparisonChart, histogramChart, lineChart } from "../../src/viz/charts.js";
import { renderSvg } from "../../src/viz/render.js";

const REPO = path.resolve(import.meta.dirname, "../..");

describe("displayChart", () => {
  const spec = lineChart([{ step: 0, value: 1, series: "a" }, { step: 1, value: 0.5, series: "a" }], { title: "loss curve" });
  /** A tslab `Display` that records what it is given. */
  const recorder = () => {
    const out: { type: string; data: unknown }[] = [];
    const display: TslabDisplay = {
      svg: (s) => out.push({ type: "image/svg+xml", data: s }),
      png: (b) => out.push({ type: "image/png", data: b }),
      raw: (type, b) => out.push({ type, data: b }),
    };
    return { out, display };
  };

  it("sends one SVG output by default, a PNG or the Vega-Lite spec on request", async () => {
    const r = recorder();
    assert.equal(await displayChart(spec, { display: r.display }), undefined);
    await displayChart(spec, { display: r.display, format: "png" });
    await displayChart(spec, { display: r.display, format: "vega-lite" });
    assert.deepEqual(r.out.map((o) => o.type), ["image/svg+xml", "image/png", VEGA_LITE_MIME]);
    assert.match(String(r.out[0]!.data), /^<svg/);
    assert.equal((await sharp(Buffer.from(r.out[1]!.data as Uint8Array)).metadata()).format, "png");
    assert.deepEqual(r.out[2]!.data, spec);
    await assert.rejects(displayChart(spec, { display: r.display, format: "html" as never }), /format "html" is not one of/);
  });

  it("outside a tslab kernel it says what to use instead", () => {
    assert.throws(() => tslabDisplay(), /not running in a tslab kernel cell.*saveChart/);
  });

  it("in a kernel, writes through the public display of the tslab the kernel loaded", () => {
    // A child process plays the kernel: it loads tslab's modules (as tslab's main does) and sets the cell's
    // display writer; displayChart must find that tslab and write one display-data message through it.
    const kernelTslab = createRequire(import.meta.url).resolve("tslab/dist/jupyter.js");
    const script = `
      import { createRequire } from "node:module";
      const jupyter = createRequire(import.meta.url)(${JSON.stringify(kernelTslab)});
      const msgs = [];
      jupyter.lastWriteDisplayData = (msg) => msgs.push(Object.keys(msg.data));
      const { displayChart } = await import(${JSON.stringify(pathToFileURL(path.join(REPO, "src/viz/notebook.ts")).href)});
      const { lineChart } = await import(${JSON.stringify(pathToFileURL(path.join(REPO, "src/viz/charts.ts")).href)});
      await displayChart(lineChart([{ step: 0, value: 1, series: "a" }], { title: "t" }));
      console.log(JSON.stringify(msgs));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop()!), [["image/svg+xml"]]);
  });
});

describe("image grids", () => {
  it("lays out rows of grey and RGB tiles on white with padding", () => {
    const grey = { width: 2, height: 1, pixels: [0, 1] };
    const rgb = { width: 1, height: 2, pixels: [1, 0, 0, 0, 0, 1], channels: 3 as const };
    const g = imageGridPixels([[grey, rgb], [grey]], { pad: 1 });
    // row 1: 1 + 2 + 1 + 1 + 1 = 6 wide, 2 high; row 2: 1 high → 1 + 2 + 1 + 1 + 1 = 6 high
    assert.deepEqual([g.width, g.height], [6, 6]);
    const px = (x: number, y: number) => Array.from(g.data.subarray((y * g.width + x) * 3, (y * g.width + x) * 3 + 3));
    assert.deepEqual(px(0, 0), [255, 255, 255]);
    assert.deepEqual(px(1, 1), [0, 0, 0]);
    assert.deepEqual(px(2, 1), [255, 255, 255]);
    assert.deepEqual(px(4, 1), [255, 0, 0]);
    assert.deepEqual(px(4, 2), [0, 0, 255]);
    assert.deepEqual(px(1, 4), [0, 0, 0]);
  });

  it("clamps values, rejects mis-sized tiles and empty grids", () => {
    const g = imageGridPixels([[{ width: 1, height: 1, pixels: [2] }, { width: 1, height: 1, pixels: [-1] }]], { pad: 0 });
    assert.deepEqual(Array.from(g.data), [255, 255, 255, 0, 0, 0]);
    assert.throws(() => imageGridPixels([[{ width: 2, height: 2, pixels: [0] }]]), /2×2×1 tile has 1 values/);
    assert.throws(() => imageGridPixels([[]]), /no tiles/);
  });

  it("encodes a PNG of the grid's size", async () => {
    const png = await imageGridPng([[{ width: 8, height: 4, pixels: new Float32Array(32).fill(0.5) }]]);
    const m = await sharp(png).metadata();
    assert.deepEqual([m.format, m.width, m.height], ["png", 16, 12]);
    const jpg = await sharp(await imageGridJpeg([[{ width: 8, height: 4, pixels: new Float32Array(32).fill(0.5) }]], { pad: 0, quality: 70 })).metadata();
    assert.deepEqual([jpg.format, jpg.width, jpg.height], ["jpeg", 8, 4]);
    await assert.rejects(imageGridJpeg([[{ width: 1, height: 1, pixels: [0] }]], { quality: 0 }), /quality/);
  });

  it("upscaleTile repeats pixels; batchTiles splits a batch and maps values", () => {
    const up = upscaleTile({ width: 2, height: 1, pixels: [0.1, 0.9] }, 2);
    assert.deepEqual([up.width, up.height], [4, 2]);
    assert.deepEqual(Array.from(up.pixels, (v) => +v.toFixed(1)), [0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9]);
    assert.throws(() => upscaleTile(up, 1.5), /positive integer/);
    const tiles = batchTiles(Float32Array.from([0, 1, 2, 3]), 2, 1, 2, (v) => v / 4);
    assert.equal(tiles.length, 2);
    assert.deepEqual(Array.from(tiles[1]!.pixels), [0.5, 0.75]);
  });
});

describe("attention maps", () => {
  it("clsAttention averages the CLS row over heads and leaves no tensor behind", () => {
    // B = 1, 2 heads, T = 1 + 4 tokens: head 0 attends to patch 1, head 1 to patch 4 (+ CLS weight 0.2).
    const a = new Float32Array(1 * 2 * 5 * 5);
    a.set([0.2, 0.8, 0, 0, 0], 0);
    a.set([0.2, 0, 0, 0, 0.8], 25);
    const t = tf.tensor4d(a, [1, 2, 5, 5]);
    const before = tf.memory().numTensors;
    const c = clsAttention(t);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual([c.batch, c.grid], [1, 2]);
    assert.deepEqual(Array.from(c.maps, (v) => +v.toFixed(3)), [0.4, 0, 0, 0.4]);
    t.dispose();
    const bad = tf.zeros([1, 1, 4, 4]) as tf.Tensor4D;
    assert.throws(() => clsAttention(bad), /square grid/);
    bad.dispose();
  });

  it("attentionOverlayRows gives image, min–max heat map and overlay tiles per image", () => {
    const att = { maps: Float32Array.from([1, 0, 0, 0]), batch: 1, grid: 2 };
    const rows = attentionOverlayRows(new Float32Array(16).fill(0.5), 4, att, { alpha: 0.5 });
    assert.equal(rows.length, 1);
    const [img, heat, overlay] = rows[0]!;
    assert.equal(img!.pixels[0], 0.5);
    assert.ok(Math.abs(heat!.pixels[0]! - 1) < 1e-6 && Math.abs(heat!.pixels[15]!) < 1e-6, "corners: max at top left, min at bottom right");
    assert.equal(overlay!.channels, 3);
    assert.deepEqual(Array.from(overlay!.pixels.slice(0, 3) as Float32Array, (v) => +v.toFixed(3)), [0.75, 0.25, 0.25]);
    assert.throws(() => attentionOverlayRows(new Float32Array(3), 4, att), /pixel values/);
  });
});

describe("chart options", () => {
  it("groupedComparisonChart rotates x labels with labelAngle (default 0) and checks the range", async () => {
    const pts = [{ category: "Enlarged Cardiomediastinum", series: "MSN", value: 0.6 }];
    const angle = (s: unknown) => (s as { layer: { encoding: { x: { axis: { labelAngle: number } } } }[] }).layer[0]!.encoding.x.axis.labelAngle;
    assert.equal(angle(groupedComparisonChart(pts)), 0);
    const spec = groupedComparisonChart(pts, { labelAngle: -40 });
    assert.equal(angle(spec), -40);
    assert.match(await renderSvg(spec), /rotate\(320\)/);
    assert.throws(() => groupedComparisonChart(pts, { labelAngle: 120 }), /labelAngle/);
  });

  it("groupedComparisonChart: sideBySide false drops the x offset and keeps the colours", async () => {
    const pts = [{ category: "male", series: "sex", value: 0.5 }, { category: "PA", series: "view", value: 0.3 }];
    const enc = (s: unknown) => (s as { layer: { encoding: Record<string, unknown> }[] }).layer[0]!.encoding;
    assert.ok(enc(groupedComparisonChart(pts)).xOffset);
    const spec = groupedComparisonChart(pts, { sideBySide: false });
    assert.equal(enc(spec).xOffset, undefined);
    assert.ok(enc(spec).color);
    assert.match(await renderSvg(spec), /^<svg/);
  });

  it("histogramChart bins values, stacks series and renders", async () => {
    const spec = histogramChart([{ value: 20, series: "F" }, { value: 31, series: "M" }, { value: NaN }], { binStep: 5, xTitle: "age" }) as { data: { values: unknown[] }; encoding: { x: { bin: unknown }; color?: unknown } };
    assert.equal(spec.data.values.length, 2);
    assert.deepEqual(spec.encoding.x.bin, { step: 5 });
    assert.ok(spec.encoding.color);
    assert.match(await renderSvg(spec as never), /^<svg/);
    assert.equal((histogramChart([{ value: 1 }]) as { encoding: { color?: unknown } }).encoding.color, undefined);
    assert.throws(() => histogramChart([], { binStep: 0 }), /binStep/);
  });
});
