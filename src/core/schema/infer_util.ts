import type { DType, Values } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { broadcastShapes, Dim, Shape, shapeStr } from "../shape.js";
import type { OutSpec, TensorSpec } from "./types.js";

/** Shape-inference helpers shared by op definitions. */

export function broadcastInfer(outDType?: DType) {
  return (inputs: readonly TensorSpec[]): OutSpec[] => {
    const [a, b] = inputs;
    const s = broadcastShapes(a.shape, b.shape);
    if (s === "incompatible") {
      throw new InvalidArgumentError(`Incompatible shapes: ${shapeStr(a.shape)} vs. ${shapeStr(b.shape)}`);
    }
    return [{ dtype: outDType ?? a.dtype, shape: s }];
  };
}

export function sameAsInput(index = 0, outDType?: DType) {
  return (inputs: readonly TensorSpec[]): OutSpec[] => [{ dtype: outDType ?? inputs[index].dtype, shape: inputs[index].shape }];
}

/** The values of a host input (shapes, axes) as JS numbers, or null when unknown at inference time. */
export function constInts(spec: TensorSpec | undefined): number[] | null {
  if (!spec || spec.value === undefined) return null;
  return Array.from(spec.value as ArrayLike<number | bigint>, (v) => Number(v));
}

export function valuesToInts(v: Values): number[] {
  return Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
}

export function unknownShapeOfRank(r: number | null): Shape {
  return r === null ? null : new Array<Dim>(r).fill(null);
}

export function dimsEqual(a: Dim, b: Dim): boolean {
  return a === null || b === null || a === b;
}
