import { inputArgs } from "../core/schema/args.js";
import type { OpSchema } from "../core/schema/types.js";

/**
 * Where tsflow's op table and TensorFlow's OpDefs differ in how a GraphDef spells a node, for the GraphDef
 * writer (graph_def.ts) and reader (import_graph_def.ts). Facts from TensorFlow's op registrations
 * (tensorflow/core/ops/*.cc): the names of the type attrs each input binds, ops that take no type attr,
 * attrs TensorFlow declares that tsflow does without, and older op types that tsflow runs as a newer one.
 */

/**
 * The type attr each input binds, by input position, where the op table's derived ArgDefs (schema/args.ts)
 * name them differently from TensorFlow; null: a fixed dtype (int32 sizes, a bool condition), no attr.
 */
const TYPE_ATTR_OVERRIDES: { readonly [op: string]: readonly (string | null)[] } = {
  Fill: ["index_type", "T"],
  SelectV2: [null, "T", "T"],
  Select: [null, "T", "T"],
  BroadcastTo: ["T", "Tidx"],
  Split: [null, "T"],
  SplitV: ["T", "Tlen", null],
  Slice: ["T", "Index", "Index"],
  StridedSlice: ["T", "Index", "Index", "Index"],
  StridedSliceGrad: ["Index", "Index", "Index", "Index", "T"],
  GatherV2: ["Tparams", "Tindices", "Taxis"],
  UnsortedSegmentSum: ["T", "Tindices", "Tnumsegments"],
  OneHot: ["TI", null, "T", "T"],
  LinSpace: ["T", "T", "Tidx"],
  ReverseV2: ["T", "Tidx"],
  Any: [null, "Tidx"],
  All: [null, "Tidx"],
  Cumsum: ["T", "Tidx"],
  Cumprod: ["T", "Tidx"],
  FusedBatchNormGradV3: ["T", "T", "U", "U", "U", "U"],
  ResizeBilinear: ["T", null],
  ResizeNearestNeighbor: ["T", null],
  ResizeNearestNeighborGrad: ["T", null],
  LogicalAnd: [null, null],
  LogicalOr: [null, null],
  LogicalNot: [null],
};

/** Attrs that TensorFlow's OpDef declares and tsflow has no use for: a GraphDef may carry them. */
export const IGNORED_TF_ATTRS: { readonly [op: string]: readonly string[] } = {
  MatMul: ["grad_a", "grad_b"],
  BatchMatMulV2: ["grad_x", "grad_y"],
  Equal: ["incompatible_shape_error"],
  NotEqual: ["incompatible_shape_error"],
  VariableV2: ["allowed_devices", "debug_name"],
};

/**
 * An older or resource-variable op type -> the op tsflow runs it as (same inputs, outputs and attrs, up to
 * the renames in `attrs`). Resource variables (VarHandleOp and its reads and writes) become TensorFlow 1
 * reference variables: one variable node whose output the reads and updates take.
 */
export const IMPORT_ALIASES: { readonly [op: string]: { readonly type: string; readonly attrs?: { readonly [tf: string]: string } } } = {
  Add: { type: "AddV2" },
  BatchMatMul: { type: "BatchMatMulV2" },
  Snapshot: { type: "Identity" },
  VarHandleOp: { type: "VariableV2" },
  ReadVariableOp: { type: "Identity", attrs: { dtype: "T" } },
  AssignVariableOp: { type: "Assign", attrs: { dtype: "T" } },
  AssignAddVariableOp: { type: "AssignAdd", attrs: { dtype: "T" } },
  AssignSubVariableOp: { type: "AssignSub", attrs: { dtype: "T" } },
  VarIsInitializedOp: { type: "IsVariableInitialized" },
  ResourceApplyGradientDescent: { type: "ApplyGradientDescent" },
  ResourceApplyMomentum: { type: "ApplyMomentum" },
  ResourceApplyAdam: { type: "ApplyAdam" },
  FusedBatchNormV2: { type: "FusedBatchNormV3" },
};

/** The TensorFlow type attr (or null) bound by each of `n` inputs of a node of `schema`, and its list-length attr. */
export function inputTypeAttrs(schema: OpSchema, n: number): { typeAttrs: (string | null)[]; numberAttr: { name: string; count: number } | null } {
  const override = TYPE_ATTR_OVERRIDES[schema.type];
  if (override) return { typeAttrs: Array.from({ length: n }, (_, i) => override[i] ?? null), numberAttr: null };
  const args = inputArgs(schema);
  // Elementwise rows declare no argument names: every input binds T.
  if (args.length === 0) return { typeAttrs: new Array<string | null>(n).fill(n > 0 ? "T" : null), numberAttr: null };
  const out: (string | null)[] = [];
  let numberAttr: { name: string; count: number } | null = null;
  // Every list shares one length (DynamicStitch's indices and data are both N long); the other inputs are single.
  const lists = args.filter((a) => a.numberAttr).length;
  const listLen = lists === 0 ? 0 : Math.max(0, Math.floor((n - (args.length - lists)) / lists));
  for (const a of args) {
    const count = a.numberAttr ? listLen : 1;
    if (a.numberAttr) numberAttr = { name: a.numberAttr, count };
    for (let k = 0; k < count; k++) out.push(a.type !== undefined ? null : (a.typeAttr ?? null));
  }
  while (out.length < n) out.push(null);
  return { typeAttrs: out.slice(0, n), numberAttr };
}
