import { DType } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { shapeStr } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { HostValue, inferDType, inferShape as inferShapeOf } from "../core/values.js";
import { isTensorConvertible, TensorConvertible, TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute, execute1, isTensor } from "./dispatch.js";
import { unknownShapeOfRank } from "../core/schema/infer_util.js";
import { concatShape } from "../core/geometry/array_shapes.js";
import { cast } from "./cast.js";
import { subtract } from "./elementwise.js";
import { INPUT, nameOnly, seq, SHAPE_ARG } from "./array_args.js";
import { constant, convertToTensor, onesLike } from "./creation.js";

/**
 * The movement ops (the backends' movement family): Reshape, Identity, StopGradient, BroadcastTo,
 * ExpandDims, Transpose, Squeeze, ConcatV2, Pack/Unpack, Split/SplitV, Slice, StridedSlice, GatherV2,
 * UnsortedSegmentSum, Tile, Pad/PadV2/MirrorPad, OneHot, Range, LinSpace, ReverseV2, InvertPermutation.
 * Rows and shape rules in core/schema/movement.ts and core/geometry/array_shapes.ts; gradients in
 * ops/movement_grads.ts.
 */

/** tf.reshape(tensor, shape, name); one dim may be -1. */
export const reshape = defineFunction(
  signature("reshape", "The same values in a new shape; one dimension may be -1 (inferred).", [param("tensor", T.tensor, "A tensor."), SHAPE_ARG, NAME], {
    args: () => [
      [
        [1, 2],
        [3, 4],
      ],
      [4],
    ],
  }),
  (tensor, shapeArg, name) => execute1("Reshape", [tensor, shapeArg], {}, name),
);

export const identity = nameOnly("identity", "The same value (in a graph: an Identity node).", "Identity");
/** tf.stop_gradient(input): the same value, through which no gradient flows. */
export const stopGradient = nameOnly("stop_gradient", "The same value, through which no gradient flows.", "StopGradient");

/** tf.broadcast_to(input, shape, name). */
export const broadcastTo = defineFunction(
  signature("broadcast_to", "The input broadcast to a shape.", [INPUT, SHAPE_ARG, NAME], {
    args: () => [
      [1, 2],
      [3, 2],
    ],
  }),
  (input, shapeArg, name) => execute1("BroadcastTo", [input, shapeArg], {}, name),
);

/** tf.expand_dims(input, axis, name): inserts a dimension of size 1 at `axis`. */
export const expandDims = defineFunction(
  signature(
    "expand_dims",
    "Inserts a dimension of size 1 at axis.",
    [INPUT, param("axis", K.int, "Where the new dimension goes (negative counts from the end)."), NAME],
    { args: () => [[1, 2], 1] },
  ),
  (input, axis, name) => execute1("ExpandDims", [input, new Int32Array([axis])], {}, name),
);

// ---------------------------------------------------------------- public functions

/** The dtype a list of values shares: that of its first tensor, else what its first JS value infers. */
function listDType(values: readonly TensorLike[]): DType {
  for (const v of values) {
    if (isTensor(v) || isTensorConvertible(v)) return v.dtype;
  }
  return inferDType(values[0] as HostValue);
}
/** Tensors pass (a dtype mismatch is the op's error); JS values become constants of `dtype`. */
/**
 * Runs `body`, giving it `made` to register the tensors it creates to stand for JS values; those are released
 * after (eager ones; in a graph they are constants the node keeps).
 */
function withTemporaries<R>(body: (made: Tensor[]) => R): R {
  const made: Tensor[] = [];
  try {
    return body(made);
  } finally {
    for (const t of made) t.dispose();
  }
}
/** The values as tensors of one dtype; the ones made from JS values are pushed to `made`. */
function asTensors(values: readonly TensorLike[], dtype: DType, made: Tensor[]): TensorLike[] {
  return values.map((v) => {
    if (isTensor(v) || isTensorConvertible(v)) return v;
    const t = constant(v, { dtype });
    made.push(t);
    return t;
  });
}
/** Int vector arguments (perm, begin, multiples...): JS arrays become int32. */
function intArg(v: TensorLike): TensorLike {
  if (!Array.isArray(v)) return v;
  // Only int32 values become an Int32Array; others stay as given so that dispatch reports them, never wrapped.
  if (v.every((x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31)) return new Int32Array(v as number[]);
  // Non-integers stay float32, as Python's floats do, so that the op reports the dtype.
  if ((v.flat(Infinity) as unknown[]).some((x) => typeof x === "number" && !Number.isInteger(x))) return constant(v, { dtype: "float32" });
  return v;
}
/** An int32 scalar for a JS number (pushed to `made`), else the value itself. */
function intScalar(v: TensorLike, made: Tensor[]): TensorLike {
  if (typeof v !== "number") return v;
  const t = constant(v, { dtype: "int32" });
  made.push(t);
  return t;
}
const staticRank = (x: TensorLike): number | null =>
  isTensor(x) || isTensorConvertible(x) ? (x.shape === null ? null : x.shape.length) : inferShapeOf(x as HostValue).length;

const NUM_OUT = kind<number | null>("number | null");
const INT_TENSOR = kind<TensorLike>("number[] | TensorLike");

/** tf.transpose(a, perm=None, conjugate=False, name="transpose"): perm defaults to reversing the dims. */
export const transpose = defineFunction(
  signature(
    "transpose",
    "Permutes the dimensions; perm defaults to reversing them.",
    [
      param("a", T.tensor, "A tensor."),
      optional("perm", kind<TensorLike | null>("number[] | TensorLike | null"), "The permutation of the dimensions."),
      withDefault("conjugate", K.boolean, false, "Conjugate too (no complex dtypes: no effect)."),
      NAME,
    ],
    {
      args: () => [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [1, 0],
      ],
    },
  ),
  (a, permArg, _conjugate, name0): Tensor => {
    const name = name0 ?? "transpose";
    let perm: TensorLike;
    if (permArg !== undefined && permArg !== null) perm = intArg(permArg);
    else {
      const r = staticRank(a);
      if (r !== null) perm = new Int32Array(seq(0, r).reverse());
      else {
        const rk = execute1("Rank", [a]);
        perm = subtract(subtract(rk, 1), execute1("Range", [0, rk, 1]));
      }
    }
    return execute1("Transpose", [a, perm], {}, name);
  },
);

/** tf.squeeze(input, axis=None, name): removes dims of size 1 (only those in `axis` when given). */
export const squeeze = defineFunction(
  signature(
    "squeeze",
    "Removes dimensions of size 1 (only those in axis when given).",
    [
      INPUT,
      optional("axis", kind<number | number[] | null>("number | number[] | null"), "The dimensions to remove; absent: all of size 1."),
      NAME,
      optional("squeezeDims", kind<number | number[]>("number | number[]"), "TensorFlow 1's deprecated name for axis."),
    ],
    { args: () => [[[1], [2]], 1] },
  ),
  (input, axis, name, squeezeDims) => {
    const ax = axis ?? squeezeDims ?? [];
    return execute1("Squeeze", [input], { squeeze_dims: typeof ax === "number" ? [ax] : ax }, name);
  },
);

const VALUES = param("values", T.tensors, "A list of tensors of one dtype.");

/** tf.concat(values, axis, name="concat"). */
export const concat = defineFunction(
  signature("concat", "Joins tensors along an existing axis.", [VALUES, param("axis", T.axisTensor, "The axis to join along."), NAME], {
    args: () => [[[[1, 2]], [[3, 4]]], 0],
  }),
  (values, axis, name0): Tensor => {
    const name = name0 ?? "concat";
    if (values.length === 0) throw new InvalidArgumentError("tf.concat: values must not be empty");
    return withTemporaries((made) => {
      const vals = asTensors(values, listDType(values), made);
      if (vals.length === 1) {
        // As TensorFlow does: one value is returned as is (after checking the axis against its rank).
        const r = staticRank(vals[0]);
        const ax = typeof axis === "number" ? axis : null;
        if (r !== null && ax !== null) concatShape([unknownShapeOfRank(r)], ax);
        return identity(vals[0], name);
      }
      return execute1("ConcatV2", [...vals, intScalar(axis, made)], { N: vals.length }, name);
    });
  },
);

/** tf.stack(values, axis=0, name="stack"): packs tensors of one shape along a new axis. */
export const stack = defineFunction(
  signature("stack", "Packs tensors of one shape along a new axis.", [VALUES, withDefault("axis", T.axis, 0, "Where the new axis goes."), NAME], {
    args: () => [
      [
        [1, 2],
        [3, 4],
      ],
      1,
    ],
  }),
  (values, axis, name): Tensor => {
    if (values.length === 0) throw new InvalidArgumentError("tf.stack: values must not be empty");
    return withTemporaries((made) => {
      const vals = asTensors(values, listDType(values), made);
      return execute1("Pack", vals, { N: vals.length, axis }, name ?? "stack");
    });
  },
);

/** tf.unstack(value, num=None, axis=0, name="unstack"): the slices of `value` along `axis`. */
export const unstack = defineFunction(
  signature(
    "unstack",
    "The slices of a tensor along an axis.",
    [
      param("value", T.tensor, "A tensor."),
      optional("num", NUM_OUT, "The number of slices; absent: the axis' size."),
      withDefault("axis", T.axis, 0, "The axis to unpack along."),
      NAME,
    ],
    {
      args: () => [
        [
          [1, 2],
          [3, 4],
        ],
        2,
        1,
      ],
    },
  ),
  (value, numArg, axis, name): Tensor[] => {
    const v = isTensor(value) || isTensorConvertible(value) ? value : convertToTensor(value);
    let num = numArg ?? null;
    if (num === null) {
      const s = v.shape;
      if (s !== null) {
        if (axis < -s.length || axis >= s.length)
          throw new InvalidArgumentError(`tf.unstack: axis = ${axis} not in [${-s.length}, ${s.length}) for value of shape ${shapeStr(s)}`);
        num = s[axis < 0 ? axis + s.length : axis];
      }
      if (num === null) throw new InvalidArgumentError(`tf.unstack: Cannot infer argument \`num\` from shape ${shapeStr(s)}`);
    }
    // A copy: a graph op's own outputs list must not be reordered by the caller.
    return execute("Unpack", [v], { num, axis }, name ?? "unstack").slice();
  },
);

/**
 * tf.split(value, num_or_size_splits, axis=0, num=None, name="split"): a number splits evenly (Split),
 * a list of sizes (one may be -1) splits unevenly (SplitV).
 */
export const split = defineFunction(
  signature(
    "split",
    "Splits a tensor into pieces along an axis: evenly (a number) or by sizes (a list; one may be -1).",
    [
      param("value", T.tensor, "A tensor."),
      param("numOrSizeSplits", kind<number | TensorLike>("number | number[] | TensorLike"), "The number of equal pieces, or the pieces' sizes."),
      withDefault("axis", T.axisTensor, 0, "The axis to split along."),
      optional("num", NUM_OUT, "The number of pieces, when sizes are a tensor of unknown length."),
      NAME,
    ],
    { args: () => [[[1, 2, 3, 4]], [1, 3], 1] },
  ),
  (value, spec, axis, numArg, name0): Tensor[] => {
    const name = name0 ?? "split";
    if (typeof spec === "number") return execute("Split", [axis, value], { num_split: spec }, name).slice();
    const sizes = intArg(spec);
    let num = numArg ?? null;
    if (num === null) {
      const s = isTensor(sizes) ? sizes.shape : inferShapeOf(sizes as HostValue);
      if (s !== null && s.length === 0)
        throw new InvalidArgumentError(
          `tf.split: Rank-0 tensors are not supported as the num_or_size_splits argument to split. Argument provided: ${String(spec)}`,
        );
      num = s === null ? null : s[0];
      if (num === null) throw new InvalidArgumentError(`tf.split: Cannot infer argument \`num\` from shape ${shapeStr(s)}`);
    }
    return execute("SplitV", [value, sizes, axis], { num_split: num }, name).slice();
  },
);

/** tf.slice(input_, begin, size, name="Slice"): size -1 takes the rest of a dim. */
export const slice = defineFunction(
  signature(
    "slice",
    "A slice of a tensor: size -1 takes the rest of a dimension.",
    [INPUT, param("begin", INT_TENSOR, "The start of each dimension."), param("size", INT_TENSOR, "The length along each dimension (-1: the rest)."), NAME],
    {
      args: () => [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [0, 1],
        [2, -1],
      ],
    },
  ),
  (input, begin, size, name) => execute1("Slice", [input, intArg(begin), intArg(size)], {}, name),
);

const MASK = <N extends string>(n: N, doc: string) => withDefault(n, K.int, 0, doc);
/**
 * tf.strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
 * new_axis_mask=0, shrink_axis_mask=0, var=None, name="StridedSlice"): Python's x[b:e:s, ..., None, i].
 */
export const stridedSlice = defineFunction(
  signature(
    "strided_slice",
    "Python's x[b:e:s, ..., None, i]: a strided slice with masks.",
    [
      INPUT,
      param("begin", INT_TENSOR, "The start of each dimension."),
      param("end", INT_TENSOR, "The end (exclusive) of each dimension."),
      optional("strides", kind<TensorLike | null>("number[] | TensorLike | null"), "The step of each dimension; absent: 1."),
      MASK("beginMask", "Bit i set: ignore begin[i] (start at the beginning)."),
      MASK("endMask", "Bit i set: ignore end[i] (run to the end)."),
      MASK("ellipsisMask", "Bit i set: position i is an ellipsis (...)."),
      MASK("newAxisMask", "Bit i set: position i inserts a new axis of size 1."),
      MASK("shrinkAxisMask", "Bit i set: position i takes one index and removes the dimension."),
      optional("var", kind<unknown>("unknown"), "The variable sliced (for sliced assignment in TensorFlow; unused here)."),
      NAME,
    ],
    {
      args: () => [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [0, 0],
        [2, 3],
        [1, 2],
        0,
        0,
        0,
        0,
        0,
      ],
    },
  ),
  (input, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask, _var, name) => {
    const b = intArg(begin);
    const st = strides ?? (isTensor(b) ? onesLike(b) : new Int32Array((b as Int32Array).length).fill(1));
    return execute1(
      "StridedSlice",
      [input, b, intArg(end), intArg(st)],
      {
        begin_mask: beginMask,
        end_mask: endMask,
        ellipsis_mask: ellipsisMask,
        new_axis_mask: newAxisMask,
        shrink_axis_mask: shrinkAxisMask,
      },
      name,
    );
  },
);

/**
 * tf.gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name="GatherV2"), in Python's
 * order: the third positional argument is the deprecated validate_indices (ignored, as in TensorFlow), so
 * pass the axis by name: `tf.gather(x, i, { axis: 1 })`. axis defaults to batch_dims.
 */
export const gather = defineFunction(
  signature(
    "gather",
    "Slices of params at the given indices along an axis.",
    [
      param("params", T.tensor, "The tensor to gather from."),
      param("indices", INT_TENSOR, "The indices (integers)."),
      optional("validateIndices", kind<unknown>("unknown"), "Deprecated and ignored, as in TensorFlow: pass axis by name."),
      optional("axis", kind<TensorLike | null>("number | TensorLike | null"), "The axis to gather along; absent: batchDims."),
      withDefault("batchDims", K.int, 0, "The number of leading batch dimensions."),
      NAME,
    ],
    {
      args: () => [
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        [2, 0],
        undefined,
        0,
      ],
    },
  ),
  (params, indices, _validateIndices, axis, batchDims, name) =>
    execute1("GatherV2", [params, intArg(indices), axis ?? batchDims], { batch_dims: batchDims }, name),
);

/** tf.math.unsorted_segment_sum(data, segment_ids, num_segments, name): sums of data rows per segment id. */
export const unsortedSegmentSum = defineFunction(
  signature(
    "math.unsorted_segment_sum",
    "Sums of the rows of data per segment id.",
    [
      param("data", T.tensor, "A tensor."),
      param("segmentIds", INT_TENSOR, "The segment of each row."),
      param("numSegments", T.tensor, "The number of segments."),
      NAME,
    ],
    { args: () => [[1, 2, 3], [0, 1, 0], 2] },
  ),
  (data, segmentIds, numSegments, name) => execute1("UnsortedSegmentSum", [data, intArg(segmentIds), numSegments], {}, name),
);

/** tf.dynamic_stitch(indices, data, name): the rows of data placed at their indices in one tensor. */
export const dynamicStitch = defineFunction(
  signature(
    "dynamic_stitch",
    "Interleaves the values of data into one tensor: result[indices[m][i]] = data[m][i].",
    [param("indices", T.tensors, "N int32 tensors of indices."), param("data", T.tensors, "N tensors whose leading dims are those of indices."), NAME],
    {
      args: () => [
        [[0, 2], [1]],
        [[1, 3], [2]],
      ],
    },
  ),
  (indices, data, name) => {
    if (indices.length !== data.length || indices.length === 0) {
      throw new InvalidArgumentError(`DynamicStitch: indices and data must be lists of one length N >= 1, got ${indices.length} and ${data.length}`);
    }
    return execute1("DynamicStitch", [...indices.map((t) => intArg(t)), ...data], { N: indices.length }, name);
  },
);

/** tf.tile(input, multiples, name="Tile"). */
export const tile = defineFunction(
  signature(
    "tile",
    "The input repeated multiples[i] times along dimension i.",
    [INPUT, param("multiples", INT_TENSOR, "The repetitions per dimension."), NAME],
    { args: () => [[[1, 2]], [2, 1]] },
  ),
  (input, multiples, name) => execute1("Tile", [input, intArg(multiples)], {}, name),
);

/**
 * tf.pad(tensor, paddings, mode="CONSTANT", constant_values=0, name): Pad (PadV2 when constant_values is
 * not 0), or MirrorPad for "REFLECT" and "SYMMETRIC" (case-insensitive, as in TensorFlow).
 */
export const pad = defineFunction(
  signature(
    "pad",
    "Pads a tensor: with a constant, or by mirroring (REFLECT, SYMMETRIC).",
    [
      param("tensor", T.tensor, "A tensor."),
      param("paddings", INT_TENSOR, "[before, after] for each dimension."),
      withDefault("mode", K.string, "CONSTANT", "CONSTANT, REFLECT or SYMMETRIC (case-insensitive)."),
      withDefault("constantValues", T.tensor, 0, "The value padded with in CONSTANT mode."),
      NAME,
    ],
    {
      args: () => [
        [[1, 2]],
        [
          [1, 0],
          [0, 1],
        ],
        "CONSTANT",
        9,
      ],
    },
  ),
  (tensor, paddings, modeArg, cv, name) => {
    const mode = modeArg.toUpperCase();
    if (mode === "CONSTANT") {
      if (!isTensor(cv) && !isTensorConvertible(cv) && cv === 0) return execute1("Pad", [tensor, paddings], {}, name);
      return execute1("PadV2", [tensor, paddings, cv], {}, name);
    }
    if (mode === "REFLECT" || mode === "SYMMETRIC") return execute1("MirrorPad", [tensor, paddings], { mode }, name);
    throw new InvalidArgumentError(`tf.pad: Unknown padding mode: ${modeArg}`);
  },
);

/**
 * tf.one_hot(indices, depth, on_value=1, off_value=0, axis=-1, dtype=None, name="one_hot"). The dtype is
 * `dtype`, else on_value's or off_value's, else float32.
 */
export const oneHot = defineFunction(
  signature(
    "one_hot",
    "One-hot vectors: on_value at each index, off_value elsewhere.",
    [
      param("indices", INT_TENSOR, "The indices (integers)."),
      param("depth", T.tensor, "The length of each one-hot vector."),
      optional("onValue", T.tensor, "The value at the index (default 1)."),
      optional("offValue", T.tensor, "The value elsewhere (default 0)."),
      withDefault("axis", T.axis, -1, "Where the new axis goes."),
      optional("dtype", T.dtype, "The dtype; absent: on_value's or off_value's, else float32."),
      NAME,
    ],
    { args: () => [[0, 2], 3, 5, -1, -1, "int32"] },
  ),
  (indices, depth, onValue, offValue, axis, dtypeArg, name) => {
    const isT = (v: TensorLike | undefined): v is Tensor | TensorConvertible => v !== undefined && (isTensor(v) || isTensorConvertible(v));
    const tensorD = isT(onValue) ? onValue.dtype : isT(offValue) ? offValue.dtype : null;
    const jsD = [onValue, offValue].filter((v) => v !== undefined).map((v) => inferDType(v as HostValue))[0] ?? null;
    const dtype = dtypeArg ?? tensorD ?? jsD ?? "float32";
    for (const [v, what] of [
      [onValue, "on_value"],
      [offValue, "off_value"],
    ] as const) {
      if (isT(v) && v.dtype !== dtype) throw new InvalidArgumentError(`tf.one_hot: dtype ${v.dtype} of ${what} does not match dtype ${dtype}`);
    }
    const onV = isT(onValue) ? onValue : constant((onValue ?? 1) as HostValue, { dtype });
    const offV = isT(offValue) ? offValue : constant((offValue ?? 0) as HostValue, { dtype });
    return execute1("OneHot", [intArg(indices), depth, onV, offV], { axis }, name);
  },
);

const RANGE_ORDER: DType[] = ["int32", "int64", "float32", "float64"];
/**
 * tf.range(start, limit=None, delta=1, dtype=None, name="range"): tf.range(5) is [0, 1, 2, 3, 4]. Without a
 * dtype the result has the widest of the arguments' dtypes (int32 < int64 < float32 < float64), a JS number
 * counting as int32 when it is an integer and float32 otherwise (Python's int and float).
 */
export const range = defineFunction(
  signature(
    "range",
    "The numbers from start (inclusive) to limit (exclusive) by delta; range(n) is 0..n-1.",
    [
      param("start", T.tensor, "The first value (or the limit, when limit is absent)."),
      optional("limit", kind<TensorLike | null>("TensorLike | null"), "The end (exclusive)."),
      withDefault("delta", T.tensor, 1, "The step."),
      optional("dtype", T.dtype, "The dtype; absent: the widest of the arguments' (integers count as int32)."),
      NAME,
    ],
    { args: () => [1, 7, 2, "float32"] },
  ),
  (start, limit, d, dtypeArg, name) => {
    const [s, l]: TensorLike[] = limit === undefined || limit === null ? [0, start] : [start, limit];
    const dtypeOf = (v: TensorLike): DType =>
      isTensor(v) || isTensorConvertible(v) ? v.dtype : typeof v === "number" ? (Number.isInteger(v) ? "int32" : "float32") : inferDType(v as HostValue);
    const dtype = dtypeArg ?? [s, l, d].map(dtypeOf).reduce((a, b) => (RANGE_ORDER.indexOf(b) > RANGE_ORDER.indexOf(a) ? b : a));
    const conv = (v: TensorLike) => (isTensor(v) || isTensorConvertible(v) ? (v.dtype === dtype ? v : cast(v, dtype)) : constant(v, { dtype }));
    return execute1("Range", [conv(s), conv(l), conv(d)], { Tidx: dtype }, name ?? "range");
  },
);

/** tf.linspace(start, stop, num, name="LinSpace", axis=0): num evenly spaced values, both ends included. */
export const linspace = defineFunction(
  signature(
    "linspace",
    "num evenly spaced values from start to stop, both included.",
    [
      param("start", T.tensor, "The first value."),
      param("stop", T.tensor, "The last value."),
      param("num", T.tensor, "How many values."),
      NAME,
      withDefault("axis", T.axis, 0, "Only 0 (scalar start and stop) is supported."),
    ],
    { args: () => [0, 1, 5] },
  ),
  (start, stop, num, name, axis) => {
    if (axis !== 0) throw new UnimplementedError("tf.linspace: only axis=0 (scalar start and stop) is supported");
    return withTemporaries((made) => execute1("LinSpace", [start, stop, intScalar(num, made)], {}, name));
  },
);

/** tf.reverse(tensor, axis, name="ReverseV2"). */
export const reverse = defineFunction(
  signature(
    "reverse",
    "Reverses the order along the given axes.",
    [param("tensor", T.tensor, "A tensor."), param("axis", kind<TensorLike>("number | number[] | TensorLike"), "The axes to reverse."), NAME],
    {
      args: () => [
        [
          [1, 2],
          [3, 4],
        ],
        [1],
      ],
    },
  ),
  (tensor, axis, name) => execute1("ReverseV2", [tensor, typeof axis === "number" ? new Int32Array([axis]) : intArg(axis)], {}, name),
);

/** tf.math.invert_permutation(x, name="InvertPermutation"). */
export const invertPermutation = defineFunction(
  signature("math.invert_permutation", "The inverse of a permutation of 0..n-1.", [param("x", INT_TENSOR, "A permutation (integers)."), NAME], {
    args: () => [[2, 0, 1]],
  }),
  (x, name) => execute1("InvertPermutation", [intArg(x)], {}, name),
);
