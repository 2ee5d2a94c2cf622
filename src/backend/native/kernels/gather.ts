/** GatherV2 along axis 0 (row gathers) for 4-byte tensors with int32 indices. */
import * as tf from "@tensorflow/tfjs-core";
import { type Backend, type KernelArgs, words } from "./util.js";

export function gatherV2({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
  const xv = words(be, x);
  const iv = be.data.get(indices.dataId).values;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  if (!xv || !(iv instanceof Int32Array) || ax !== 0 || (batchDims ?? 0) !== 0 || x.shape.length === 0) return undefined;
  const rows = x.shape[0]!;
  for (const i of iv) if (i < 0 || i >= rows) throw new Error(`GatherV2: the index value ${i} is not in [0, ${rows - 1}]`);
  const rowLen = x.shape.slice(1).reduce((p, d) => p * d, 1);
  const outShape = [...indices.shape, ...x.shape.slice(1)];
  const out = xv instanceof Float32Array ? be.pool.take(iv.length * rowLen) : new Int32Array(iv.length * rowLen);
  if (out.length > 0) be.addon.gatherRows(iv.length, rowLen * 4, rows, iv, xv, out);
  return be.makeTensorInfo(outShape, x.dtype, out);
}
