import type { DType } from "../core/dtype.js";
import { UnimplementedError } from "../core/errors.js";
import type { OpType } from "../core/schema/index.js";

import { isFullyDefined, normalizeAxis, Shape, sizeOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1, isTensor } from "./dispatch.js";
import { constInts } from "../core/schema/infer_util.js";
import { defineGradients, getOpDef, GradFn, GradOp } from "./registry.js";
import { cast } from "./cast.js";
import { divide, equal, multiply, realdiv } from "./elementwise.js";
import { reshape } from "./movement.js";
import { shape } from "./shape.js";

/** dy of a reduction, with the reduced axes put back as size 1 and broadcast to the input's shape. */
function broadcastBack(op: GradOp, dy: Tensor): { dyFull: Tensor; keptShape: Tensor } {
  const x = op.inputs[0];
  const axes = constInts({ dtype: "int32", shape: null, value: isTensor(op.inputs[1]) ? constOf(op.inputs[1]) : undefined });
  if (axes === null || x.rank === null) {
    throw new UnimplementedError(`gradient of ${op.type} needs reduction axes known when the graph is built`);
  }
  const rank = x.rank;
  const norm = [...new Set(axes.map((a) => normalizeAxis(a, rank, op.type)))].sort((a, b) => a - b);
  let kept: Tensor = dy;
  if (!op.attrs.keep_dims) {
    const xs = x.shape;
    if (isFullyDefined(xs)) kept = reshape(dy, new Int32Array(xs.map((d, i) => (norm.includes(i) ? 1 : d))));
    else for (const a of norm) kept = execute1("ExpandDims", [kept, new Int32Array([a])]);
  }
  const dyFull = execute1("BroadcastTo", [kept, isFullyDefined(x.shape) ? new Int32Array(x.shape) : shape(x)]);
  return { dyFull, keptShape: kept };
}

/** The constant value of a tensor: a graph Const's value attr, or an eager tensor's data. */
function constOf(t: Tensor) {
  const op = (t as { op?: { type: string; attrs: { value?: unknown } } }).op;
  if (op) return op.type === "Const" ? (op.attrs.value as Int32Array) : undefined;
  return t.dataSync();
}

const sumGrad: GradFn = (op, [dy]) => [broadcastBack(op, dy).dyFull, null];
const meanGrad: GradFn = (op, [dy]) => {
  const x = op.inputs[0];
  const y = op.outputs[0];
  const g = broadcastBack(op, dy).dyFull;
  if (isFullyDefined(x.shape) && isFullyDefined(y.shape)) return [realdiv(g, sizeOf(x.shape) / Math.max(sizeOf(y.shape), 1)), null];
  // Unknown dims: the factor is prod(shape(x)) / max(prod(shape(y)), 1), computed when the graph runs (TF's _MeanGrad).
  const prodOfShape = (t: Tensor) => execute1("Prod", [shape(t), new Int32Array([0])], { keep_dims: false });
  const count = divide(prodOfShape(x), execute1("Maximum", [prodOfShape(y), 1]));
  return [realdiv(g, cast(count, g.dtype)), null];
};
const minMaxGrad: GradFn = (op, [dy]) => {
  const x = op.inputs[0];
  const { dyFull } = broadcastBack(op, dy);
  const yFull = broadcastBack(op, op.outputs[0]).dyFull;
  const indicators = cast(equal(yFull, x), dy.dtype);
  const numSelected = broadcastBack(op, execute1("Sum", [indicators, op.inputs[1]], { keep_dims: op.attrs.keep_dims as boolean })).dyFull;
  return [multiply(realdiv(indicators, numSelected), dyFull), null];
};
/** The product of all other elements along `axis`, for each element: exclusive cumulative products from both sides. */
function productOfOthers(t: Tensor, axis: number): Tensor {
  const left = execute1("Cumprod", [t, axis], { exclusive: true, reverse: false });
  const right = execute1("Cumprod", [t, axis], { exclusive: true, reverse: true });
  return multiply(left, right);
}

/**
 * For each element, the product of the other elements of its reduction slice over `axes`, without any
 * division (exact with zeros) and without transposes: over the last axis a, the others along a times,
 * broadcast, the others of the slice's remaining axes in the products along a.
 */
function productOfOthersOver(t: Tensor, axes: readonly number[]): Tensor {
  const last = axes[axes.length - 1];
  const along = productOfOthers(t, last);
  if (axes.length === 1) return along;
  const rowProducts = execute1("Prod", [t, new Int32Array([last])], { keep_dims: true });
  return multiply(along, productOfOthersOver(rowProducts, axes.slice(0, -1)));
}

const prodGrad: GradFn = (op, [dy]) => {
  // d(prod)/dx_i is the product of the other elements of x_i's slice: built from exclusive cumulative
  // products from both sides (as TensorFlow does), so zeros in x are handled exactly.
  const x = op.inputs[0];
  const axes = constInts({ dtype: "int32", shape: null, value: constOf(op.inputs[1]) });
  if (x.rank === null || axes === null)
    throw new UnimplementedError("gradient of Prod needs the input's rank and the reduction axes known when the graph is built");
  const rank = x.rank;
  const norm = [...new Set(axes.map((a) => normalizeAxis(a, rank, "Prod")))].sort((a, b) => a - b);
  const dyFull = broadcastBack(op, dy).dyFull;
  if (norm.length === 0) return [dyFull, null];
  return [multiply(dyFull, productOfOthersOver(x, norm)), null];
};

defineGradients({
  Sum: sumGrad,
  Mean: meanGrad,
  Max: minMaxGrad,
  Min: minMaxGrad,
  Prod: prodGrad,
  Any: null,
  All: null,
  AddN: (op, [dy]) => op.inputs.map(() => dy),
});

// ---------------------------------------------------------------- arg max/min, cumulative sums and products

const scanAttrs = (op: GradOp) => ({ exclusive: op.attrs.exclusive as boolean, reverse: op.attrs.reverse as boolean });

defineGradients({
  ArgMax: null,
  ArgMin: null,
  // The sum runs the other way: each input contributes to every output after it.
  Cumsum: (op, [dy]) => {
    const { exclusive, reverse } = scanAttrs(op);
    return [execute1("Cumsum", [dy, op.inputs[1]], { exclusive, reverse: !reverse }), null];
  },
  // TensorFlow's _CumprodGrad: cumsum(cumprod(x) * dy, reverse) / x. Like TensorFlow it divides by x
  // (div_no_nan: 0 where x is 0), so the gradient is only correct where x has no zeros.
  Cumprod: (op, [dy]) => {
    const { exclusive, reverse } = scanAttrs(op);
    const [x, axis] = op.inputs;
    const prod = execute1("Cumprod", [x, axis], { exclusive, reverse });
    const summed = execute1("Cumsum", [multiply(prod, dy), axis], { exclusive, reverse: !reverse });
    const isZero = equal(x, 0);
    const safeX = execute1("SelectV2", [isZero, execute1("OnesLike", [x]), x]);
    return [execute1("SelectV2", [isZero, execute1("ZerosLike", [summed]), realdiv(summed, safeX)]), null];
  },
});

// ---------------------------------------------------------------- public functions

/** The rank of a tensor, variable or nested JS array; null when unknown before run time. */
function rankOfInput(x: TensorLike): number | null {
  if (isTensor(x)) return x.rank;
  if (typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x) && "shape" in x) {
    const s = (x as { shape: Shape }).shape;
    return s === null ? null : s.length;
  }
  let r = 0;
  for (let v: unknown = x; Array.isArray(v) || ArrayBuffer.isView(v); v = (v as ArrayLike<unknown>)[0]) {
    r++;
    if ((v as ArrayLike<unknown>).length === 0) break;
  }
  return r;
}

const reduceParams = (what: string) =>
  [
    param("inputTensor", T.tensor, `The tensor to reduce${what}.`),
    optional("axis", T.axes, "The dimensions to reduce (negative counts from the end); null or absent: all."),
    withDefault("keepdims", K.boolean, false, "Keep the reduced dimensions, with size 1."),
    NAME,
    optional("reductionIndices", T.axes, "TensorFlow 1's deprecated name for axis."),
    optional("keepDims", K.boolean, "TensorFlow 1's deprecated name for keepdims."),
  ] as const;

function reducer(type: OpType, defaultName: string, pyName: string, doc: string, bools = false) {
  const example = bools
    ? [
        [
          [true, false],
          [true, true],
        ],
        1,
      ]
    : [
        [
          [1, 2],
          [3, 4],
        ],
        1,
      ];
  return defineFunction(
    signature(pyName, doc, reduceParams(bools ? " (bool)" : ""), { args: () => example }),
    (inputTensor, axisArg0, keepdims, name0, reductionIndices, keepDims): Tensor => {
      const axisArg = axisArg0 ?? reductionIndices ?? null;
      const keep = keepDims ?? keepdims;
      const name = name0 ?? defaultName;
      let axis: TensorLike;
      if (axisArg === null) {
        const rank = rankOfInput(inputTensor);
        if (rank !== null) axis = new Int32Array(Array.from({ length: rank }, (_, i) => i));
        else if (getOpDef("Range") && getOpDef("Rank")) axis = execute1("Range", [0, execute1("Rank", [inputTensor]), 1]);
        else if (!keep) return execute1(type, [reshape(inputTensor, new Int32Array([-1])), new Int32Array([0])], { keep_dims: false }, name);
        else throw new UnimplementedError(`${type} over all axes with keepdims needs the rank of its input, which is unknown`);
      } else {
        axis = typeof axisArg === "number" ? new Int32Array([axisArg]) : Array.isArray(axisArg) ? new Int32Array(axisArg) : axisArg;
      }
      return execute1(type, [inputTensor, axis], { keep_dims: keep }, name);
    },
  );
}

export const reduceSum = reducer("Sum", "Sum", "math.reduce_sum", "The sum of elements across dimensions.");
export const reduceMean = reducer("Mean", "Mean", "math.reduce_mean", "The mean of elements across dimensions.");
export const reduceMax = reducer("Max", "Max", "math.reduce_max", "The maximum of elements across dimensions.");
export const reduceMin = reducer("Min", "Min", "math.reduce_min", "The minimum of elements across dimensions.");
export const reduceProd = reducer("Prod", "Prod", "math.reduce_prod", "The product of elements across dimensions.");
export const reduceAny = reducer("Any", "Any", "math.reduce_any", "The logical OR of elements across dimensions.", true);
export const reduceAll = reducer("All", "All", "math.reduce_all", "The logical AND of elements across dimensions.", true);

/** tf.add_n(inputs, name): the sum of a list of tensors of one shape. */
export const addN = defineFunction(
  signature("math.add_n", "The elementwise sum of a list of tensors of one shape and dtype.", [param("inputs", T.tensors, "The tensors to add."), NAME], {
    args: () => [
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ],
  }),
  (inputs, name): Tensor => {
    if (inputs.length === 1 && isTensor(inputs[0])) return inputs[0];
    return execute1("AddN", inputs, {}, name);
  },
);

const argParams = (which: string) =>
  [
    param("input", T.tensor, "A tensor."),
    optional("axis", kind<number | Tensor | null>("number | Tensor | null"), `The dimension to find the ${which} along; absent: 0.`),
    withDefault("outputType", kind<DType>("DType"), "int64", "The index dtype: int32 or int64."),
    NAME,
    optional("dimension", kind<number | Tensor | null>("number | Tensor | null"), "TensorFlow 1's deprecated name for axis."),
  ] as const;

function argReducer(type: OpType, pyName: string, which: string) {
  const sig = signature(pyName, `The index of the ${which} value along an axis (the first on ties).`, argParams(which), {
    args: () => [
      [
        [1, 5],
        [7, 2],
      ],
      1,
      "int32",
    ],
  });
  return defineFunction(sig, (input, axis, outputType, name, dimension) => execute1(type, [input, axis ?? dimension ?? 0], { output_type: outputType }, name));
}

/** tf.math.argmax(input, axis=0, output_type="int64", name): index of the largest value along axis (first on ties). */
export const argmax = argReducer("ArgMax", "math.argmax", "largest");
/** tf.math.argmin(input, axis=0, output_type="int64", name): index of the smallest value along axis (first on ties). */
export const argmin = argReducer("ArgMin", "math.argmin", "smallest");

const scanParams = (what: string) =>
  [
    param("x", T.tensor, "A tensor."),
    withDefault("axis", kind<number | Tensor>("number | Tensor"), 0, `The axis to ${what} along.`),
    withDefault("exclusive", K.boolean, false, "Leave each element out of its own result (the first result is the identity)."),
    withDefault("reverse", K.boolean, false, "Run from the end of the axis."),
    NAME,
  ] as const;

function scan(type: OpType, pyName: string, what: string) {
  const sig = signature(pyName, `The cumulative ${what} along an axis.`, scanParams(what), {
    args: () => [
      [
        [1, 2],
        [3, 4],
      ],
      1,
      true,
      true,
    ],
  });
  return defineFunction(sig, (x, axis, exclusive, reverse, name) => execute1(type, [x, axis], { exclusive, reverse }, name));
}

/** tf.math.cumsum(x, axis=0, exclusive=false, reverse=false, name). */
export const cumsum = scan("Cumsum", "math.cumsum", "sum");
/** tf.math.cumprod(x, axis=0, exclusive=false, reverse=false, name). */
export const cumprod = scan("Cumprod", "math.cumprod", "product");
