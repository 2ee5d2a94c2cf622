/**
 * The exported page (index.html + mmsn_encoder.js + tf.min.js) in a real browser: headless Chromium
 * (/usr/bin/chromium, driven by playwright-core), served from a local HTTP server, with every other request
 * aborted (offline). Image files are fed to the page's picker; the page's features must equal the package's
 * own preprocessing + `model.encode` within 1e-4 (max absolute difference over the features). The page also
 * reports its state, the backend and its errors (undecodable file, file://, tfjs missing, weights unreachable).
 * Without Chromium or playwright-core the tests skip loudly (a failure under CI=true).
 */
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { EVAL_NORMALIZATION } from "../../../data-loaders/index.js";
import { exportEncoder } from "../../../app/export/export.js";
import { MultimodalMSN } from "../../../src/msn/multimodal_msn.js";
import { skipLoudly } from "../../helpers/skip.js";
import { oneImageFeatures, serveFolder, type Served } from "./browser_helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), "mmsn-browser-"));
/** An NIH-14 sample PNG (1024², 8-bit grey), wherever the real samples are in this checkout. */
const NIH_PNG = join(ROOT, "test/fixtures/real-samples/nih-chestxray14/images/00000001_000.png");

/** Why the browser tests cannot run here, or undefined. */
async function missing(): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `no ${CHROMIUM}: the exported page is not tested in a browser (apt-get install chromium)`;
  try {
    await import("playwright-core");
    return undefined;
  } catch (e) {
    return `playwright-core does not load (${(e as Error).message}): the exported page is not tested in a browser (npm install)`;
  }
}

/** A PNG of `w`×`h` with `channels` 8-bit bands (a gradient plus noise, bands differing), written to TMP. */
async function syntheticPng(name: string, w: number, h: number, channels: 1 | 3): Promise<string> {
  const data = Buffer.alloc(w * h * channels);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const x = Math.floor(i / channels) % w;
    data[i] = Math.min(255, Math.floor((x * 200) / w + (s >>> 24) / 4 + (i % channels) * 17));
  }
  const file = join(TMP, name);
  await sharp(data, { raw: { width: w, height: h, channels } }).png().toFile(file);
  return file;
}

/** max |a − b| and the cosine of two feature vectors. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { maxAbs: number; cosine: number } {
  assert.equal(a.length, b.length, "feature count");
  let maxAbs = 0, ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return { maxAbs, cosine: ab / Math.sqrt(aa * bb) };
}

interface PageResult {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly features: number[];
  readonly backend: string;
  readonly ms: { readonly total: number };
}

/** The page's DOM as these tests read it (the test code has no DOM types; the callbacks run in the page). */
interface PageGlobals {
  document: { body: { dataset: Record<string, string | undefined> }; getElementById(id: string): { textContent: string | null } };
  mmsnResult?: PageResult;
  tf: { getBackend(): string };
}

const state = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.dataset.state);
const text = (page: Page, id: string) => page.evaluate((i) => (globalThis as unknown as PageGlobals).document.getElementById(i).textContent ?? "", id);
/** Wait until the page's state is one of `states`. */
const waitState = (page: Page, states: string[], timeout = 120_000) =>
  page.waitForFunction((s) => s.includes((globalThis as unknown as PageGlobals).document.body.dataset.state ?? ""), states, { timeout });

/** Pick `file` in the page and wait for it to finish; the page's result, or its error. */
async function pick(page: Page, file: string): Promise<{ result?: PageResult; error?: string }> {
  await page.evaluate(() => void ((globalThis as unknown as PageGlobals).mmsnResult = undefined));
  await page.setInputFiles("#file", file);
  await waitState(page, ["done", "error"]);
  if ((await state(page)) === "error") return { error: await text(page, "error") };
  return { result: await page.evaluate(() => (globalThis as unknown as PageGlobals).mmsnResult!) };
}

describe("the exported page in headless Chromium, offline", () => {
  let why: string | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let served: Served;
  let page: Page;
  const blocked: string[] = [];
  const models: MultimodalMSN[] = [];
  let grey: MultimodalMSN, rgb: MultimodalMSN;

  before(async () => {
    why = await missing();
    if (why !== undefined) return;
    grey = new MultimodalMSN("test"); // ViT 2×32, 32 px, 1 channel
    rgb = new MultimodalMSN("test", { vit: { inChans: 3 }, seed: 5 });
    models.push(grey, rgb);
    await exportEncoder(grey, join(TMP, "web1"), EVAL_NORMALIZATION);
    await exportEncoder(rgb, join(TMP, "web3"), EVAL_NORMALIZATION);
    served = await serveFolder(TMP);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"] });
    context = await browser.newContext();
    // Offline: only the local server and local files are reachable; anything else is aborted and recorded.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(served.origin + "/") || url.startsWith("file://") || url.startsWith("data:")) return route.continue();
      blocked.push(url);
      return route.abort("internetdisconnected");
    });
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    for (const m of models) m.dispose();
    rmSync(TMP, { recursive: true, force: true });
  });

  it("loads offline; the picker stays disabled until the weights have arrived; shows the backend", async (t) => {
    if (why !== undefined) return skipLoudly(t, why);
    page = await context.newPage();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let weightsAsked!: () => void;
    const asked = new Promise<void>((r) => (weightsAsked = r));
    await page.route("**/web1/weights.bin", async (route) => {
      weightsAsked();
      await held;
      await route.fallback();
    });
    await page.goto(`${served.origin}/web1/index.html`);
    await asked;
    try {
      assert.equal(await state(page), "loading");
      assert.match(await text(page, "status"), /loading the weights/);
      assert.equal(await page.isDisabled("#file"), true, "the picker is disabled while the weights load");
    } finally {
      release(); // the page may be used by the next tests even when this one failed
    }
    await waitState(page, ["ready", "error"], 60_000);
    assert.equal(await state(page), "ready", await text(page, "error"));
    assert.equal(await page.isDisabled("#file"), false);
    const backend = await page.evaluate(() => (globalThis as unknown as PageGlobals).tf.getBackend());
    assert.match(await text(page, "backend"), new RegExp(`TensorFlow\\.js 4\\.\\d+\\.\\d+, backend ${backend}; encoder ViT 2×32, input 32×32×1, 32 features`));
  });

  it("an image whose shorter side is below 2×size: the page's features = the probe's (datasetFeatures + model.encode) within 1e-4", async (t) => {
    if (why !== undefined) return skipLoudly(t, why);
    const png = await syntheticPng("small.png", 60, 50, 1);
    const { result, error } = await pick(page, png);
    assert.equal(error, undefined);
    const want = await oneImageFeatures(grey, png, "probe");
    const d = compare(result!.features, want);
    console.log(`  small.png 60×50 grey, backend ${result!.backend}: max |page − package| ${d.maxAbs.toExponential(2)}, cosine ${d.cosine.toFixed(8)}, page ${result!.ms.total.toFixed(0)} ms`);
    assert.ok(d.maxAbs < 1e-4, `max abs difference ${d.maxAbs}`);
    assert.match(await text(page, "status"), /^done: small\.png in \d+ ms$/);
    assert.match(await text(page, "out"), /32 features[\s\S]*encoder \d+ ms \(backend \w+/);
  });

  it("an undecodable file: the page says so, and the picker works again afterwards", async (t) => {
    if (why !== undefined) return skipLoudly(t, why);
    const bad = join(TMP, "broken.png");
    writeFileSync(bad, Buffer.concat([readFileSync(join(TMP, "small.png")).subarray(0, 40), Buffer.from("not the rest of a PNG")]));
    const { error } = await pick(page, bad);
    assert.match(error ?? "", /^cannot decode broken\.png: the browser cannot read it as an image \(.+\)\. Choose a PNG or JPEG file\.$/);
    assert.equal(await page.isDisabled("#file"), false, "another image may be picked");
  });

  it("a large colour image (channel 0, as the package) and a real NIH PNG: the page = readGrayImage + evalTransform + model.encode within 1e-4", async (t) => {
    if (why !== undefined) return skipLoudly(t, why);
    const files = [await syntheticPng("colour.png", 300, 200, 3), NIH_PNG];
    for (const file of files) {
      const { result, error } = await pick(page, file);
      assert.equal(error, undefined, file);
      const d = compare(result!.features, await oneImageFeatures(grey, file, "full"));
      const probe = compare(result!.features, await oneImageFeatures(grey, file, "probe"));
      console.log(`  ${basename(file)} ${result!.width}×${result!.height}: max |page − package| ${d.maxAbs.toExponential(2)} (cosine ${d.cosine.toFixed(8)}); vs the probe, which shrinks on decode first (libvips): ${probe.maxAbs.toExponential(2)} (cosine ${probe.cosine.toFixed(6)})`);
      assert.ok(d.maxAbs < 1e-4, `${file}: max abs difference ${d.maxAbs}`);
    }
  });

  it("a 3-channel encoder: the page's features = the probe's within 1e-4", async (t) => {
    if (why !== undefined) return skipLoudly(t, why);
    const p3 = await context.newPage();
    await p3.goto(`${served.origin}/web3/index.html`);
    await waitState(p3, ["ready", "error"], 60_000);
    assert.equal(await state(p3), "ready", await text(p3, "error"));
    const png = await syntheticPng("small-rgb.png", 64, 48, 3);
    const { result, error } = await pick(p3, png);
    assert.equal(error, undefined);
    const d = compare(result!.features, await oneImageFeatures(rgb, png, "probe"));
    console.log(`  small-rgb.png 64×48, 3-channel encoder: max |page − package| ${d.maxAbs.toExponential(2)}`);
    assert.ok(d.maxAbs < 1e-4, `max abs difference ${d.maxAbs}`);
    await p3.close();
  });

  it("errors reach the page with their fix: opened from file://, tf.min.js missing, weights unreachable", async (t) => {
    if (why !== undefined) return skipLoudly(t, why);
    const p = await context.newPage();
    await p.goto("file://" + join(TMP, "web1", "index.html"));
    await waitState(p, ["error"], 30_000);
    assert.match(await text(p, "error"), /opened from disk \(file:\/\/\)[\s\S]*python3 -m http\.server/);
    await p.route("**/tf.min.js", (route) => route.abort());
    await p.goto(`${served.origin}/web1/index.html`);
    await waitState(p, ["error"], 30_000);
    assert.match(await text(p, "error"), /^TensorFlow\.js did not load: tf\.min\.js is missing/);
    await p.unroute("**/tf.min.js");
    await p.route("**/weights.bin", (route) => route.abort("connectionrefused"));
    await p.goto(`${served.origin}/web1/index.html`);
    await waitState(p, ["error"], 60_000);
    assert.match(await text(p, "error"), /^cannot load the weights: .*The request failed \(network or CORS\)[\s\S]*python3 -m http\.server/);
    assert.equal(await p.isDisabled("#file"), true, "no picker without weights");
    await p.close();
    assert.deepEqual(blocked, [], "the pages asked for nothing outside the local server");
  });
});
