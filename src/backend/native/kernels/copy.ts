/**
 * Data movement as block copies (memcpy of contiguous rows, multithreaded): Slice, SplitV, Concat, PadV2
 * for 4-byte tensors. These always copy, so no output is a view into another tensor's buffer.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Backend, type KernelArgs, words } from "./util.js";

type Words = Float32Array | Int32Array;

/** A new array of `n` elements of the same kind as `like` (float32 from the pool; contents arbitrary). */
function alloc(be: Backend, like: Words, n: number): Words {
  return like instanceof Float32Array ? be.pool.take(n) : new Int32Array(n);
}

/** Copy of the block [begin, begin+size) of x. */
function sliceValues(be: Backend, x: tf.TensorInfo, xv: Words, begin: number[], size: number[]): Words {
  const out = alloc(be, xv, tf.util.sizeFromShape(size));
  if (out.length > 0) be.addon.copyBlock(size, x.shape, begin, size, size.map(() => 0), xv, out, 4);
  return out;
}

export function slice({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = words(be, x);
  if (!xv || x.shape.length === 0 || x.shape.length > 8) return undefined;
  const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, a.begin, a.size) as [number[], number[]];
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  return be.makeTensorInfo(size, x.dtype, sliceValues(be, x, xv, begin, size));
}

export function splitV({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = words(be, x);
  if (!xv || x.shape.length === 0 || x.shape.length > 8) return undefined;
  const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[ax] = s;
    const out = be.makeTensorInfo(size, x.dtype, sliceValues(be, x, xv, begin, size));
    begin[ax]! += s;
    return out;
  });
}

export function concat({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const ts = inputs as unknown as tf.TensorInfo[];
  const vs = ts.map((t) => words(be, t));
  const dtype = ts[0]!.dtype;
  // Copies are bitwise, so every input must have the same storage kind: tfjs-backend-cpu's Cast to float32
  // may keep an Int32Array, and mixing it with Float32Array inputs would copy raw bit patterns.
  const kind = vs[0]?.constructor;
  if (vs.some((v) => !v || v.constructor !== kind) || ts.some((t) => t.dtype !== dtype || t.shape.length === 0 || t.shape.length > 8)) return undefined;
  const ax = tf.util.parseAxisParam((attrs as { axis: number }).axis, ts[0]!.shape)[0]!;
  tf.backend_util.assertParamsConsistent(ts.map((t) => t.shape), ax);
  const outShape = tf.backend_util.computeOutShape(ts.map((t) => t.shape), ax);
  const out = alloc(be, vs[0]!, tf.util.sizeFromShape(outShape));
  const at = new Array<number>(outShape.length).fill(0);
  ts.forEach((t, i) => {
    if (tf.util.sizeFromShape(t.shape) > 0) be.addon.copyBlock(t.shape, t.shape, t.shape.map(() => 0), outShape, at, vs[i]!, out, 4);
    at[ax]! += t.shape[ax]!;
  });
  return be.makeTensorInfo(outShape, dtype, out);
}

export function padV2({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  const xv = words(be, x);
  if (!(xv instanceof Float32Array) || x.shape.length === 0 || x.shape.length > 8) return undefined;
  const { paddings, constantValue } = attrs as unknown as { paddings: [number, number][]; constantValue: number };
  const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  const out = be.pool.take(tf.util.sizeFromShape(outShape));
  be.addon.fill(constantValue, out, out.length);
  if (xv.length > 0) be.addon.copyBlock(x.shape, x.shape, x.shape.map(() => 0), outShape, paddings.map((p) => p[0]), xv, out, 4);
  return be.makeTensorInfo(outShape, x.dtype, out);
}
