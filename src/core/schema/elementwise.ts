import { type DType, FLOAT_DTYPES } from "../dtype.js";
import { broadcastInfer, sameAsInput } from "./infer_util.js";
import { type ElementwiseSpec, type OpSchema, schemaRows } from "./types.js";

/**
 * Elementwise ops: one row each (TensorFlow type, default node name, scalar expression, dtypes). The CPU
 * and CUDA kernels are generated from the expressions; the gradients live in src/ops/elementwise.ts.
 * Binary ops bind both inputs and the output to `T` (comparisons give bool), as TensorFlow's do.
 */
const FLOAT = FLOAT_DTYPES;
const NUMERIC: DType[] = [...FLOAT, "int32", "int64", "uint8"];
const ALL: DType[] = [...NUMERIC, "bool", "string"];

function binary<T extends string>(type: T, name: string, ew: ElementwiseSpec, dtypes: readonly DType[], inputNames?: string[]): OpSchema<T> {
  return { type, name, elementwise: ew, allowedDTypes: dtypes, dtypeGroups: [[0, 1]], inputNames, infer: broadcastInfer(ew.outDType) };
}
function unary<T extends string>(type: T, ew: ElementwiseSpec, dtypes: readonly DType[]): OpSchema<T> {
  return { type, elementwise: ew, allowedDTypes: dtypes, infer: sameAsInput(0, ew.outDType) };
}

export const ELEMENTWISE_OPS = schemaRows([
  binary("AddV2", "Add", { js: "a + b", jsInt64: "a + b" }, NUMERIC),
  binary("Sub", "Sub", { js: "a - b", jsInt64: "a - b" }, NUMERIC),
  binary("Mul", "Mul", { js: "a * b", jsInt: "Math.imul(a, b)", jsInt64: "a * b" }, NUMERIC),
  binary("RealDiv", "truediv", { js: "a / b" }, FLOAT),
  binary("FloorDiv", "floordiv", { js: "Math.floor(a / b)", jsInt64: "(a / b) - ((a % b !== 0n && ((a < 0n) !== (b < 0n))) ? 1n : 0n)" }, NUMERIC),
  binary("FloorMod", "floormod", { js: "((a % b) + b) % b", jsInt64: "((a % b) + b) % b" }, NUMERIC),
  binary("Pow", "Pow", { js: "Math.pow(a, b)", jsInt64: "a ** b" }, NUMERIC),
  binary("Maximum", "Maximum", { js: "(a >= b || a !== a) ? a : b", jsInt64: "a >= b ? a : b" }, NUMERIC),
  binary("Minimum", "Minimum", { js: "(a <= b || a !== a) ? a : b", jsInt64: "a <= b ? a : b" }, NUMERIC),
  binary("SquaredDifference", "SquaredDifference", { js: "(a - b) * (a - b)", jsInt64: "(a - b) * (a - b)" }, NUMERIC),
  binary("Equal", "Equal", { js: "a === b", jsInt64: "a === b", outDType: "bool" }, ALL),
  binary("NotEqual", "NotEqual", { js: "a !== b", jsInt64: "a !== b", outDType: "bool" }, ALL),
  binary("Less", "Less", { js: "a < b", jsInt64: "a < b", outDType: "bool" }, NUMERIC),
  binary("LessEqual", "LessEqual", { js: "a <= b", jsInt64: "a <= b", outDType: "bool" }, NUMERIC),
  binary("Greater", "Greater", { js: "a > b", jsInt64: "a > b", outDType: "bool" }, NUMERIC),
  binary("GreaterEqual", "GreaterEqual", { js: "a >= b", jsInt64: "a >= b", outDType: "bool" }, NUMERIC),
  binary("LogicalAnd", "LogicalAnd", { js: "a && b" }, ["bool"]),
  binary("LogicalOr", "LogicalOr", { js: "a || b" }, ["bool"]),
  unary("Neg", { js: "-x", jsInt64: "-x" }, NUMERIC),
  unary("Abs", { js: "Math.abs(x)", jsInt64: "x < 0n ? -x : x" }, NUMERIC),
  unary("Square", { js: "x * x", jsInt: "Math.imul(x, x)", jsInt64: "x * x" }, NUMERIC),
  unary("Sqrt", { js: "Math.sqrt(x)" }, FLOAT),
  unary("Rsqrt", { js: "1 / Math.sqrt(x)" }, FLOAT),
  unary("Exp", { js: "Math.exp(x)" }, FLOAT),
  unary("Log", { js: "Math.log(x)" }, FLOAT),
  unary("Log1p", { js: "Math.log1p(x)" }, FLOAT),
  unary("Expm1", { js: "Math.expm1(x)" }, FLOAT),
  unary("Sin", { js: "Math.sin(x)" }, FLOAT),
  unary("Cos", { js: "Math.cos(x)" }, FLOAT),
  // Activations differentiate through TensorFlow's fused *Grad ops: one pass instead of three.
  unary("Tanh", { js: "Math.tanh(x)" }, FLOAT),
  unary("Sigmoid", { js: "x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))" }, FLOAT),
  // relu(-Inf) = 0 and relu(NaN) = NaN, as TensorFlow's max(x, 0). Large float32 tensors take the wasm
  // SIMD kernel (a select, no branch); ReluGrad's product form avoids a mispredicted branch in JS.
  unary("Relu", { js: "x < 0 ? 0 : x", jsInt64: "x < 0n ? 0n : x" }, NUMERIC),
  unary("Relu6", { js: "x > 0 ? (x < 6 ? x : 6) : 0", jsInt64: "x > 0n ? (x < 6n ? x : 6n) : 0n" }, NUMERIC),
  unary("Elu", { js: "x > 0 ? x : Math.expm1(x)" }, FLOAT),
  binary("ReluGrad", "ReluGrad", { js: "a * (b > 0)", jsInt64: "b > 0n ? a : 0n" }, NUMERIC, ["gradients", "features"]),
  binary("Relu6Grad", "Relu6Grad", { js: "(b > 0 && b < 6) ? a : 0", jsInt64: "(b > 0n && b < 6n) ? a : 0n" }, NUMERIC, ["gradients", "features"]),
  binary("EluGrad", "EluGrad", { js: "b > 0 ? a : a * (b + 1)" }, FLOAT, ["gradients", "outputs"]),
  binary("TanhGrad", "TanhGrad", { js: "b * (1 - a * a)" }, FLOAT, ["y", "dy"]),
  binary("SigmoidGrad", "SigmoidGrad", { js: "b * a * (1 - a)" }, FLOAT, ["y", "dy"]),
  unary("Softplus", { js: "Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))" }, FLOAT),
  unary("Sign", { js: "x > 0 ? 1 : x < 0 ? -1 : x", jsInt64: "x > 0n ? 1n : x < 0n ? -1n : 0n" }, NUMERIC),
  unary("Reciprocal", { js: "1 / x" }, FLOAT),
  unary("Floor", { js: "Math.floor(x)" }, FLOAT),
  unary("Ceil", { js: "Math.ceil(x)" }, FLOAT),
  // TensorFlow rounds half to even.
  unary("Round", { js: "(Math.abs(x % 1) === 0.5) ? 2 * Math.round(x / 2) : Math.round(x)", jsInt64: "x", cuda: "ts_rint(x)" }, NUMERIC),
  unary("LogicalNot", { js: "!x" }, ["bool"]),
  unary("IsNan", { js: "x !== x", outDType: "bool" }, FLOAT),
  unary("IsInf", { js: "x === Infinity || x === -Infinity", outDType: "bool" }, FLOAT),
  unary("IsFinite", { js: "Number.isFinite(x)", outDType: "bool" }, FLOAT),
]);
