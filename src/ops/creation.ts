import { allocValues, checkDType, DType, Values } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { sizeOf } from "../core/shape.js";
import { checkAllocation } from "../core/shape_check.js";
import { SYMBOLIC, Tensor } from "../core/tensor.js";
import { HostValue, inferDType, reshapeValues, toValues } from "../core/values.js";
import { TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1, isTensor } from "./dispatch.js";
import { currentExecutor } from "./executor.js";
import { defineGradients } from "./registry.js";
import { cast } from "./cast.js";
import { reduceSum } from "./reduce.js";
import { unbroadcast as unbroadcastTo } from "./grad_util.js";
import { nameOnly, SHAPE_ARG } from "./array_args.js";
import { identity } from "./movement.js";

/**
 * Tensors made from values or filled: tf.constant, convert_to_tensor, fill, zeros, ones, zeros_like,
 * ones_like, and tf.where (op SelectV2). Their kernels are in the backends' elementwise family
 * (Fill, ZerosLike, OnesLike, SelectV2); their rows in core/schema/creation.ts.
 */

defineGradients({
  ZerosLike: null,
  OnesLike: null,
  Fill: (_op, [dy]) => [null, reduceSum(dy)],
  SelectV2: (op, [dy]) => {
    const [c, t, e] = op.inputs;
    const z = zerosLike(dy);
    return [null, unbroadcastTo(where(c, dy, z), t), unbroadcastTo(where(c, z, dy), e)];
  },
  Select: (op, [dy]) => {
    const c = op.inputs[0];
    const z = zerosLike(dy);
    return [null, execute1("Select", [c, dy, z]), execute1("Select", [c, z, dy])];
  },
});

const DTYPE = optional("dtype", T.dtype, "The dtype of the result; absent: inferred from the value.");

/** tf.constant(value, dtype, shape, name). A scalar fills `shape`, as in TensorFlow. */
export const constant = defineFunction(
  signature(
    "constant",
    "A constant tensor from a JS value (number, boolean, string, nested arrays, typed array) or a concrete tensor.",
    [
      param("value", T.tensor, "The value."),
      DTYPE,
      optional("shape", kind<number[]>("number[]"), "The shape of the result: the value is reshaped, or a scalar fills it."),
      NAME,
    ],
    { args: () => [[1, 2, 3, 4], "int32", [2, 2], "c"] },
  ),
  (value, dtypeArg, shapeArg, name): Tensor => {
    let values: Values;
    let shp: number[];
    let dtype: DType;
    if (isTensor(value)) {
      // Only an eager tensor has a value now; a graph tensor has one only inside Session.run.
      if (value[SYMBOLIC]) {
        throw new InvalidArgumentError(`tf.constant: ${value.toString()} is symbolic; a constant needs a concrete value`);
      }
      dtype = dtypeArg ?? value.dtype;
      if (dtype !== value.dtype) return cast(value, dtype);
      values = value.dataSync();
      shp = value.shape as number[];
    } else {
      dtype = checkDType(dtypeArg ?? inferDType(value as HostValue), "tf.constant");
      ({ values, shape: shp } = toValues(value as HostValue, dtype));
    }
    if (shapeArg) {
      values = reshapeValues(values, shp, shapeArg, dtype, "tf.constant");
      shp = shapeArg.slice();
    }
    // Eagerly where TensorFlow 2 puts constants (the tf.device scope's device, else GPU:0); in a graph a Const.
    return currentExecutor().constant(values, dtype, shp, name);
  },
);

/** tf.convert_to_tensor(value, dtype, name). */
export const convertToTensor = defineFunction(
  signature(
    "convert_to_tensor",
    "The value as a tensor: tensors pass through, variables are read, JS values become constants.",
    [param("value", T.tensor, "The value."), DTYPE, NAME],
    {
      args: () => [[1, 2], "float32", "t"],
    },
  ),
  (value, dtype, name): Tensor => {
    if (isTensor(value)) {
      if (dtype && dtype !== value.dtype) {
        throw new InvalidArgumentError(`Tensor conversion requested dtype ${dtype} for Tensor with dtype ${value.dtype}: ${value.toString()}`);
      }
      return value;
    }
    if (typeof value === "object" && value !== null && "readForOp" in value) return identity(value);
    return constant(value, { dtype, name });
  },
);

export const zerosLike = nameOnly("zeros_like", "Zeros of the input's shape and dtype.", "ZerosLike");
export const onesLike = nameOnly("ones_like", "Ones of the input's shape and dtype.", "OnesLike");

/** tf.fill(dims, value, name). */
export const fill = defineFunction(
  signature(
    "fill",
    "A tensor of shape dims filled with a scalar value.",
    [param("dims", T.tensor, "The shape of the result."), param("value", T.tensor, "The scalar to fill with."), NAME],
    { args: () => [[2, 3], 7] },
  ),
  (dims, value, name) => execute1("Fill", [dims, value], {}, name),
);

function filled(shapeArg: TensorLike, dtype: DType, v: number, opName: string, name?: string): Tensor {
  if (Array.isArray(shapeArg) && shapeArg.every((d) => typeof d === "number")) {
    checkAllocation(shapeArg as number[], dtype, opName);
    const n = sizeOf(shapeArg as number[]);
    const values = allocValues(dtype, n);
    if (v !== 0) (values as unknown as { fill(x: unknown): void }).fill(dtype === "int64" ? BigInt(v) : v);
    return constant(values as HostValue, { dtype, shape: shapeArg as number[], name: name ?? opName });
  }
  return fill(shapeArg, constant(v, { dtype }), { name: name ?? opName });
}

const filledParams = [SHAPE_ARG, withDefault("dtype", T.dtype, "float32", "The dtype of the result."), NAME] as const;
/** tf.zeros(shape, dtype="float32", name). */
export const zeros = defineFunction(signature("zeros", "A tensor of zeros.", filledParams, { args: () => [[2, 3], "int32"] }), (shapeArg, dtype, name) =>
  filled(shapeArg, dtype, 0, "zeros", name),
);
/** tf.ones(shape, dtype="float32", name). */
export const ones = defineFunction(signature("ones", "A tensor of ones.", filledParams, { args: () => [[2, 3], "int32"] }), (shapeArg, dtype, name) =>
  filled(shapeArg, dtype, 1, "ones", name),
);

/**
 * tf.eye(num_rows, num_columns=None, batch_shape=None, dtype=float32, name=None): identity matrices, ones on
 * the main diagonal of the last two dimensions, batched over batch_shape.
 */
export const eye = defineFunction(
  signature(
    "eye",
    "An identity matrix (or a batch of them): ones on the main diagonal, zeros elsewhere.",
    [
      param("numRows", K.int, "Rows of each matrix."),
      optional("numColumns", K.int, "Columns of each matrix (default: numRows)."),
      optional("batchShape", kind<number[]>("number[]"), "Leading batch dimensions."),
      withDefault("dtype", T.dtype, "float32", "The dtype of the result."),
      NAME,
    ],
    { args: () => [2, 3, [2], "int32"] },
  ),
  (numRows, numColumns, batchShape, dtype, name) => {
    const cols = numColumns ?? numRows;
    const batch = batchShape ?? [];
    for (const [v, what] of [[numRows, "num_rows"], [cols, "num_columns"], ...batch.map((d, i) => [d, `batch_shape[${i}]`] as const)] as const) {
      if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`tf.eye: ${what} must be a non-negative integer, got ${v}`);
    }
    if (dtype === "string") throw new InvalidArgumentError("tf.eye: dtype string is not supported (a numeric or bool dtype is expected)");
    const shape = [...batch, numRows, cols];
    const values = allocValues(dtype, sizeOf(shape)) as Exclude<Values, string[]>;
    // A recycled buffer may hold old values.
    const big = values instanceof BigInt64Array;
    if (big) values.fill(0n);
    else values.fill(0);
    const one = big ? 1n : 1;
    const box = values as unknown as Record<number, unknown>;
    const per = numRows * cols;
    for (let b = 0; b < sizeOf(batch); b++) for (let i = 0; i < Math.min(numRows, cols); i++) box[b * per + i * cols + i] = one;
    return constant(values as HostValue, { dtype, shape, name: name ?? "eye" });
  },
);

/**
 * tf.compat.v1.where(condition, x, y, name): TensorFlow 1's selection (op Select): x and y of one shape, the
 * condition of that shape, a scalar, or a vector choosing whole rows along the first dim; no broadcasting.
 */
export const whereV1 = defineFunction(
  signature(
    "compat.v1.where",
    "x where condition is true, else y (TensorFlow 1: x and y of one shape; a vector condition picks rows).",
    [
      param("condition", T.tensor, "A bool tensor: x's shape, a scalar, or a vector of x's first dim."),
      param("x", T.tensor, "The values where condition is true."),
      param("y", T.tensor, "The values where condition is false (x's shape)."),
      NAME,
    ],
    {
      args: () => [
        [true, false],
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
    },
  ),
  (condition, x, y, name) => execute1("Select", [condition, x, y], {}, name),
);

/** tf.where(condition, x, y, name): elementwise selection with broadcasting (TensorFlow 2's where). */
export const where = defineFunction(
  signature(
    "where",
    "x where condition is true, else y, elementwise with broadcasting (TensorFlow 2's where; x and y are required here).",
    [
      param("condition", T.tensor, "A bool tensor."),
      param("x", T.tensor, "The values where condition is true."),
      param("y", T.tensor, "The values where condition is false."),
      NAME,
    ],
    {
      args: () => [
        [true, false],
        [1, 2],
        [3, 4],
      ],
    },
  ),
  (condition, x, y, name) => execute1("SelectV2", [condition, x, y], {}, name),
);
