import type { DType } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { isFullyDefined, shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { kind } from "../core/signature.js";
import { execute1, isTensor } from "./dispatch.js";
import { currentExecutor } from "./executor.js";
import { getOpDef } from "./registry.js";
import { convertToTensor } from "./creation.js";
import { reshape } from "./movement.js";

/**
 * Argument and gradient helpers shared by the window ops (ops/conv.ts, ops/pool.ts) and the image and
 * normalisation functions (ops/image.ts, ops/norm.ts).
 */

/** A tensor's shape as an int32 input: a constant when static, else a Shape op. */
export function shapeOf(t: Tensor): TensorLike {
  return isFullyDefined(t.shape) ? new Int32Array(t.shape) : execute1("Shape", [t], { out_type: "int32" });
}

/** Gives a graph tensor the static shape of `like` (Tensor.set_shape), where a Shape op hid it from inference. */
export function refine(t: Tensor, like: Tensor): Tensor {
  if (like.shape !== null) currentExecutor().refineShape(t, like.shape);
  return t;
}

export type IntOrList = number | readonly number[];
export type Padding = string | readonly (readonly [number, number])[] | readonly (readonly number[])[];
export const INT_OR_LIST = kind<IntOrList>("number | number[]");
export const PADDING = kind<Padding>('"SAME" | "VALID" | [number, number][]');

/**
 * A strides/dilations/ksize argument as the full per-dimension list: an int, or a list of 1, N (spatial
 * dims) or N+2 entries, as tf.nn accepts them.
 */
export function fullList(op: string, what: string, v: IntOrList | undefined | null, nSpatial: number, cf: boolean): number[] {
  const rank = nSpatial + 2;
  if (v === undefined || v === null) return new Array<number>(rank).fill(1);
  const list = typeof v === "number" ? [v] : Array.from(v, Number);
  let spatial: number[];
  if (list.length === 1) spatial = new Array<number>(nSpatial).fill(list[0]);
  else if (list.length === nSpatial) spatial = list;
  else if (list.length === rank) return list;
  else throw new InvalidArgumentError(`${op}: ${what} should be of length 1, ${nSpatial} or ${rank}, got [${list}]`);
  return cf ? [1, 1, ...spatial] : [1, ...spatial, 1];
}

/** padding as TensorFlow's attrs: "SAME"/"VALID", or explicit pairs for every dimension (EXPLICIT). */
export function paddingAttrs(op: string, padding: Padding | undefined, rank: number): { padding: string; explicit_paddings: number[] } {
  if (padding === undefined) throw new InvalidArgumentError(`${op}: padding is required ("SAME", "VALID" or explicit pairs)`);
  if (typeof padding === "string") {
    const p = padding.toUpperCase();
    if (p !== "SAME" && p !== "VALID") throw new InvalidArgumentError(`${op}: padding must be "SAME", "VALID" or a list of pairs, got '${padding}'`);
    return { padding: p, explicit_paddings: [] };
  }
  if (!Array.isArray(padding) || padding.length !== rank || padding.some((p) => !Array.isArray(p) || p.length !== 2)) {
    throw new InvalidArgumentError(`${op}: explicit padding must be a list of ${rank} [before, after] pairs, got ${JSON.stringify(padding)}`);
  }
  return { padding: "EXPLICIT", explicit_paddings: padding.flatMap((p) => [Number(p[0]), Number(p[1])]) };
}

export function toTensor(x: TensorLike, dtype?: DType): Tensor {
  return isTensor(x) ? x : convertToTensor(x, { dtype: dtype ?? (x instanceof Float64Array ? "float64" : "float32") });
}

/** Drops a size-1 axis with a Reshape (static shapes), or TensorFlow's Squeeze when too little is known. */
export function dropAxis(y: Tensor, axis: number, name?: string): Tensor {
  const s = y.shape;
  if (s !== null) {
    const kept = s.filter((_, i) => i !== axis);
    const unknown = kept.filter((d) => d === null).length;
    if (unknown <= 1) return reshape(y, new Int32Array(kept.map((d) => d ?? -1)), { name });
  }
  if (getOpDef("Squeeze")) return execute1("Squeeze", [y], { squeeze_dims: [axis] }, name);
  throw new UnimplementedError(`cannot drop axis ${axis} of a tensor of shape ${shapeStr(s)} without knowing more of its shape`);
}

export function expandAxis(x: Tensor, axis: number): Tensor {
  return execute1("ExpandDims", [x, new Int32Array([axis])]);
}
