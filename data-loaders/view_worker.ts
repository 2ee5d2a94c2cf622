/**
 * Worker side of {@link ViewPool}: computes the MSN views of one decoded image per message into the batch's
 * shared arrays and answers `{ id }` (or `{ id, error }`). The view settings arrive once, as `workerData`.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { GrayImage } from "./image_types.js";
import { writeMsnViews, type MsnViewArrays, type MsnViewParams } from "./msn_views.js";

/** One job: image `b` of a batch of `batch` images, written into `out` (SharedArrayBuffer-backed). */
export interface ViewTask {
  readonly id: number;
  readonly img: GrayImage;
  readonly seed: number;
  readonly out: MsnViewArrays;
  readonly b: number;
  readonly batch: number;
}

/** The answer to a {@link ViewTask}. */
export interface ViewDone {
  readonly id: number;
  readonly error?: string;
}

const port = parentPort;
if (port) {
  const params = workerData as MsnViewParams;
  port.on("message", (t: ViewTask) => {
    let reply: ViewDone;
    try {
      writeMsnViews(t.img, t.seed, params, t.out, t.b, t.batch);
      reply = { id: t.id };
    } catch (e) {
      reply = { id: t.id, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
}
