import { defineFunction, param, signature } from "../core/signature.js";
import { NAME, T } from "./params.js";
import type { OpType } from "../core/schema/index.js";
import { execute1 } from "./dispatch.js";

/**
 * Parameters and helpers shared by the array-op families' public functions (ops/creation.ts,
 * ops/shape.ts, ops/movement.ts), kept apart so that those modules can import each other.
 */

export const INPUT = param("input", T.tensor, "A tensor.");
export const SHAPE_ARG = param("shape", T.tensor, "The shape, as a list of integers or an int32 tensor.");
/** A public function of one op taking one tensor and a name (`inputName` a literal type: the options object's key). */
export const nameOnly = <const N extends string = "input">(
  pyName: string,
  doc: string,
  type: OpType,
  inputName: N = "input" as N,
  example: readonly unknown[] = [
    [
      [1, 2],
      [3, 4],
    ],
  ],
) =>
  defineFunction(signature(pyName, doc, [param(inputName, T.tensor, "A tensor."), NAME], { args: () => example }), (input, name) =>
    execute1(type, [input], {}, name),
  );
export const seq = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
