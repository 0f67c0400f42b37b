import { type DType, FLOAT_DTYPES } from "../dtype.js";
import { InvalidArgumentError } from "../errors.js";
import { Dim, isFullyDefined, normalizeAxis, shapeStr } from "../shape.js";
import { constInts } from "./infer_util.js";
import { type ArgDef, type AttrDef, type OpSchema, schemaRows, type TensorSpec } from "./types.js";

/** Reductions, AddN, arg max/min and cumulative sums and products (gradients in src/ops/reduce.ts). */
const FLOAT = FLOAT_DTYPES;
const NUMERIC: DType[] = [...FLOAT, "int32", "int64", "uint8"];

/** Normalized, sorted, de-duplicated reduction axes; null when not known before run time. */
export function reductionAxes(axesSpec: TensorSpec, rank: number | null, op: string): number[] | null {
  const raw = constInts(axesSpec);
  if (raw === null || rank === null) return null;
  // TensorFlow: a scalar has no dimension to reduce ("Invalid reduction dimension 0 for input with 0 dimensions").
  if (rank === 0 && raw.length > 0) throw new InvalidArgumentError(`${op}: Invalid reduction dimension ${raw[0]} for input with 0 dimensions`);
  return [...new Set(raw.map((a) => normalizeAxis(a, rank, op)))].sort((a, b) => a - b);
}

function reduceInfer(outDType?: DType) {
  return (inputs: readonly TensorSpec[], attrs: { readonly [k: string]: unknown }, name: string) => {
    const [x, ax] = inputs;
    const keep = attrs.keep_dims as boolean;
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

/** TensorFlow's check of a scalar axis against a rank: [-rank, rank). */
function checkAxis(axis: number, rank: number, op: string, what = "dimension"): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new InvalidArgumentError(`${op}: Expected ${what} in the range [${-rank}, ${rank}), but got ${axis}`);
  }
  return axis < 0 ? axis + rank : axis;
}

function scalarAxis(spec: TensorSpec, op: string): number | null {
  if (spec.shape !== null && spec.shape.length !== 0) {
    throw new InvalidArgumentError(`${op}: axis must be a scalar, got shape ${shapeStr(spec.shape)}`);
  }
  const v = constInts(spec);
  return v === null ? null : v[0];
}

function argInfer(op: string) {
  return (inputs: readonly TensorSpec[], attrs: { readonly [k: string]: unknown }) => {
    const [x, dim] = inputs;
    const dtype = attrs.output_type as DType;
    const axis = scalarAxis(dim, op);
    if (x.shape === null) return [{ dtype, shape: null }];
    const rank = x.shape.length;
    if (axis === null) return [{ dtype, shape: new Array<Dim>(Math.max(rank - 1, 0)).fill(null) }];
    const a = checkAxis(axis, rank, op);
    if (x.shape[a] === 0) throw new InvalidArgumentError(`${op}: Reduction axis ${axis} is empty in shape ${shapeStr(x.shape)}`);
    return [{ dtype, shape: x.shape.filter((_, i) => i !== a) }];
  };
}

function scanInfer(op: string) {
  return (inputs: readonly TensorSpec[]) => {
    const [x, ax] = inputs;
    const axis = scalarAxis(ax, op);
    if (axis !== null && x.shape !== null) checkAxis(axis, x.shape.length, op, "axis");
    return [{ dtype: x.dtype, shape: x.shape }];
  };
}

const ARG_INPUTS: readonly ArgDef[] = [
  { name: "input", typeAttr: "T" },
  { name: "dimension", typeAttr: "Tidx" },
];
const ARG_OUTPUTS: readonly ArgDef[] = [{ name: "output", typeAttr: "output_type" }];
const ARG_ATTRS: readonly AttrDef[] = [{ name: "output_type", type: "type", default: "int64", allowed: ["int32", "int64"] }];
const SCAN_ATTRS: readonly AttrDef[] = [
  { name: "exclusive", type: "bool", default: false },
  { name: "reverse", type: "bool", default: false },
];

function reduction<T extends string>(type: T, name: string, dtypes: DType[] | null, outDType?: DType): OpSchema<T> {
  return {
    type,
    name,
    inputNames: ["input", "reduction_indices"],
    inputs: [
      { name: "input", typeAttr: "T" },
      { name: "reduction_indices", typeAttr: "Tidx" },
    ],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: dtypes ?? undefined,
    attrs: [{ name: "keep_dims", type: "bool", default: false }],
    infer: reduceInfer(outDType),
  };
}

export const REDUCE_OPS = schemaRows([
  reduction("Sum", "Sum", NUMERIC),
  reduction("Mean", "Mean", NUMERIC),
  reduction("Max", "Max", NUMERIC),
  reduction("Min", "Min", NUMERIC),
  reduction("Prod", "Prod", NUMERIC),
  reduction("Any", "Any", ["bool"]),
  reduction("All", "All", ["bool"]),
  {
    type: "AddN",
    inputNames: [],
    inputs: [{ name: "inputs", typeAttr: "T", numberAttr: "N" }],
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
  },
  {
    type: "ArgMax",
    inputNames: ["input", "dimension"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: [...NUMERIC, "bool"],
    inputs: ARG_INPUTS,
    outputs: ARG_OUTPUTS,
    attrs: ARG_ATTRS,
    infer: argInfer("ArgMax"),
  },
  {
    type: "ArgMin",
    inputNames: ["input", "dimension"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: [...NUMERIC, "bool"],
    inputs: ARG_INPUTS,
    outputs: ARG_OUTPUTS,
    attrs: ARG_ATTRS,
    infer: argInfer("ArgMin"),
  },
  {
    type: "Cumsum",
    inputNames: ["x", "axis"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: NUMERIC,
    attrs: SCAN_ATTRS,
    infer: scanInfer("Cumsum"),
  },
  {
    type: "Cumprod",
    inputNames: ["x", "axis"],
    inputDTypes: { 1: "int32" },
    hostInputs: [1],
    allowedDTypes: NUMERIC,
    attrs: SCAN_ATTRS,
    infer: scanInfer("Cumprod"),
  },
]);
