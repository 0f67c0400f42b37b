import type { DType } from "../core/dtype.js";
import { isInteger, tfName } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, param, signature } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1 } from "./dispatch.js";
import { unbroadcast } from "./grad_util.js";
import type { OpType } from "../core/schema/index.js";
import { defineGradients } from "./registry.js";
import { cast } from "./cast.js";
import { tidy } from "./executor.js";

/** Gradients of the elementwise ops (their rows are in core/schema/elementwise.ts) and the public functions. */

const [x_, y_] = [0, 1];
defineGradients({
  AddV2: (op, [dy]) => [unbroadcast(dy, op.inputs[x_]), unbroadcast(dy, op.inputs[y_])],
  Sub: (op, [dy]) => [unbroadcast(dy, op.inputs[0]), unbroadcast(negative(dy), op.inputs[1])],
  Mul: (op, [dy]) => {
    const [a, b] = op.inputs;
    return [unbroadcast(multiply(dy, b), a), unbroadcast(multiply(a, dy), b)];
  },
  RealDiv: (op, [dy]) => {
    const [a, b] = op.inputs;
    return [unbroadcast(realdiv(dy, b), a), unbroadcast(multiply(dy, realdiv(negative(a), square(b))), b)];
  },
  FloorDiv: null,
  FloorMod: (op, [dy]) => {
    const [a, b] = op.inputs;
    return [unbroadcast(dy, a), unbroadcast(multiply(dy, negative(floor(realdiv(a, b)))), b)];
  },
  Pow: (op, [dy]) => {
    const [a, b] = op.inputs;
    const z = op.outputs[0];
    const da = multiply(dy, multiply(b, pow(a, subtract(b, 1))));
    const safeLog = where(greater(a, 0), log(where(greater(a, 0), a, onesLikeOf(a))), zerosLikeOf(a));
    return [unbroadcast(da, a), unbroadcast(multiply(dy, multiply(z, safeLog)), b)];
  },
  Maximum: (op, [dy]) => minMaxGrad(op.inputs[0], op.inputs[1], dy, true),
  Minimum: (op, [dy]) => minMaxGrad(op.inputs[0], op.inputs[1], dy, false),
  SquaredDifference: (op, [dy]) => {
    const [a, b] = op.inputs;
    const d = multiply(multiply(dy, 2), subtract(a, b));
    return [unbroadcast(d, a), unbroadcast(negative(d), b)];
  },
  Equal: null,
  NotEqual: null,
  Less: null,
  LessEqual: null,
  Greater: null,
  GreaterEqual: null,
  LogicalAnd: null,
  LogicalOr: null,
  Neg: (_op, [dy]) => [negative(dy)],
  Abs: (op, [dy]) => [multiply(dy, sign(op.inputs[0]))],
  Square: (op, [dy]) => [multiply(dy, multiply(op.inputs[0], 2))],
  Sqrt: (op, [dy]) => [realdiv(multiply(dy, 0.5), op.outputs[0])],
  Rsqrt: (op, [dy]) => {
    const y = op.outputs[0];
    return [multiply(multiply(dy, -0.5), multiply(y, square(y)))];
  },
  Exp: (op, [dy]) => [multiply(dy, op.outputs[0])],
  Log: (op, [dy]) => [realdiv(dy, op.inputs[0])],
  Log1p: (op, [dy]) => [realdiv(dy, add(op.inputs[0], 1))],
  Expm1: (op, [dy]) => [multiply(dy, add(op.outputs[0], 1))],
  Sin: (op, [dy]) => [multiply(dy, cos(op.inputs[0]))],
  Cos: (op, [dy]) => [multiply(dy, negative(sin(op.inputs[0])))],
  Tanh: (op, [dy]) => [execute1("TanhGrad", [op.outputs[0], dy])],
  Sigmoid: (op, [dy]) => [execute1("SigmoidGrad", [op.outputs[0], dy])],
  Relu: (op, [dy]) => [execute1("ReluGrad", [dy, op.outputs[0]])],
  Relu6: (op, [dy]) => [execute1("Relu6Grad", [dy, op.inputs[0]])],
  Elu: (op, [dy]) => [execute1("EluGrad", [dy, op.outputs[0]])],
  ReluGrad: (op, [g]) => [execute1("ReluGrad", [g, op.inputs[1]]), zerosLikeOf(op.inputs[1])],
  Relu6Grad: (op, [g]) => [execute1("Relu6Grad", [g, op.inputs[1]]), zerosLikeOf(op.inputs[1])],
  EluGrad: (op, [g]) => {
    const [dy, y] = op.inputs;
    return [execute1("EluGrad", [g, y]), where(greater(y, 0), zerosLikeOf(y), multiply(dy, g))];
  },
  TanhGrad: (op, [g]) => {
    const [y, dy] = op.inputs;
    return [multiply(multiply(g, dy), multiply(y, -2)), execute1("TanhGrad", [y, g])];
  },
  SigmoidGrad: (op, [g]) => {
    const [y, dy] = op.inputs;
    return [multiply(multiply(g, dy), subtract(1, multiply(y, 2))), execute1("SigmoidGrad", [y, g])];
  },
  Softplus: (op, [dy]) => [multiply(dy, sigmoid(op.inputs[0]))],
  Sign: (op) => [zerosLikeOf(op.inputs[0])],
  Reciprocal: (op, [dy]) => [multiply(negative(dy), square(op.outputs[0]))],
  Floor: null,
  Ceil: null,
  Round: null,
  LogicalNot: null,
  IsNan: null,
  IsInf: null,
  IsFinite: null,
});

function minMaxGrad(a: Tensor, b: Tensor, dy: Tensor, isMax: boolean): Tensor[] {
  const pickA = isMax ? greaterEqual(a, b) : lessEqual(a, b);
  const zeros = zerosLikeOf(dy);
  return [unbroadcast(where(pickA, dy, zeros), a), unbroadcast(where(pickA, zeros, dy), b)];
}
// where/zerosLike/onesLike live in array ops; bound here lazily to keep the module graph acyclic at load.
function where(c: Tensor, x: TensorLike, y: TensorLike): Tensor {
  return execute1("SelectV2", [c, x, y]);
}
function zerosLikeOf(t: Tensor): Tensor {
  return execute1("ZerosLike", [t]);
}
function onesLikeOf(t: Tensor): Tensor {
  return execute1("OnesLike", [t]);
}

// ---------------------------------------------------------------- public functions

const X = param("x", T.tensor, "A tensor.");
const Y = param("y", T.tensor, "A tensor of the same dtype as x; the two broadcast.");

/** A binary elementwise op: tf.<name>(x, y, name). */
function b(type: OpType, name: string, doc: string) {
  return defineFunction(
    signature(name, doc, [X, Y, NAME], {
      args: () => [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [2, 1],
          [1, 2],
        ],
      ],
    }),
    (x, y, n) => execute1(type, [x, y], {}, n),
  );
}
/** A unary elementwise op: tf.<name>(x, name). */
function u(type: OpType, name: string, doc: string, example: readonly unknown[] = [[0.25, 0.5, 1]]) {
  return defineFunction(signature(name, doc, [X, NAME], { args: () => example }), (x, n) => execute1(type, [x], {}, n));
}
const BOOLS = [[true, false, true]];

export const add = b("AddV2", "math.add", "x + y, elementwise.");
export const subtract = b("Sub", "math.subtract", "x - y, elementwise.");
export const multiply = b("Mul", "math.multiply", "x * y, elementwise.");
export const realdiv = b("RealDiv", "realdiv", "x / y for floating-point tensors, elementwise.");
export const floordiv = b("FloorDiv", "math.floordiv", "floor(x / y), elementwise.");
export const floormod = b("FloorMod", "math.floormod", "The remainder of floor division (the result has the sign of y), elementwise.");
export const pow = b("Pow", "math.pow", "x to the power y, elementwise.");
export const maximum = b("Maximum", "math.maximum", "max(x, y), elementwise (NaN propagates).");
export const minimum = b("Minimum", "math.minimum", "min(x, y), elementwise (NaN propagates).");
export const squaredDifference = b("SquaredDifference", "math.squared_difference", "(x - y)², elementwise.");
export const equal = b("Equal", "math.equal", "x == y, elementwise, as bool.");
export const notEqual = b("NotEqual", "math.not_equal", "x != y, elementwise, as bool.");
export const less = b("Less", "math.less", "x < y, elementwise, as bool.");
export const lessEqual = b("LessEqual", "math.less_equal", "x <= y, elementwise, as bool.");
export const greater = b("Greater", "math.greater", "x > y, elementwise, as bool.");
export const greaterEqual = b("GreaterEqual", "math.greater_equal", "x >= y, elementwise, as bool.");
export const logicalAnd = defineFunction(
  signature("math.logical_and", "x AND y, elementwise (bool).", [X, Y, NAME], {
    args: () => [
      [true, false, true],
      [true, true, false],
    ],
  }),
  (x, y, n) => execute1("LogicalAnd", [x, y], {}, n),
);
export const logicalOr = defineFunction(
  signature("math.logical_or", "x OR y, elementwise (bool).", [X, Y, NAME], {
    args: () => [
      [true, false, false],
      [true, true, false],
    ],
  }),
  (x, y, n) => execute1("LogicalOr", [x, y], {}, n),
);

export const negative = u("Neg", "math.negative", "-x, elementwise.");
export const abs = u("Abs", "math.abs", "|x|, elementwise.", [[-1, 0.5, 2]]);
export const square = u("Square", "math.square", "x², elementwise.");
export const sqrt = u("Sqrt", "math.sqrt", "√x, elementwise.");
export const rsqrt = u("Rsqrt", "math.rsqrt", "1 / √x, elementwise.");
export const exp = u("Exp", "math.exp", "eˣ, elementwise.");
export const log = u("Log", "math.log", "The natural logarithm, elementwise.");
export const log1p = u("Log1p", "math.log1p", "log(1 + x), elementwise (accurate for small x).");
export const expm1 = u("Expm1", "math.expm1", "eˣ - 1, elementwise (accurate for small x).");
export const sin = u("Sin", "math.sin", "The sine, elementwise.");
export const cos = u("Cos", "math.cos", "The cosine, elementwise.");
export const tanh = u("Tanh", "math.tanh", "The hyperbolic tangent, elementwise.");
export const sigmoid = u("Sigmoid", "math.sigmoid", "1 / (1 + e⁻ˣ), elementwise.");
export const relu = u("Relu", "nn.relu", "max(x, 0), elementwise.", [[-1, 0.5, 2]]);
export const relu6 = u("Relu6", "nn.relu6", "min(max(x, 0), 6), elementwise.", [[-1, 0.5, 7]]);
export const elu = u("Elu", "nn.elu", "x if x > 0 else eˣ - 1, elementwise.", [[-1, 0.5, 2]]);
export const softplus = u("Softplus", "math.softplus", "log(eˣ + 1), elementwise.");
export const sign = u("Sign", "math.sign", "-1, 0 or 1 by the sign of x, elementwise.", [[-1, 0, 2]]);
export const reciprocal = u("Reciprocal", "math.reciprocal", "1 / x, elementwise.");
export const floor = u("Floor", "math.floor", "The largest integer not greater than x, elementwise.", [[-1.5, 0.5, 2.5]]);
export const ceil = u("Ceil", "math.ceil", "The smallest integer not less than x, elementwise.", [[-1.5, 0.5, 2.5]]);
export const round = u("Round", "math.round", "x rounded to the nearest integer, half to even, elementwise.", [[-1.5, 0.5, 2.5]]);
export const logicalNot = u("LogicalNot", "math.logical_not", "NOT x, elementwise (bool).", BOOLS);
export const isNan = u("IsNan", "math.is_nan", "Whether x is NaN, elementwise.");
export const isInf = u("IsInf", "math.is_inf", "Whether x is +-Infinity, elementwise.");
// biome-ignore lint/suspicious/noShadowRestrictedNames: TensorFlow's name (tf.math.is_finite)
export const isFinite = u("IsFinite", "math.is_finite", "Whether x is finite, elementwise.");

/** tf.math.logical_xor: (x or y) and not (x and y). */
export const logicalXor = defineFunction(
  signature("math.logical_xor", "x XOR y, elementwise (bool).", [X, Y, NAME], {
    args: () => [
      [true, false, true],
      [true, true, false],
    ],
  }),
  (x, y, name) => tidy(() => logicalAnd(logicalOr(x, y), logicalNot(logicalAnd(x, y)), name)),
);

/**
 * tf.divide / tf.truediv: integers are divided as floats, as in Python 3 TensorFlow (its _TRUEDIV_TABLE:
 * uint8 -> float32, int32/int64 -> float64). Both tensors must have one dtype: no silent promotion.
 */
export const divide = defineFunction(
  signature("math.divide", "x / y, elementwise; integers are divided as floats (Python 3's true division).", [X, Y, NAME], {
    args: () => [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [2, 1],
        [1, 2],
      ],
    ],
  }),
  (x, y, name): Tensor => {
    const dtypeOf = (v: TensorLike): DType | null =>
      typeof v === "object" && v !== null && "dtype" in v && typeof (v as { dtype: unknown }).dtype === "string" ? (v as { dtype: DType }).dtype : null;
    const dx = dtypeOf(x);
    const dy = dtypeOf(y);
    if (dx !== null && dy !== null && dx !== dy) {
      throw new InvalidArgumentError(`truediv: x and y must have the same dtype, got ${tfName(dx)} != ${tfName(dy)}; use tf.cast`);
    }
    const dt = dx ?? dy;
    if (dt && isInteger(dt)) {
      const to: DType = dt === "uint8" ? "float32" : "float64";
      // JS values take the float dtype directly (no float32 detour that could round them).
      const conv = (v: TensorLike, d: DType | null) => (d === null ? v : cast(v, to));
      return tidy(() => realdiv(conv(x, dx), conv(y, dy), name));
    }
    return realdiv(x, y, name);
  },
);
