import type { DType } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { Dim, isFullyDefined, normalizeAxis, shapeStr, sizeOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../eager/tensor_types.js";
import { pyArgs } from "./args.js";
import { execute1, isTensor } from "./dispatch.js";
import { constInts } from "./infer.js";
import { defineOps, GradFn, GradOp, OpDef, TensorSpec } from "./registry.js";
import { cast } from "./cast.js";
import { divide, equal, multiply, realdiv } from "./elementwise.js";
import { reshape, shape } from "./array.js";

const FLOAT: DType[] = ["float32", "float64"];
const NUMERIC: DType[] = [...FLOAT, "int32", "int64", "uint8"];

/** Normalized, sorted, de-duplicated reduction axes; null when not known before run time. */
export function reductionAxes(axesSpec: TensorSpec, rank: number | null, op: string): number[] | null {
  const raw = constInts(axesSpec);
  if (raw === null || rank === null) return null;
  return [...new Set(raw.map((a) => normalizeAxis(a, rank, op)))].sort((a, b) => a - b);
}

function reduceInfer(outDType?: DType) {
  return (inputs: readonly TensorSpec[], attrs: { readonly [k: string]: unknown }, name: string) => {
    const [x, ax] = inputs;
    const keep = Boolean(attrs.keep_dims);
    const rank = x.shape === null ? null : x.shape.length;
    const axes = reductionAxes(ax, rank, name);
    const dtype = outDType ?? x.dtype;
    if (x.shape === null) return [{ dtype, shape: null }];
    if (axes === null) return [{ dtype, shape: keep ? x.shape.map(() => null) : null }];
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!axes.includes(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return [{ dtype, shape }];
  };
}

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
  const count = divide(cast(execute1("Size", [x]), "float64"), cast(execute1("Size", [y]), "float64"));
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
const prodGrad: GradFn = (op, [dy]) => {
  // d(prod)/dx_i is the product of the other elements: exclusive cumulative products from both sides,
  // as TensorFlow computes it, so that zeros in x are handled exactly.
  const x = op.inputs[0];
  const xs = x.shape;
  const axes = constInts({ dtype: "int32", shape: null, value: constOf(op.inputs[1]) });
  if (!isFullyDefined(xs) || axes === null) throw new UnimplementedError("gradient of Prod needs a static input shape and axes");
  const rank = xs.length;
  const norm = [...new Set(axes.map((a) => normalizeAxis(a, rank, "Prod")))].sort((a, b) => a - b);
  const perm = [...norm, ...xs.map((_, i) => i).filter((i) => !norm.includes(i))];
  const permuted = perm.map((i) => xs[i]);
  const reduced = sizeOf(norm.map((i) => xs[i]));
  const flat = reshape(execute1("Transpose", [x, new Int32Array(perm)]), new Int32Array([reduced, sizeOf(xs) / Math.max(reduced, 1)]));
  const left = execute1("Cumprod", [flat, 0], { exclusive: true, reverse: false });
  const right = execute1("Cumprod", [flat, 0], { exclusive: true, reverse: true });
  const others = reshape(multiply(left, right), new Int32Array(permuted));
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [multiply(broadcastBack(op, dy).dyFull, execute1("Transpose", [others, new Int32Array(inverse)])), null];
};

function reduction(type: string, name: string, dtypes: DType[] | null, grad: GradFn | null, outDType?: DType): OpDef {
  return {
    type,
    name,
    inputNames: ["input", "reduction_indices"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: dtypes ?? undefined,
    infer: reduceInfer(outDType),
    grad,
  };
}

defineOps([
  reduction("Sum", "Sum", NUMERIC, sumGrad),
  reduction("Mean", "Mean", NUMERIC, meanGrad),
  reduction("Max", "Max", NUMERIC, minMaxGrad),
  reduction("Min", "Min", NUMERIC, minMaxGrad),
  reduction("Prod", "Prod", NUMERIC, prodGrad),
  reduction("Any", "Any", ["bool"], null),
  reduction("All", "All", ["bool"], null),
  {
    type: "AddN",
    inputNames: [],
    infer: (inputs) => {
      if (inputs.length === 0) throw new InvalidArgumentError("AddN needs at least one input");
      const d = inputs[0].dtype;
      for (const t of inputs) {
        if (t.dtype !== d) throw new InvalidArgumentError(`AddN: all inputs must have dtype ${d}, got ${t.dtype}`);
        if (shapeStr(t.shape) !== shapeStr(inputs[0].shape) && isFullyDefined(t.shape) && isFullyDefined(inputs[0].shape)) {
          throw new InvalidArgumentError(`AddN: inputs must have the same shape, got ${shapeStr(inputs[0].shape)} and ${shapeStr(t.shape)}`);
        }
      }
      return [{ dtype: d, shape: inputs.find((t) => isFullyDefined(t.shape))?.shape ?? inputs[0].shape }];
    },
    grad: (op, [dy]) => op.inputs.map(() => dy),
  },
]);

// ---------------------------------------------------------------- public functions

export interface ReduceOptions {
  axis?: number | number[] | Tensor | null;
  keepdims?: boolean;
  name?: string;
}
type ReduceArgs = [axis?: number | number[] | Tensor | null | ReduceOptions, keepdims?: boolean, name?: string] | [ReduceOptions];

function allAxes(x: TensorLike): TensorLike {
  const rank = isTensor(x) ? x.rank : Array.isArray(x) || ArrayBuffer.isView(x) ? null : 0;
  if (rank !== null) return new Int32Array(Array.from({ length: rank }, (_, i) => i));
  if (!isTensor(x)) {
    let r = 0;
    for (let v: unknown = x; Array.isArray(v) || ArrayBuffer.isView(v); v = (v as ArrayLike<unknown>)[0]) r++;
    return new Int32Array(Array.from({ length: r }, (_, i) => i));
  }
  return execute1("Range", [0, execute1("Rank", [x]), 1]);
}

function reducer(type: string, defaultName: string) {
  return (inputTensor: TensorLike, ...args: ReduceArgs): Tensor => {
    const a = pyArgs<ReduceOptions>(args, ["axis", "keepdims", "name"]);
    const axis = a.axis === undefined || a.axis === null ? allAxes(inputTensor) : typeof a.axis === "number" ? new Int32Array([a.axis]) : Array.isArray(a.axis) ? new Int32Array(a.axis) : a.axis;
    return execute1(type, [inputTensor, axis], { keep_dims: a.keepdims ?? false }, a.name ?? defaultName);
  };
}

export const reduceSum = reducer("Sum", "Sum");
export const reduceMean = reducer("Mean", "Mean");
export const reduceMax = reducer("Max", "Max");
export const reduceMin = reducer("Min", "Min");
export const reduceProd = reducer("Prod", "Prod");
export const reduceAny = reducer("Any", "Any");
export const reduceAll = reducer("All", "All");

/** tf.add_n(inputs, name): the sum of a list of tensors of one shape. */
export function addN(inputs: readonly TensorLike[], ...rest: [name?: string] | [{ name?: string }]): Tensor {
  const { name } = pyArgs<{ name: string }>(rest, ["name"]);
  if (inputs.length === 1 && isTensor(inputs[0])) return inputs[0];
  return execute1("AddN", inputs, {}, name);
}

