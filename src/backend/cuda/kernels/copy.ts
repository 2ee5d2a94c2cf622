/**
 * Data movement as device block copies: Slice, SplitV, Concat, Pack, PadV2 for 4-byte tensors (float32, int32;
 * PadV2 float32 only, since `fill` writes float32). Outputs are always new buffers, never views.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Backend, isWords, type KernelArgs, size } from "./util.js";

const zeros = (r: number) => new Array<number>(r).fill(0);

/** A new tensor (engine-owned) holding the block [begin, begin+size) of x. */
function sliceTo(be: Backend, x: tf.TensorInfo, begin: number[], shape: number[]): tf.TensorInfo {
  const out = be.makeOutput(shape, x.dtype); // the block's shape
  if (size(shape) > 0) be.addon.copyBlock(shape, x.shape, begin, shape, zeros(shape.length), be.buf(x), out.buf);
  return out.info;
}

const copyable = (x: tf.TensorInfo) => isWords(x) && x.shape.length > 0 && x.shape.length <= 8;

/** Slice → a new tensor (engine-owned) with a copy of the block. */
export function slice({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  if (!copyable(x)) return undefined;
  const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin, shape] = tf.slice_util.parseSliceParams(x as tf.Tensor, a.begin, a.size) as [number[], number[]];
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, shape);
  return sliceTo(be, x, begin, shape);
}

/** SplitV → new tensors (engine-owned), one per split. */
export function splitV({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  if (!copyable(x)) return undefined;
  const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = zeros(x.shape.length);
  return sizes.map((s) => {
    const shape = x.shape.slice();
    shape[ax] = s;
    const out = sliceTo(be, x, begin.slice(), shape);
    begin[ax]! += s;
    return out;
  });
}

/** Concat of same-dtype 4-byte tensors → a new tensor (engine-owned); mixed dtypes fall back to cpu. */
export function concat({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const ts = inputs as unknown as tf.TensorInfo[];
  const dtype = ts[0]?.dtype;
  // Copies are bitwise: mixed dtypes (the cpu kernel converts them) and 1-byte bool fall back.
  if (!dtype || ts.some((t) => t.dtype !== dtype || !copyable(t))) return undefined;
  const ax = tf.util.parseAxisParam((attrs as { axis: number }).axis, ts[0]!.shape)[0]!;
  tf.backend_util.assertParamsConsistent(ts.map((t) => t.shape), ax);
  const outShape = tf.backend_util.computeOutShape(ts.map((t) => t.shape), ax);
  const out = be.makeOutput(outShape, dtype); // inputs joined along ax
  const at = zeros(outShape.length);
  for (const t of ts) {
    if (size(t.shape) > 0) be.addon.copyBlock(t.shape, t.shape, zeros(t.shape.length), outShape, at, be.buf(t), out.buf);
    at[ax]! += t.shape[ax]!;
  }
  return out.info;
}

/**
 * Pack (tf.stack) of same-shape, same-dtype 4-byte tensors → a new tensor (engine-owned): a Concat of the
 * inputs viewed with a unit axis inserted at `axis`. Other inputs fall back (the cpu kernel says what is wrong).
 */
export function pack({ inputs, attrs, backend }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const ts = inputs as unknown as tf.TensorInfo[];
  const shape = ts[0]?.shape;
  if (!shape || ts.some((t) => !tf.util.arraysEqual(t.shape, shape))) return undefined;
  let axis = (attrs as { axis: number }).axis;
  if (axis < 0) axis += shape.length + 1;
  if (!(axis >= 0 && axis <= shape.length)) return undefined;
  const viewShape = [...shape.slice(0, axis), 1, ...shape.slice(axis)];
  const views = ts.map((t) => ({ dataId: t.dataId, dtype: t.dtype, shape: viewShape })); // same buffers, read only
  return concat({ inputs: views as unknown as tf.NamedTensorInfoMap, attrs: { axis }, backend }, be);
}

/** PadV2 (constant) of float32 → a new tensor (engine-owned). */
export function padV2({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  if (x.dtype !== "float32" || !copyable(x)) return undefined;
  const { paddings, constantValue } = attrs as unknown as { paddings: [number, number][]; constantValue: number };
  const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  const out = be.makeOutput(outShape, "float32"); // x's shape plus the paddings
  const n = size(outShape);
  if (n > 0) be.addon.fill(constantValue, out.buf, n);
  if (size(x.shape) > 0) be.addon.copyBlock(x.shape, x.shape, zeros(x.shape.length), outShape, paddings.map((p) => p[0]), be.buf(x), out.buf);
  return out.info;
}
