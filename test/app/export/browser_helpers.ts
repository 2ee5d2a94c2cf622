/** Helpers of browser.test.ts (not a test file): a local static server, and the package's features of one image. */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname, extname, join, normalize, sep } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { evalViews, datasetFeatures } from "../../../app/data.js";
import { EVAL_NORMALIZATION, evalTransform, finishDataset, LoadReport, readGrayImage } from "../../../data-loaders/index.js";
import type { MultimodalMSN } from "../../../src/msn/multimodal_msn.js";

/** A running local server. */
export interface Served {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly root: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".json": "application/json", ".md": "text/markdown", ".txt": "text/plain" };

/** Serve the files under `root` on 127.0.0.1 (a random port), as `python3 -m http.server` would. */
export async function serveFolder(root: string): Promise<Served> {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (!path.startsWith(root + sep)) return void res.writeHead(403).end();
    readFile(path).then(
      (body) => res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body),
      () => res.writeHead(404).end("not found"),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, root, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The package's features of one image file with `model`'s target encoder:
 * - `probe`: what the linear probe computes, `datasetFeatures` (decode with shortSide 2×size, then evalTransform);
 * - `full`: `readGrayImage` at full resolution, then `evalTransform` (the transform itself, no shrink on decode).
 */
export async function oneImageFeatures(model: MultimodalMSN, file: string, how: "probe" | "full"): Promise<Float32Array> {
  const { size, channels } = evalViews(model.config);
  const encode = (x: tf.Tensor4D) => model.encode(x);
  if (how === "probe") {
    const c = { ids: [basename(file)], paths: [file], labels: [0], views: ["PA"], patientIds: ["p1"], studyIds: ["s1"], split: ["test" as const], ages: [50], sexes: ["M" as const] };
    const ds = finishDataset("browser-test", dirname(file), ["Finding"], c, new LoadReport(file));
    const f = await datasetFeatures(encode, ds, { size, channels });
    if (f.n !== 1) throw new Error(`${file}: the package could not read it (${String(f.report)})`);
    return f.features;
  }
  const img = await readGrayImage(file);
  const x = tf.tensor4d(evalTransform(img, { resize: Math.round((size * 256) / 224), crop: size, channels, norm: EVAL_NORMALIZATION }), [1, size, size, channels]);
  const y = encode(x);
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}
