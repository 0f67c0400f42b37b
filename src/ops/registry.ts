import type { DType, Values } from "../core/dtype.js";
import type { Shape } from "../core/shape.js";
import type { Attrs } from "../core/backend.js";
import type { AnyTensor } from "../eager/tensor_types.js";

/** What shape inference knows of an input: its dtype and static shape, and its value when constant. */
export interface TensorSpec {
  readonly dtype: DType;
  readonly shape: Shape;
  /** Host values when known at inference time (a Const in a graph, any tensor eagerly). */
  readonly value?: Values;
}
export interface OutSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** What a gradient function sees of the op it differentiates: symbolic in graphs, concrete on a tape. */
export interface GradOp {
  readonly type: string;
  readonly inputs: readonly AnyTensor[];
  readonly outputs: readonly AnyTensor[];
  readonly attrs: Attrs;
  /**
   * Which inputs need a gradient (depend on a source being differentiated). Rules for expensive ops
   * skip the others: eagerly that is work saved, in a graph nodes not built.
   */
  readonly needsGradient?: readonly boolean[];
}
/** Gradients with respect to each input (null where none flows), given those of each output. */
export type GradFn = (op: GradOp, dys: readonly AnyTensor[]) => (AnyTensor | null)[];

/** An elementwise op's scalar body, from which kernels for each backend are generated. */
export interface ElementwiseSpec {
  /** JS expression in `a`, `b` (binary) or `x` (unary), for float and int32/uint8 values. */
  readonly js: string;
  /** Override for int32/uint8 (e.g. truncating division). */
  readonly jsInt?: string;
  /** Override for int64 values, which are BigInts; absent means int64 is unsupported. */
  readonly jsInt64?: string;
  /** Output dtype when it is not the input's (comparisons give bool). */
  readonly outDType?: DType;
  /**
   * CUDA C++ for float32/float64 inputs, where translating `js` mechanically is not the best kernel
   * (backends/cuda/translate.ts): an expression in a, b or x of the compute type T, which may use the
   * prelude's overloaded ts_* helpers (ts_exp, ts_rint, ...).
   */
  readonly cuda?: string;
}

/** One entry of THE op table: TensorFlow's op type, its signature, inference and gradient. */
export interface OpDef {
  /** TensorFlow's op type name (AddV2, MatMul, Conv2D) so GraphDef import/export is a lookup. */
  readonly type: string;
  /** Default node name, when it differs from the type (TensorFlow's Python wrappers name AddV2 "Add"). */
  readonly name?: string;
  /** TensorFlow's argument names, used to name constants made from JS values ("Add/x"). */
  readonly inputNames?: readonly string[];
  /** Index groups of inputs that must share one dtype; a JS value in a group takes the group's dtype. */
  readonly dtypeGroups?: readonly (readonly number[])[];
  /** Dtype a JS value takes on input i when nothing decides it (shape, axis and index inputs are int32). */
  readonly inputDTypes?: { readonly [i: number]: DType };
  /** Inputs whose values shape inference reads (shapes, axes): kept on the host by every backend. */
  readonly hostInputs?: readonly number[];
  /** Dtypes accepted on the dtype group (or input 0); checked with TensorFlow's message. */
  readonly allowedDTypes?: readonly DType[];
  readonly infer: (inputs: readonly TensorSpec[], attrs: Attrs, name: string) => OutSpec[];
  /** undefined: no gradient registered (an error if one is needed); null: not differentiable. */
  readonly grad?: GradFn | null;
  /** Inputs that are variables this op updates (training ops): its kernel returns their new values. */
  readonly refInputs?: readonly number[];
  /** Holds or draws on state (variables, random): never folded or deduplicated. */
  readonly stateful?: boolean;
  readonly elementwise?: ElementwiseSpec;
  readonly doc?: string;
}

const REGISTRY = new Map<string, OpDef>();

export function defineOps(defs: readonly OpDef[]): void {
  for (const d of defs) {
    if (REGISTRY.has(d.type)) throw new Error(`op ${d.type} is defined twice`);
    REGISTRY.set(d.type, d);
  }
}

export function getOpDef(type: string): OpDef | undefined {
  return REGISTRY.get(type);
}

export function allOpDefs(): OpDef[] {
  return [...REGISTRY.values()];
}
