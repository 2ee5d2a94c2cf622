/**
 * index.html of an export: pick an image, get its features, offline. tfjs comes from the folder
 * (tfjs_bundle.ts); the page's one inline script is classic, so that it runs and reports even where the
 * modules cannot load (opened from file://, tf.min.js missing or altered), then imports mmsn_encoder.js.
 * The page shows its state in `#status` and `<body data-state>` (loading → ready → running → done, or
 * error), errors in `#error` (with the fix), the tfjs backend in `#backend` and the time taken; the picker is
 * disabled until the weights have loaded and while an image runs. The last result is also
 * `window.mmsnResult` ({ file, width, height, features, backend, ms }) for scripts and tests
 * (test/app/export/browser.test.ts drives the page in headless Chromium).
 */
import { tfjsScriptTags, type ShippedScript } from "./tfjs_bundle.js";

/**
 * The page logic (classic script, ES2017, no build step). Colour images use channel 0 as the package does;
 * decoding ignores embedded colour profiles and EXIF orientation, as sharp (data-loaders/image.ts) does.
 */
const PAGE_SCRIPT = String.raw`"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var picker = $("file");
  var SERVE = "Serve this folder over HTTP and open the page from there:\n  cd <this folder> && python3 -m http.server 8000\n  then browse to localhost:8000/index.html";
  var MAX_PIXELS = 89478485; // the package's decode limit (data-loaders/image_header.ts, Pillow's)
  var BITMAP = { colorSpaceConversion: "none", premultiplyAlpha: "none", imageOrientation: "none" };
  function show(state, text) { document.body.dataset.state = state; $("status").textContent = text; }
  function fail(message, pickerUsable) {
    show("error", "error (below)");
    $("error").hidden = false;
    $("error").textContent = message;
    picker.disabled = !pickerUsable;
  }
  function messageOf(e) { return e && e.message ? e.message : String(e); }
  // Anything unexpected is shown too; the picker stays as it was (usable once the weights are in).
  window.addEventListener("error", function (e) { fail("unexpected error: " + e.message, !picker.disabled); });
  window.addEventListener("unhandledrejection", function (e) { fail("unexpected error: " + messageOf(e.reason), !picker.disabled); });
  if (location.protocol === "file:") {
    fail("This page was opened from disk (file://), where the browser blocks what it needs: tf.min.js (its integrity check needs CORS), the module mmsn_encoder.js and the weights (fetch). " + SERVE, false);
    return;
  }
  if (typeof tf === "undefined") {
    fail("TensorFlow.js did not load: tf.min.js is missing beside index.html or does not match the integrity hash in index.html. Export again with mmsn export (it ships tf.min.js).", false);
    return;
  }
  start().catch(function (e) { fail(messageOf(e), false); });

  async function start() {
    show("loading", "loading the weights (model.json, weights.bin)…");
    var mod;
    try { mod = await import("./mmsn_encoder.js"); } catch (e) { throw new Error("cannot load mmsn_encoder.js (" + messageOf(e) + "). " + SERVE); }
    await tf.ready();
    var enc;
    try { enc = await mod.loadEncoder(tf, new URL("./", location.href).href); } catch (e) {
      throw new Error("cannot load the weights: " + messageOf(e) + (e instanceof TypeError ? ". The request failed (network or CORS): " + SERVE : ""));
    }
    var c = enc.config;
    $("backend").textContent = "TensorFlow.js " + tf.version.tfjs + ", backend " + tf.getBackend() + "; encoder ViT " + c.depth + "×" + c.embedDim + ", input " + c.imgSize + "×" + c.imgSize + "×" + c.inChans + ", " + enc.dim + " features";
    picker.addEventListener("change", function () { if (picker.files && picker.files[0]) run(enc, picker.files[0]); });
    picker.disabled = false;
    show("ready", "ready: choose a chest X-ray image");
  }

  async function pixelsOf(file) {
    var bitmap;
    try { bitmap = await createImageBitmap(file, BITMAP); } catch (e) {
      throw new Error("cannot decode " + file.name + ": the browser cannot read it as an image (" + messageOf(e) + "). Choose a PNG or JPEG file.");
    }
    try {
      var w = bitmap.width, h = bitmap.height;
      if (w * h > MAX_PIXELS) throw new Error(file.name + " is " + w + "×" + h + " pixels, more than the package decodes (" + MAX_PIXELS + ")");
      var canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(w, h) : Object.assign(document.createElement("canvas"), { width: w, height: h });
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(bitmap, 0, 0);
      return ctx.getImageData(0, 0, w, h);
    } finally { bitmap.close(); }
  }

  async function run(enc, file) {
    picker.disabled = true;
    $("error").hidden = true;
    $("all").hidden = true;
    $("out").textContent = "";
    show("running", "running: decoding " + file.name + "…");
    try {
      var t0 = performance.now();
      var pixels = await pixelsOf(file);
      var t1 = performance.now();
      show("running", "running: the encoder on " + file.name + "…");
      var x = enc.preprocessPixels(pixels);
      var t2 = performance.now();
      var f = enc.encode(x);
      var v;
      try { v = await f.data(); } finally { tf.dispose([x, f]); }
      var t3 = performance.now();
      var ms = { decode: t1 - t0, preprocess: t2 - t1, encode: t3 - t2, total: t3 - t0 };
      window.mmsnResult = { file: file.name, width: pixels.width, height: pixels.height, features: Array.from(v), backend: tf.getBackend(), ms: ms };
      $("out").textContent = file.name + " (" + pixels.width + "×" + pixels.height + "): " + v.length + " features\n[" + Array.from(v.slice(0, 8), function (a) { return a.toFixed(4); }).join(", ") + ", …]\n" +
        "decode " + ms.decode.toFixed(0) + " ms, preprocess " + ms.preprocess.toFixed(0) + " ms, encoder " + ms.encode.toFixed(0) + " ms (backend " + tf.getBackend() + "; the first image includes compiling the backend's kernels)";
      $("json").value = JSON.stringify(Array.from(v));
      $("all").hidden = false;
      show("done", "done: " + file.name + " in " + ms.total.toFixed(0) + " ms");
    } catch (e) {
      fail(messageOf(e), true);
    } finally {
      picker.disabled = false;
      picker.value = "";
    }
  }
})();
`;

/**
 * The example page written next to an exported encoder, loading `scripts` (relative, with integrity) first;
 * see the module comment for what it shows.
 */
export function browserExampleHtml(scripts: readonly Pick<ShippedScript, "name" | "integrity">[]): string {
  return `<!doctype html>
<!-- Serve this folder over HTTP (e.g. \`python3 -m http.server\`) and open index.html; from file:// the browser blocks it (see README.md). -->
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>multimodal-msn encoder in the browser</title>
<style>body { font: 15px system-ui, sans-serif; margin: 2em; max-width: 52em } #error { color: #b00020; white-space: pre-wrap } pre { white-space: pre-wrap }</style>
<body data-state="loading">
<h1>multimodal-msn: chest X-ray features in the browser</h1>
<p><label>Image: <input type="file" id="file" accept="image/*" disabled></label></p>
<p>State: <strong id="status">loading TensorFlow.js…</strong></p>
<p id="backend"></p>
<pre id="error" role="alert" hidden></pre>
<pre id="out"></pre>
<details id="all" hidden><summary>all features (JSON)</summary><textarea id="json" readonly rows="8" cols="80"></textarea></details>
${tfjsScriptTags(scripts)}
<script>
${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
