import { allocValues, checkDType, DType, Values } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { broadcastShapes, Dim, isFullyDefined, Shape, shapeStr, sizeOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { HostValue, inferDType, reshapeValues, toValues } from "../core/values.js";
import { defaultBackend, executingEagerly } from "../eager/context.js";
import { EagerTensor } from "../eager/tensor.js";
import type { TensorLike } from "../eager/tensor_types.js";
import { pyArgs } from "./args.js";
import { buildNode, execute1, isTensor } from "./dispatch.js";
import { constInts, sameAsInput } from "./infer.js";
import { defineOps, getOpDef, TensorSpec } from "./registry.js";
import { cast } from "./cast.js";
import { reduceSum } from "./reduce.js";

type NameArg = [name?: string] | [opts: { name?: string }];
const nameOf = (rest: readonly unknown[]) => pyArgs<{ name: string }>(rest, ["name"]).name;

/** Reshape's output shape from the requested one (with at most one -1), checked against the input. */
function reshapeInfer(inputs: readonly TensorSpec[], _a: unknown, name: string) {
  const [x, s] = inputs;
  const req = constInts(s);
  if (req === null) {
    const n = s.shape && s.shape[0];
    return [{ dtype: x.dtype, shape: n === null || n === undefined ? null : new Array<Dim>(n).fill(null) }];
  }
  const neg = req.filter((d) => d === -1).length;
  if (neg > 1) throw new InvalidArgumentError(`Reshape ${name}: can only infer one dimension (-1), got [${req}]`);
  const known = req.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const total = isFullyDefined(x.shape) ? sizeOf(x.shape) : null;
  let out: Dim[] = req;
  if (neg === 1) {
    if (total === null) out = req.map((d) => (d === -1 ? null : d));
    else {
      if (known === 0 || total % known !== 0) {
        throw new InvalidArgumentError(`Input to reshape is a tensor with ${total} values, but the requested shape requires a multiple of ${known}`);
      }
      out = req.map((d) => (d === -1 ? total / known : d));
    }
  } else if (total !== null && total !== known) {
    throw new InvalidArgumentError(`Input to reshape is a tensor with ${total} values, but the requested shape has ${known}`);
  }
  return [{ dtype: x.dtype, shape: out }];
}

defineOps([
  {
    type: "Reshape",
    inputNames: ["tensor", "shape"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: reshapeInfer,
    grad: (op, [dy]) => [reshape(dy, shape(op.inputs[0])), null],
  },
  {
    type: "Shape",
    inputNames: ["input"],
    infer: (i, attrs) => [{ dtype: (attrs.out_type as DType) ?? "int32", shape: [i[0].shape === null ? null : i[0].shape.length] }],
    grad: null,
  },
  { type: "ZerosLike", inputNames: ["x"], infer: sameAsInput(), grad: null },
  { type: "OnesLike", inputNames: ["x"], infer: sameAsInput(), grad: null },
  {
    type: "Fill",
    inputNames: ["dims", "value"],
    inputDTypes: { 0: "int32" },
    hostInputs: [0],
    infer: (i) => {
      const dims = constInts(i[0]);
      const r = i[0].shape?.[0];
      return [{ dtype: i[1].dtype, shape: dims ?? (r === null || r === undefined ? null : new Array<Dim>(r).fill(null)) }];
    },
    grad: (_op, [dy]) => [null, reduceSum(dy)],
  },
  {
    type: "SelectV2",
    inputNames: ["condition", "t", "e"],
    dtypeGroups: [[1, 2]],
    infer: (i) => {
      const s1 = broadcastShapes(i[1].shape, i[2].shape);
      const s = s1 === "incompatible" ? s1 : broadcastShapes(i[0].shape, s1);
      if (s === "incompatible") {
        throw new InvalidArgumentError(`condition ${shapeStr(i[0].shape)}, then ${shapeStr(i[1].shape)} and else ${shapeStr(i[2].shape)} must be broadcastable`);
      }
      if (i[0].dtype !== "bool") throw new InvalidArgumentError(`SelectV2: condition must be bool, got ${i[0].dtype}`);
      return [{ dtype: i[1].dtype, shape: s }];
    },
    grad: (op, [dy]) => {
      const [c, t, e] = op.inputs;
      const z = zerosLike(dy);
      return [null, unbroadcastTo(where(c, dy, z), t), unbroadcastTo(where(c, z, dy), e)];
    },
  },
  {
    type: "BroadcastGradientArgs",
    inputNames: ["s0", "s1"],
    hostInputs: [0, 1],
    infer: () => [{ dtype: "int32", shape: [null] }, { dtype: "int32", shape: [null] }],
    grad: null,
  },
  { type: "StopGradient", inputNames: ["input"], infer: sameAsInput(), grad: null },
  {
    type: "BroadcastTo",
    inputNames: ["input", "shape"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i) => {
      const target = constInts(i[1]);
      if (target === null) return [{ dtype: i[0].dtype, shape: null }];
      const s = broadcastShapes(i[0].shape, target);
      if (s === "incompatible" || (s !== null && s.length !== target.length)) {
        throw new InvalidArgumentError(`Unable to broadcast tensor of shape ${shapeStr(i[0].shape)} to tensor of shape [${target}]`);
      }
      return [{ dtype: i[0].dtype, shape: target }];
    },
    grad: (op, [dy]) => [unbroadcastTo(dy, op.inputs[0]), null],
  },
  {
    type: "ExpandDims",
    inputNames: ["input", "dim"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i, _a, name) => {
      const axis = constInts(i[1]);
      if (i[0].shape === null || axis === null) return [{ dtype: i[0].dtype, shape: null }];
      const r = i[0].shape.length;
      let a = axis[0];
      if (a < -r - 1 || a > r) throw new InvalidArgumentError(`ExpandDims ${name}: dim ${a} is out of range for rank ${r}; expected [${-r - 1}, ${r}]`);
      if (a < 0) a += r + 1;
      const s = i[0].shape.slice();
      s.splice(a, 0, 1);
      return [{ dtype: i[0].dtype, shape: s }];
    },
    grad: (op, [dy]) => [reshape(dy, shape(op.inputs[0])), null],
  },
]);

import { unbroadcast as unbroadcastTo } from "./grad_util.js";

// ---------------------------------------------------------------- constants

export interface ConstantOptions {
  dtype?: DType;
  shape?: number[];
  name?: string;
}

/** tf.constant(value, dtype, shape, name). A scalar fills `shape`, as in TensorFlow. */
export function constant(value: TensorLike, ...args: [dtype?: DType | ConstantOptions, shape?: number[], name?: string] | [ConstantOptions]): Tensor {
  const a = pyArgs<ConstantOptions>(args, ["dtype", "shape", "name"]);
  let values: Values;
  let shp: number[];
  let dtype: DType;
  if (isTensor(value) && value instanceof EagerTensor) {
    dtype = a.dtype ?? value.dtype;
    if (dtype !== value.dtype) return cast(value, dtype);
    values = value.dataSync();
    shp = value.shape;
  } else if (isTensor(value)) {
    throw new InvalidArgumentError(`tf.constant: ${value.toString()} is symbolic; a constant needs a concrete value`);
  } else {
    dtype = checkDType(a.dtype ?? inferDType(value as HostValue), "tf.constant");
    ({ values, shape: shp } = toValues(value as HostValue, dtype));
  }
  if (a.shape) {
    values = reshapeValues(values, shp, a.shape, dtype, "tf.constant");
    shp = a.shape.slice();
  }
  if (executingEagerly()) return new EagerTensor(defaultBackend().write(values, dtype, shp));
  return buildNode(getOpDef("Const")!, [], { value: values, dtype, shape: shp }, a.name ?? "Const").outputs[0];
}

/** tf.convert_to_tensor(value, dtype, name). */
export function convertToTensor(value: TensorLike, ...args: [dtype?: DType | ConstantOptions, name?: string] | [ConstantOptions]): Tensor {
  const a = pyArgs<ConstantOptions>(args, ["dtype", "name"]);
  if (isTensor(value)) {
    if (a.dtype && a.dtype !== value.dtype) {
      throw new InvalidArgumentError(`Tensor conversion requested dtype ${a.dtype} for Tensor with dtype ${value.dtype}: ${value.toString()}`);
    }
    return value;
  }
  if (typeof value === "object" && value !== null && "readForOp" in value) return identity(value);
  return constant(value, { dtype: a.dtype, name: a.name });
}

// ---------------------------------------------------------------- shapes

/** tf.reshape(tensor, shape, name); one dim may be -1. */
export function reshape(tensor: TensorLike, shapeArg: TensorLike, ...rest: NameArg): Tensor {
  return execute1("Reshape", [tensor, shapeArg], {}, nameOf(rest));
}

/** tf.shape(input, out_type, name): the dynamic shape, as a tensor. */
export function shape(input: TensorLike, ...args: [outType?: DType | { outType?: DType; name?: string }, name?: string] | [{ outType?: DType; name?: string }]): Tensor {
  const a = pyArgs<{ outType: DType; name: string }>(args, ["outType", "name"]);
  return execute1("Shape", [input], { out_type: a.outType ?? "int32" }, a.name);
}

export function zerosLike(input: TensorLike, ...rest: NameArg): Tensor {
  return execute1("ZerosLike", [input], {}, nameOf(rest));
}
export function onesLike(input: TensorLike, ...rest: NameArg): Tensor {
  return execute1("OnesLike", [input], {}, nameOf(rest));
}

/** tf.fill(dims, value, name). */
export function fill(dims: TensorLike, value: TensorLike, ...rest: NameArg): Tensor {
  return execute1("Fill", [dims, value], {}, nameOf(rest));
}

function filled(shapeArg: TensorLike, dtype: DType, v: number, opName: string, name?: string): Tensor {
  if (Array.isArray(shapeArg) && shapeArg.every((d) => typeof d === "number")) {
    const n = sizeOf(shapeArg as number[]);
    const values = allocValues(dtype, n);
    if (v !== 0) (values as unknown as { fill(x: unknown): void }).fill(dtype === "int64" ? BigInt(v) : v);
    return constant(values as HostValue, { dtype, shape: shapeArg as number[], name: name ?? opName });
  }
  return fill(shapeArg, constant(v, { dtype }), { name: name ?? opName });
}

/** tf.zeros(shape, dtype="float32", name). */
export function zeros(shapeArg: TensorLike, ...args: [dtype?: DType | ConstantOptions, name?: string] | [ConstantOptions]): Tensor {
  const a = pyArgs<ConstantOptions>(args, ["dtype", "name"]);
  return filled(shapeArg, a.dtype ?? "float32", 0, "zeros", a.name);
}
/** tf.ones(shape, dtype="float32", name). */
export function ones(shapeArg: TensorLike, ...args: [dtype?: DType | ConstantOptions, name?: string] | [ConstantOptions]): Tensor {
  const a = pyArgs<ConstantOptions>(args, ["dtype", "name"]);
  return filled(shapeArg, a.dtype ?? "float32", 1, "ones", a.name);
}

/** tf.where(condition, x, y, name): elementwise selection with broadcasting (TensorFlow 2's where). */
export function where(condition: TensorLike, x: TensorLike, y: TensorLike, ...rest: NameArg): Tensor {
  return execute1("SelectV2", [condition, x, y], {}, nameOf(rest));
}

export function identity(input: TensorLike, ...rest: NameArg): Tensor {
  return execute1("Identity", [input], {}, nameOf(rest));
}

/** tf.stop_gradient(input): the same value, through which no gradient flows. */
export function stopGradient(input: TensorLike, ...rest: NameArg): Tensor {
  return execute1("StopGradient", [input], {}, nameOf(rest));
}

/** tf.broadcast_to(input, shape, name). */
export function broadcastTo(input: TensorLike, shapeArg: TensorLike, ...rest: NameArg): Tensor {
  return execute1("BroadcastTo", [input, shapeArg], {}, nameOf(rest));
}

/** tf.expand_dims(input, axis, name): inserts a dimension of size 1 at `axis`. */
export function expandDims(input: TensorLike, axis: number | { axis: number; name?: string }, ...rest: NameArg): Tensor {
  const a = typeof axis === "number" ? { axis, name: nameOf(rest) } : axis;
  return execute1("ExpandDims", [input, new Int32Array([a.axis])], {}, a.name);
}

/** The static shape of a graph tensor, or the shape of an eager one (tensor.get_shape()). */
export function staticShape(t: Tensor): Shape {
  return t.shape;
}

