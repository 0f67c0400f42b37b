import { InvalidArgumentError } from "../errors.js";
import { shapesCompatible, shapeStr } from "../shape.js";
import { type AttrDef, type OpSchema, schemaRows, type TensorSpec } from "./types.js";

/**
 * TensorFlow's training ops (ApplyGradientDescent, ApplyMomentum, ApplyAdam): one fused pass that
 * updates a variable (and its slots) instead of a chain of elementwise ops, each reading and writing
 * every parameter. The first `refInputs.length` inputs are variables; the kernel returns their new
 * values, and the executor (or the eager path) installs them.
 */
const USE_LOCKING: AttrDef = { name: "use_locking", type: "bool", default: false };
const USE_NESTEROV: AttrDef = { name: "use_nesterov", type: "bool", default: false };

function trainingOp<T extends string>(type: T, refs: number, inputNames: string[], attrs: AttrDef[]): OpSchema<T> {
  return {
    type,
    inputNames,
    inputs: inputNames.map((name, i) => ({ name, typeAttr: "T", isRef: i < refs })),
    refInputs: Array.from({ length: refs }, (_, i) => i),
    dtypeGroups: [inputNames.map((_, i) => i)],
    allowedDTypes: ["float32", "float64", "float16", "bfloat16"],
    attrs,
    stateful: true,
    infer: (inputs: readonly TensorSpec[], _a, name) => {
      const v = inputs[0];
      const grad = inputs[inputNames.indexOf("grad") >= 0 ? inputNames.indexOf("grad") : inputs.length - 1];
      for (const t of [...inputs.slice(1, refs), grad]) {
        if (!shapesCompatible(v.shape, t.shape)) {
          throw new InvalidArgumentError(
            `${type} ${name}: var and ${t === grad ? "grad" : "slot"} do not have the same shape: ${shapeStr(v.shape)} vs ${shapeStr(t.shape)}`,
          );
        }
      }
      return [{ dtype: v.dtype, shape: v.shape }];
    },
  };
}

export const TRAINING_OPS = schemaRows([
  trainingOp("ApplyGradientDescent", 1, ["var", "alpha", "delta"], [USE_LOCKING]),
  trainingOp("ApplyMomentum", 2, ["var", "accum", "lr", "grad", "momentum"], [USE_LOCKING, USE_NESTEROV]),
  trainingOp("ApplyAdam", 3, ["var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"], [USE_LOCKING, USE_NESTEROV]),
]);

/** Each training op's gradient input (`grad`, gradient descent's `delta`) by op type. */
export const GRADIENT_INPUT: ReadonlyMap<string, number> = new Map(
  TRAINING_OPS.map((r) => {
    const names = r.inputNames ?? [];
    return [r.type, names.includes("grad") ? names.indexOf("grad") : names.indexOf("delta")];
  }),
);
