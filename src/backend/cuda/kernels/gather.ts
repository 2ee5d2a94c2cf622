/** GatherV2 along axis 0 (row gathers) for 4-byte device tensors with int32 indices. */
import * as tf from "@tensorflow/tfjs-core";
import { type Backend, isWords, type KernelArgs, size } from "./util.js";

/** GatherV2 axis 0, batchDims 0 → a new tensor (engine-owned); out-of-range indices throw before any allocation. */
export function gatherV2({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
  if (!isWords(x) || indices.dtype !== "int32" || x.shape.length === 0) return undefined;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  if (ax !== 0 || (batchDims ?? 0) !== 0) return undefined;
  // Check the indices on the host (an out-of-range row would read outside the buffer): indices written from
  // the host keep a host copy, so this costs no device sync; computed ones are downloaded (small).
  const iv = be.int32Values(indices.dataId);
  const rows = x.shape[0]!;
  for (const i of iv) if (i < 0 || i >= rows) throw new Error(`GatherV2: the index value ${i} is not in [0, ${rows - 1}]`);
  const rowWords = size(x.shape.slice(1));
  const out = be.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype); // [...indices, ...x.shape[1:]]
  if (iv.length * rowWords > 0) be.addon.gatherRows(iv.length, rowWords, be.buf(indices), be.buf(x), out.buf);
  return out.info;
}
