/**
 * The names of TensorFlow's output args (OpDef.output_arg) for the ops tsflow has: a FunctionDef names a
 * node's output "node:arg:index", and TensorFlow resolves the arg by its name in the registered OpDef.
 * tsflow's op table names most outputs "output"; here are the ops whose TensorFlow OpDef says otherwise.
 */
import { outputArgs } from "../../core/schema/args.js";
import type { OpDef } from "../../ops/registry.js";

const BINARY_Z = [
  "AddV2",
  "Add",
  "Sub",
  "Mul",
  "RealDiv",
  "Div",
  "FloorDiv",
  "FloorMod",
  "Pow",
  "Maximum",
  "Minimum",
  "SquaredDifference",
  "Equal",
  "NotEqual",
  "Less",
  "LessEqual",
  "Greater",
  "GreaterEqual",
  "LogicalAnd",
  "LogicalOr",
  "DivNoNan",
  "Atan2",
  "TruncateDiv",
  "TruncateMod",
  "Xdivy",
  "Xlogy",
  "MulNoNan",
  "SigmoidGrad",
  "TanhGrad",
  "RsqrtGrad",
  "SqrtGrad",
  "ReciprocalGrad",
];
const UNARY_Y = [
  "Neg",
  "Abs",
  "Square",
  "Sqrt",
  "Rsqrt",
  "Exp",
  "Log",
  "Log1p",
  "Expm1",
  "Sin",
  "Cos",
  "Tan",
  "Tanh",
  "Sigmoid",
  "Sign",
  "Floor",
  "Ceil",
  "Round",
  "Rint",
  "Reciprocal",
  "Inv",
  "Erf",
  "Erfc",
  "Lgamma",
  "Digamma",
  "IsNan",
  "IsInf",
  "IsFinite",
  "LogicalNot",
  "Cast",
  "Transpose",
  "ZerosLike",
  "OnesLike",
  "Asin",
  "Acos",
  "Atan",
  "Sinh",
  "Cosh",
  "Asinh",
  "Acosh",
  "Atanh",
];
const ACTIVATIONS = ["Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Softplus", "Softsign"];
const BACKPROPS = ["ReluGrad", "Relu6Grad", "EluGrad", "SeluGrad", "LeakyReluGrad", "SoftplusGrad", "SoftsignGrad"];

/** Op type -> its output args, in order (a single arg may hold a list of tensors). */
const NAMES = new Map<string, readonly string[]>([
  ...BINARY_Z.map((t) => [t, ["z"]] as const),
  ...UNARY_Y.map((t) => [t, ["y"]] as const),
  ...ACTIVATIONS.map((t) => [t, ["activations"]] as const),
  ...BACKPROPS.map((t) => [t, ["backprops"]] as const),
  ["MatMul", ["product"]],
  ["Softmax", ["softmax"]],
  ["LogSoftmax", ["logsoftmax"]],
  ["AddN", ["sum"]],
  ["ReadVariableOp", ["value"]],
  ["Cumsum", ["out"]],
  ["Cumprod", ["out"]],
  ["Where", ["index"]],
  ["ResizeBilinear", ["resized_images"]],
  ["ResizeNearestNeighbor", ["resized_images"]],
  ["SoftmaxCrossEntropyWithLogits", ["loss", "backprop"]],
  ["SparseSoftmaxCrossEntropyWithLogits", ["loss", "backprop"]],
  ["TopKV2", ["values", "indices"]],
  ["Unique", ["y", "idx"]],
  ["FusedBatchNorm", ["y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"]],
  ["FusedBatchNormV3", ["y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2", "reserve_space_3"]],
]);

/**
 * The output args of op `def` as [TensorFlow's name, number of tensors] pairs, for a node of it with
 * `numOutputs` outputs. An op with one output arg has all its outputs under that name.
 */
export function tfOutputArgs(def: OpDef, numOutputs: number): [string, number][] {
  const names = NAMES.get(def.type) ?? outputArgs(def).map((a) => a.name);
  if (names.length <= 1) return [[names[0] ?? "output", numOutputs]];
  if (names.length === numOutputs) return names.map((n) => [n, 1]);
  // Multi-arg ops whose arg holds a list: tsflow's own table says how many each holds.
  const args = outputArgs(def);
  const out: [string, number][] = [];
  let left = numOutputs;
  args.forEach((a, i) => {
    const n = i === args.length - 1 ? left : 1;
    out.push([names[i] ?? a.name, n]);
    left -= n;
  });
  return out;
}

/** "arg:index" of output `i` of a node of `def` with `numOutputs` outputs (FunctionDef naming). */
export function outputRef(def: OpDef, numOutputs: number, i: number): string {
  let offset = 0;
  for (const [name, n] of tfOutputArgs(def, numOutputs)) {
    if (i < offset + n) return `${name}:${i - offset}`;
    offset += n;
  }
  return `output:${i}`;
}
