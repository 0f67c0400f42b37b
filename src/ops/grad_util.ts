import { InvalidArgumentError } from "../core/errors.js";
import { isFullyDefined } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { execute, execute1 } from "./dispatch.js";

/**
 * Sums a broadcast gradient back to the shape of the input it flows to. Static shapes give a plain
 * reduce + reshape; unknown dims fall back to TensorFlow's BroadcastGradientArgs at run time.
 */
export function unbroadcast(dy: Tensor, x: Tensor): Tensor {
  const xs = x.shape;
  const ys = dy.shape;
  if (isFullyDefined(xs) && isFullyDefined(ys)) {
    if (xs.length === ys.length && xs.every((d, i) => d === ys[i])) return dy;
    const lead = ys.length - xs.length;
    if (lead < 0) throw new InvalidArgumentError(`gradient of rank ${ys.length} cannot flow to an input of rank ${xs.length}`);
    const axes: number[] = [];
    for (let i = 0; i < ys.length; i++) {
      if (i < lead || (xs[i - lead] === 1 && ys[i] !== 1)) axes.push(i);
    }
    const summed = axes.length ? execute1("Sum", [dy, new Int32Array(axes)], { keep_dims: false }) : dy;
    return execute1("Reshape", [summed, new Int32Array(xs)]);
  }
  const sx = execute1("Shape", [x], { out_type: "int32" });
  const sy = execute1("Shape", [dy], { out_type: "int32" });
  const [rx] = execute("BroadcastGradientArgs", [sx, sy]);
  return execute1("Reshape", [execute1("Sum", [dy, rx], { keep_dims: false }), sx]);
}

/**
 * Gradients the backward pass (autodiff/backprop.ts) made up as zeros for outputs nothing flowed into: a rule
 * can skip a term for them (softmax cross-entropy's second output) without reading a device buffer back.
 */
const madeUpZeros = new WeakSet<object>();
export function markKnownZeros(t: object): void {
  madeUpZeros.add(t);
}
export function isKnownZeros(t: object): boolean {
  return madeUpZeros.has(t);
}
