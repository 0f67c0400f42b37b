import type { DType } from "../dtype.js";
import { tfName } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { broadcastShapes, Dim, isFullyDefined, mergeShapes, type Shape, shapesCompatible, shapeStr, sizeOf } from "../shape.js";
import {
  checkPermutation,
  concatShape,
  gatherShape,
  oneHotShape,
  packShape,
  padShape,
  rangeSize,
  reverseAxes,
  segmentSumShape,
  sliceShape,
  splitShape,
  splitVShapes,
  squeezeShape,
  StridedSliceMasks,
  stridedSliceShape,
  tileShape,
  transposeShape,
  unpackShape,
} from "../geometry/array_shapes.js";
import { constInts, dimsEqual, sameAsInput, unknownShapeOfRank } from "./infer_util.js";
import { type AttrDef, type OutSpec, schemaRows, type TensorSpec } from "./types.js";

/**
 * The movement ops (the backends' movement family): Reshape, StopGradient, BroadcastTo, ExpandDims,
 * Transpose, InvertPermutation, Squeeze, ConcatV2, Pack/Unpack, Split/SplitV, Slice, StridedSlice(Grad),
 * GatherV2, UnsortedSegmentSum, Tile, Pad/PadV2/MirrorPad(Grad), OneHot, Range, LinSpace, ReverseV2 (shape
 * rules in core/geometry/array_shapes.ts, shared with the CPU kernels; gradients in src/ops/movement_grads.ts,
 * public functions in src/ops/movement.ts).
 */
const STRIDED_SLICE_MASKS: readonly AttrDef[] = ["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"].map((name) => ({
  name,
  type: "int",
  default: 0,
}));

/** Reshape's output shape from the requested one (with at most one -1), checked against the input. */
function reshapeInfer(inputs: readonly TensorSpec[], _a: unknown, name: string) {
  const [x, s] = inputs;
  const req = constInts(s);
  if (req === null) {
    const n = s.shape?.[0];
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

const INDEX: DType[] = ["int32", "int64"];

const REAL: DType[] = ["float32", "float64", "float16", "bfloat16", "int32", "int64"];

/** TensorFlow's message for an index input (perm, axis, indices) of the wrong dtype. */
function requireIndex(spec: TensorSpec | undefined, op: string, attr: string): void {
  if (spec && !INDEX.includes(spec.dtype)) {
    throw new InvalidArgumentError(`Value for attr '${attr}' of ${tfName(spec.dtype)} is not in the list of allowed values: int32, int64 ; Op<name=${op}>`);
  }
}

/** A 1-D host input's length when its values are unknown. */
const vecLen = (s: TensorSpec | undefined): Dim => (s?.shape && s.shape.length === 1 ? s.shape[0] : null);

/**
 * An attr that counts outputs (Unpack's num, Split's num_split): each output is a tensor object and a graph
 * edge, so a count past 2^16 (a dimension no one unstacks into separate tensors) is refused before building them.
 */
function outputCount(n: number, attr: string): number {
  if (n > 65536) throw new InvalidArgumentError(`${attr} = ${n} outputs is more than the 65536 one op may have`);
  return n;
}

/** The value of a scalar index input (an axis, a count); one element, as TensorFlow's WithRankAtMost(1) allows. */
function scalarInt(s: TensorSpec | undefined): number | null {
  if (s !== undefined && isFullyDefined(s.shape) && sizeOf(s.shape) !== 1) {
    throw new InvalidArgumentError(`expected a scalar (an axis or a count), got a tensor of shape ${shapeStr(s.shape)}`);
  }
  return constInts(s)?.[0] ?? null;
}

function requireSameDType(inputs: readonly TensorSpec[], op: string): DType {
  const d = inputs[0].dtype;
  inputs.forEach((t, i) => {
    if (t.dtype !== d) {
      throw new InvalidArgumentError(
        `cannot compute ${op} as input #${i}(zero-based) was expected to be a ${tfName(d)} tensor but is a ${tfName(t.dtype)} tensor`,
      );
    }
  });
  return d;
}

export const MOVEMENT_OPS = schemaRows([
  {
    type: "Reshape",
    inputNames: ["tensor", "shape"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: reshapeInfer,
  },
  { type: "StopGradient", inputNames: ["input"], infer: sameAsInput() },
  {
    type: "BroadcastTo",
    inputNames: ["input", "shape"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i) => {
      const target = constInts(i[1]);
      if (target === null) return [{ dtype: i[0].dtype, shape: null }];
      const s = broadcastShapes(i[0].shape, target);
      // The input's dims broadcast to the target's: each 1 or equal (an empty dim never grows to 1).
      if (s === "incompatible" || (s !== null && (s.length !== target.length || s.some((d, k) => d !== null && d !== target[k])))) {
        throw new InvalidArgumentError(`Unable to broadcast tensor of shape ${shapeStr(i[0].shape)} to tensor of shape [${target}]`);
      }
      return [{ dtype: i[0].dtype, shape: target }];
    },
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
  },
  {
    type: "Transpose",
    name: "transpose",
    inputNames: ["x", "perm"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i) => {
      requireIndex(i[1], "Transpose", "Tperm");
      return [{ dtype: i[0].dtype, shape: transposeShape(i[0].shape, constInts(i[1]), vecLen(i[1])) }];
    },
  },
  {
    type: "InvertPermutation",
    inputNames: ["x"],
    allowedDTypes: INDEX,
    infer: (i) => {
      if (i[0].shape !== null && i[0].shape.length !== 1)
        throw new InvalidArgumentError(`InvertPermutation: x must be a vector, got shape ${shapeStr(i[0].shape)}`);
      const v = constInts(i[0]);
      if (v !== null) checkPermutation(v, "InvertPermutation");
      return [{ dtype: i[0].dtype, shape: i[0].shape ?? [null] }];
    },
  },
  {
    type: "Squeeze",
    attrs: [{ name: "squeeze_dims", type: "list(int)", default: [] }],
    inputNames: ["input"],
    infer: (i, attrs) => [{ dtype: i[0].dtype, shape: squeezeShape(i[0].shape, Array.from(attrs.squeeze_dims as ArrayLike<number>)) }],
  },
  {
    type: "ConcatV2",
    inputs: [
      { name: "values", typeAttr: "T", numberAttr: "N" },
      { name: "axis", typeAttr: "Tidx" },
    ],
    name: "concat",
    // The axis is the last of a variable number of inputs: no fixed index can name it as a host input, so
    // eagerly the kernel (which applies the same shape rule) checks what inference could not.
    infer: (i) => {
      const vals = i.slice(0, -1);
      if (vals.length < 2) throw new InvalidArgumentError(`ConcatV2 needs at least 2 values, got ${vals.length}`);
      requireIndex(i[i.length - 1], "ConcatV2", "Tidx");
      const dtype = requireSameDType(vals, "ConcatV2");
      return [
        {
          dtype,
          shape: concatShape(
            vals.map((v) => v.shape),
            scalarInt(i[i.length - 1]),
          ),
        },
      ];
    },
  },
  {
    type: "Pack",
    inputs: [{ name: "values", typeAttr: "T", numberAttr: "N" }],
    attrs: [{ name: "axis", type: "int", default: 0 }],
    name: "stack",
    infer: (i, attrs) => {
      if (i.length === 0) throw new InvalidArgumentError("Pack needs at least 1 value");
      return [
        {
          dtype: requireSameDType(i, "Pack"),
          shape: packShape(
            i.map((v) => v.shape),
            attrs.axis as number,
          ),
        },
      ];
    },
  },
  {
    type: "Unpack",
    outputs: [{ name: "output", typeAttr: "T", numberAttr: "num" }],
    attrs: [
      { name: "num", type: "int", minimum: 0 },
      { name: "axis", type: "int", default: 0 },
    ],
    name: "unstack",
    inputNames: ["value"],
    infer: (i, attrs) => {
      const num = outputCount(attrs.num as number, "num");
      const s = unpackShape(i[0].shape, num, attrs.axis as number);
      return Array.from({ length: num }, () => ({ dtype: i[0].dtype, shape: s }));
    },
  },
  {
    type: "Split",
    outputs: [{ name: "output", typeAttr: "T", numberAttr: "num_split" }],
    attrs: [{ name: "num_split", type: "int", minimum: 1 }],
    name: "split",
    inputNames: ["split_dim", "value"],
    inputDTypes: { 0: "int32" },
    hostInputs: [0],
    infer: (i, attrs) => {
      const num = outputCount(attrs.num_split as number, "num_split");
      const s = splitShape(i[1].shape, scalarInt(i[0]), num);
      return Array.from({ length: num }, () => ({ dtype: i[1].dtype, shape: s }));
    },
  },
  {
    type: "SplitV",
    outputs: [{ name: "output", typeAttr: "T", numberAttr: "num_split" }],
    attrs: [{ name: "num_split", type: "int", minimum: 1 }],
    name: "split",
    inputNames: ["value", "size_splits", "split_dim"],
    inputDTypes: { 1: "int32", 2: "int32" },
    hostInputs: [1, 2],
    infer: (i, attrs) => {
      requireIndex(i[1], "SplitV", "Tlen");
      return splitVShapes(i[0].shape, constInts(i[1]), scalarInt(i[2]), outputCount(attrs.num_split as number, "num_split")).map((s) => ({
        dtype: i[0].dtype,
        shape: s,
      }));
    },
  },
  {
    type: "Slice",
    inputNames: ["input", "begin", "size"],
    dtypeGroups: [[1, 2]],
    inputDTypes: { 1: "int32", 2: "int32" },
    hostInputs: [1, 2],
    infer: (i) => {
      requireIndex(i[1], "Slice", "Index");
      return [{ dtype: i[0].dtype, shape: sliceShape(i[0].shape, constInts(i[1]), constInts(i[2]), vecLen(i[1]) ?? vecLen(i[2])) }];
    },
  },
  {
    type: "StridedSlice",
    attrs: STRIDED_SLICE_MASKS,
    inputNames: ["input", "begin", "end", "strides"],
    dtypeGroups: [[1, 2, 3]],
    inputDTypes: { 1: "int32", 2: "int32", 3: "int32" },
    hostInputs: [1, 2, 3],
    infer: (i, attrs) => {
      requireIndex(i[1], "StridedSlice", "Index");
      const len = vecLen(i[1]) ?? vecLen(i[2]) ?? vecLen(i[3]);
      return [
        {
          dtype: i[0].dtype,
          shape: stridedSliceShape(i[0].shape, constInts(i[1]), constInts(i[2]), constInts(i[3]), len, attrs as unknown as StridedSliceMasks),
        },
      ];
    },
  },
  {
    type: "StridedSliceGrad",
    attrs: STRIDED_SLICE_MASKS,
    inputNames: ["shape", "begin", "end", "strides", "dy"],
    dtypeGroups: [[0, 1, 2, 3]],
    inputDTypes: { 0: "int32", 1: "int32", 2: "int32", 3: "int32" },
    hostInputs: [0, 1, 2, 3],
    infer: (i, attrs) => {
      const shp = constInts(i[0]);
      if (shp === null) return [{ dtype: i[4].dtype, shape: unknownShapeOfRank(vecLen(i[0])) }];
      const want = stridedSliceShape(shp, constInts(i[1]), constInts(i[2]), constInts(i[3]), vecLen(i[1]), attrs as unknown as StridedSliceMasks);
      if (want !== null && i[4].shape !== null && (want.length !== i[4].shape.length || want.some((d, k) => !dimsEqual(d, i[4].shape![k])))) {
        throw new InvalidArgumentError(`StridedSliceGrad: shape of dy was ${shapeStr(i[4].shape)} instead of ${shapeStr(want)}`);
      }
      return [{ dtype: i[4].dtype, shape: shp }];
    },
  },
  {
    type: "GatherV2",
    attrs: [{ name: "batch_dims", type: "int", default: 0 }],
    inputNames: ["params", "indices", "axis"],
    inputDTypes: { 1: "int32", 2: "int32" },
    hostInputs: [2],
    infer: (i, attrs) => {
      requireIndex(i[1], "GatherV2", "Tindices");
      requireIndex(i[2], "GatherV2", "Taxis");
      return [{ dtype: i[0].dtype, shape: gatherShape(i[0].shape, i[1].shape, scalarInt(i[2]), attrs.batch_dims as number) }];
    },
  },
  {
    // Keras fit's batch from in-memory arrays: row `row` of the epoch's order table picks the batch's rows of
    // every array at once (one op, one GPU launch, where GatherV2 would take one for the row and one per array).
    type: "GatherTableRow",
    inputNames: ["table", "row", "params"],
    inputs: [
      { name: "table", type: "int32" },
      { name: "row", type: "int32" },
      { name: "params", typeAttr: "Tparams" },
    ],
    outputs: [{ name: "output", typeAttr: "Tparams" }],
    attrs: [{ name: "Tparams", type: "list(type)", default: [] }],
    infer: ([table, row, ...params], _attrs, name) => {
      if (table.dtype !== "int32" || row.dtype !== "int32") {
        throw new InvalidArgumentError(`${name}: GatherTableRow takes an int32 table and row, got ${tfName(table.dtype)} and ${tfName(row.dtype)}`);
      }
      if (table.shape !== null && table.shape.length !== 2)
        throw new InvalidArgumentError(`${name}: GatherTableRow's table must be 2-D, got shape ${shapeStr(table.shape)}`);
      if (row.shape !== null && row.shape.length !== 0)
        throw new InvalidArgumentError(`${name}: GatherTableRow's row must be a scalar, got shape ${shapeStr(row.shape)}`);
      const b = table.shape?.[1] ?? null;
      return params.map((p) => {
        if (p.shape !== null && p.shape.length === 0)
          throw new InvalidArgumentError(`${name}: GatherTableRow's params must have rows, got a scalar ${tfName(p.dtype)}`);
        return { dtype: p.dtype, shape: p.shape === null ? null : [b, ...p.shape.slice(1)] };
      });
    },
    doc: "Internal (Keras fit): output k is rows table[row] of params k. Out of range: an error on the CPU, zeros on a GPU (as TensorFlow's GPU gathers).",
  },
  {
    type: "UnsortedSegmentSum",
    inputNames: ["data", "segment_ids", "num_segments"],
    inputDTypes: { 1: "int32", 2: "int32" },
    hostInputs: [2],
    allowedDTypes: REAL.concat(["uint8"]),
    infer: (i) => {
      requireIndex(i[1], "UnsortedSegmentSum", "Tindices");
      return [{ dtype: i[0].dtype, shape: segmentSumShape(i[0].shape, i[1].shape, scalarInt(i[2])) }];
    },
  },
  {
    // Its output's first dim is the largest index plus one: known only from constant indices (the indices are
    // N of a variable number of inputs, so no fixed host-input index can name them; the kernel checks the rest).
    type: "DynamicStitch",
    inputs: [
      { name: "indices", type: "int32", numberAttr: "N" },
      { name: "data", typeAttr: "T", numberAttr: "N" },
    ],
    infer: (i) => [dynamicStitchSpec(i)],
  },
  {
    type: "Tile",
    inputNames: ["input", "multiples"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i) => {
      requireIndex(i[1], "Tile", "Tmultiples");
      return [{ dtype: i[0].dtype, shape: tileShape(i[0].shape, constInts(i[1]), vecLen(i[1])) }];
    },
  },
  {
    type: "Pad",
    inputNames: ["input", "paddings"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i) => {
      requireIndex(i[1], "Pad", "Tpaddings");
      return [{ dtype: i[0].dtype, shape: padShape(i[0].shape, constInts(i[1]), i[1].shape, "Pad") }];
    },
  },
  {
    type: "PadV2",
    inputNames: ["input", "paddings", "constant_values"],
    dtypeGroups: [[0, 2]],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i) => {
      requireIndex(i[1], "PadV2", "Tpaddings");
      if (i[2].shape !== null && i[2].shape.length !== 0)
        throw new InvalidArgumentError(`PadV2: constant_values must be a scalar. Got shape ${shapeStr(i[2].shape)}`);
      return [{ dtype: i[0].dtype, shape: padShape(i[0].shape, constInts(i[1]), i[1].shape, "PadV2") }];
    },
  },
  {
    type: "MirrorPad",
    attrs: [{ name: "mode", type: "string", allowed: ["REFLECT", "SYMMETRIC"] }],
    inputNames: ["input", "paddings"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i, attrs) => {
      requireIndex(i[1], "MirrorPad", "Tpaddings");
      return [{ dtype: i[0].dtype, shape: padShape(i[0].shape, constInts(i[1]), i[1].shape, "MirrorPad", attrs.mode as string) }];
    },
  },
  {
    type: "MirrorPadGrad",
    attrs: [{ name: "mode", type: "string", allowed: ["REFLECT", "SYMMETRIC"] }],
    inputNames: ["input", "paddings"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i, attrs) => [{ dtype: i[0].dtype, shape: padShape(i[0].shape, constInts(i[1]), i[1].shape, "MirrorPadGrad", attrs.mode as string, -1) }],
  },
  {
    type: "OneHot",
    attrs: [{ name: "axis", type: "int", default: -1 }],
    name: "one_hot",
    inputNames: ["indices", "depth", "on_value", "off_value"],
    dtypeGroups: [[2, 3]],
    inputDTypes: { 0: "int32", 1: "int32" },
    hostInputs: [1],
    infer: (i, attrs) => {
      if (!["uint8", "int32", "int64"].includes(i[0].dtype)) {
        throw new InvalidArgumentError(
          `Value for attr 'TI' of ${tfName(i[0].dtype)} is not in the list of allowed values: uint8, int32, int64 ; Op<name=OneHot>`,
        );
      }
      for (const [k, what] of [
        [1, "depth"],
        [2, "on_value"],
        [3, "off_value"],
      ] as const) {
        if (i[k].shape !== null && i[k].shape!.length !== 0)
          throw new InvalidArgumentError(`OneHot: ${what} must be a scalar, but got shape ${shapeStr(i[k].shape)}`);
      }
      return [{ dtype: i[2].dtype, shape: oneHotShape(i[0].shape, scalarInt(i[1]), attrs.axis as number) }];
    },
  },
  {
    type: "Range",
    inputs: [
      { name: "start", typeAttr: "Tidx" },
      { name: "limit", typeAttr: "Tidx" },
      { name: "delta", typeAttr: "Tidx" },
    ],
    name: "range",
    inputNames: ["start", "limit", "delta"],
    dtypeGroups: [[0, 1, 2]],
    inputDTypes: { 0: "int32", 1: "int32", 2: "int32" },
    hostInputs: [0, 1, 2],
    allowedDTypes: REAL,
    infer: (i) => {
      i.forEach((t, k) => {
        if (t.shape !== null && t.shape.length !== 0)
          throw new InvalidArgumentError(`Range: ${["start", "limit", "delta"][k]} must be a scalar, not shape ${shapeStr(t.shape)}`);
      });
      const v = i.map(scalarInt);
      const dtype = i[0].dtype;
      const n = v.every((x) => x !== null) ? rangeSize(v[0]!, v[1]!, v[2]!, dtype === "int32" || dtype === "int64") : null;
      return [{ dtype, shape: [n] }];
    },
  },
  {
    type: "LinSpace",
    inputNames: ["start", "stop", "num"],
    dtypeGroups: [[0, 1]],
    inputDTypes: { 2: "int32" },
    hostInputs: [2],
    allowedDTypes: ["float32", "float64", "float16", "bfloat16"],
    infer: (i) => {
      requireIndex(i[2], "LinSpace", "Tidx");
      i.forEach((t, k) => {
        if (t.shape !== null && t.shape.length !== 0)
          throw new InvalidArgumentError(`LinSpace: ${["start", "stop", "num"][k]} must be a scalar, not shape ${shapeStr(t.shape)}`);
      });
      const num = scalarInt(i[2]);
      if (num !== null && num <= 0) throw new InvalidArgumentError(`LinSpace: Requires num > 0: ${num}`);
      return [{ dtype: i[0].dtype, shape: [num] }];
    },
  },
  {
    type: "ReverseV2",
    inputNames: ["tensor", "axis"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    infer: (i) => {
      requireIndex(i[1], "ReverseV2", "Tidx");
      const axes = constInts(i[1]);
      if (axes !== null && i[0].shape !== null) reverseAxes(i[0].shape.length, axes);
      return [{ dtype: i[0].dtype, shape: i[0].shape }];
    },
  },
]);

/** DynamicStitch's output: dtype of the data, shape [max index + 1, ...data[0].shape past indices[0]'s rank]. */
function dynamicStitchSpec(i: readonly TensorSpec[]): OutSpec {
  const n = i.length / 2;
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`DynamicStitch needs N >= 1 indices and N data tensors, got ${i.length} inputs`);
  const indices = i.slice(0, n);
  const data = i.slice(n);
  const dtype = requireSameDType(data, "DynamicStitch");
  let inner: Shape = null;
  for (let k = 0; k < n; k++) {
    if (indices[k].dtype !== "int32") throw new InvalidArgumentError(`DynamicStitch: indices[${k}] must be int32, got ${indices[k].dtype}`);
    const is = indices[k].shape;
    const ds = data[k].shape;
    if (is === null || ds === null) continue;
    if (ds.length < is.length || !shapesCompatible(is, ds.slice(0, is.length))) {
      throw new InvalidArgumentError(`DynamicStitch: data[${k}].shape ${shapeStr(ds)} must start with indices[${k}].shape ${shapeStr(is)}`);
    }
    const rest = ds.slice(is.length);
    if (!shapesCompatible(inner, rest)) {
      throw new InvalidArgumentError(`DynamicStitch: data[${k}].shape ${shapeStr(ds)} does not match the element shape ${shapeStr(inner)} of the others`);
    }
    inner = mergeShapes(inner, rest);
  }
  let first: number | null = null;
  if (indices.every((t) => t.value !== undefined)) {
    first = 0;
    for (const t of indices) for (const v of t.value as Int32Array) first = Math.max(first, v + 1);
  }
  return { dtype, shape: inner === null ? null : [first, ...inner] };
}
