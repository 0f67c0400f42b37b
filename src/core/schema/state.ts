import type { DType } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { Shape, shapesCompatible, shapeStr } from "../shape.js";
import { sameAsInput } from "./infer_util.js";
import { type ArgDef, type AttrDef, schemaRows, type TensorSpec } from "./types.js";

/**
 * Ops that hold or feed state. Their work needs the Session (its variable store, its feeds), so the
 * executor runs them itself (runtime/plan.ts RUNTIME_OPS); no backend kernel exists for them.
 */
const ASSIGN_ARGS: readonly ArgDef[] = [
  { name: "ref", typeAttr: "T", isRef: true },
  { name: "value", typeAttr: "T" },
];
const USE_LOCKING: readonly AttrDef[] = [{ name: "use_locking", type: "bool", default: false }];

/**
 * Ops that hold or feed state. Their work needs the Session (its variable store, its feeds), so the
 * executor runs them itself; no backend kernel exists for them.
 */
function assignInfer(op: string) {
  return (inputs: readonly TensorSpec[]) => {
    const [ref, value] = inputs;
    if (ref.dtype !== value.dtype) {
      throw new InvalidArgumentError(`${op}: value of dtype ${value.dtype} cannot be assigned to a variable of dtype ${ref.dtype}`);
    }
    if (op !== "Assign" && !shapesCompatible(ref.shape, value.shape)) {
      throw new InvalidArgumentError(`${op}: Shapes must be equal rank, but are ${shapeStr(ref.shape)} and ${shapeStr(value.shape)}`);
    }
    return [{ dtype: ref.dtype, shape: ref.shape }];
  };
}

export const STATE_OPS = schemaRows([
  {
    type: "Const",
    // TensorFlow's TensorProto holds the shape with the values; here the values are flat and the shape apart.
    attrs: [
      { name: "value", type: "tensor" },
      { name: "dtype", type: "type" },
      { name: "shape", type: "shape" },
    ],
    infer: (_i, attrs) => [{ dtype: attrs.dtype as DType, shape: attrs.shape as number[] }],
    doc: "A constant; its value is the attr `value`.",
  },
  {
    type: "Placeholder",
    attrs: [
      { name: "dtype", type: "type" },
      { name: "shape", type: "shape", default: null },
    ],
    infer: (_i, attrs) => [{ dtype: attrs.dtype as DType, shape: attrs.shape as Shape }],
    doc: "A value that must be fed to Session.run.",
  },
  {
    type: "PlaceholderWithDefault",
    inputNames: ["input"],
    inputs: [{ name: "input", typeAttr: "dtype" }],
    attrs: [{ name: "shape", type: "shape" }],
    infer: (i, attrs) => [{ dtype: i[0].dtype, shape: attrs.shape as Shape }],
    doc: "Its input unless a value is fed.",
  },
  {
    type: "VariableV2",
    attrs: [
      { name: "shape", type: "shape" },
      { name: "dtype", type: "type" },
      { name: "container", type: "string", default: "" },
      { name: "shared_name", type: "string", default: "" },
    ],
    stateful: true,
    infer: (_i, attrs) => [{ dtype: attrs.dtype as DType, shape: attrs.shape as Shape }],
    doc: "A TensorFlow 1 variable: its value lives in each Session.",
  },
  {
    type: "Assign",
    stateful: true,
    inputNames: ["ref", "value"],
    dtypeGroups: [[0, 1]],
    inputs: ASSIGN_ARGS,
    infer: assignInfer("Assign"),
    attrs: [
      { name: "validate_shape", type: "bool", default: true },
      { name: "use_locking", type: "bool", default: true },
    ],
  },
  {
    type: "AssignAdd",
    stateful: true,
    inputNames: ["ref", "value"],
    dtypeGroups: [[0, 1]],
    inputs: ASSIGN_ARGS,
    attrs: USE_LOCKING,
    infer: assignInfer("AssignAdd"),
  },
  {
    type: "AssignSub",
    stateful: true,
    inputNames: ["ref", "value"],
    dtypeGroups: [[0, 1]],
    inputs: ASSIGN_ARGS,
    attrs: USE_LOCKING,
    infer: assignInfer("AssignSub"),
  },
  {
    type: "IsVariableInitialized",
    stateful: true,
    inputNames: ["ref"],
    inputs: [{ name: "ref", typeAttr: "dtype", isRef: true }],
    infer: () => [{ dtype: "bool", shape: [] }],
  },
  { type: "NoOp", infer: () => [], doc: "Does nothing; groups control dependencies." },
  {
    type: "Identity",
    inputNames: ["input"],
    infer: sameAsInput(),
  },
]);
