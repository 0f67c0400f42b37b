import type { DType, Values } from "../dtype.js";
import type { Shape } from "../shape.js";

/**
 * The types of THE op table, modelled on TensorFlow's OpDef (tensorflow/core/framework/op_def.proto): each
 * op declares its attributes with TensorFlow's attribute types and defaults, its inputs and outputs, and the
 * shape function (TensorFlow's SetShapeFn) that every layer above runs. Only core types are used here, so
 * every layer (backends included) can read the table.
 */

/** Attribute values an op may carry (TensorFlow's AttrValue, in JS form). */
export type AttrValue =
  | number
  | string
  | boolean
  | null
  | bigint
  | readonly number[]
  | readonly string[]
  | readonly (number | null)[]
  | Values
  | { readonly [k: string]: AttrValue };
export type Attrs = { readonly [k: string]: AttrValue };

/** TensorFlow's scalar attribute types. */
export type ScalarAttrType = "type" | "int" | "float" | "bool" | "string" | "shape" | "tensor" | "func";
/** TensorFlow's attribute types: a scalar type or `list(...)` of one. */
export type AttrType = ScalarAttrType | `list(${ScalarAttrType})`;

/**
 * One attribute (TensorFlow's OpDef.AttrDef). In JS form: `type` is a DType name ("float32"), `int` and
 * `float` are numbers, `shape` is a Shape (null = unknown rank, null dims unknown), `tensor` is host Values,
 * `list(int)` is an array (or Int32Array) of numbers.
 */
export interface AttrDef {
  /** TensorFlow's attr name (`transpose_a`, `data_format`, `T`, `seed2`, ...). */
  readonly name: string;
  readonly type: AttrType;
  /** Filled in when the attr is absent; no default means the attr is required (unless an input binds it). */
  readonly default?: AttrValue;
  /** TensorFlow's allowed_values: dtypes for a `type` attr, strings for a `string` attr. */
  readonly allowed?: readonly (string | number)[];
  /** TensorFlow's minimum: the least value of an `int`, the least length of a `list(...)`. */
  readonly minimum?: number;
}

/**
 * One input or output (TensorFlow's OpDef.ArgDef). Its dtype is bound by exactly one of:
 * - `typeAttr`: a `type` attr shared by every argument naming it (TensorFlow's `T`): a GraphDef writer sets
 *   the attr from the dtype of the first input naming it; a reader gets the dtypes back from the attr;
 * - `type`: a fixed dtype (e.g. `bool` for a comparison's output);
 * and, for a list of tensors, `numberAttr` names the `int` attr holding its length (`N` of AddN,
 * ConcatV2 and Pack). Attrs bound by inputs are "inferred", as in TensorFlow: dispatch never asks callers
 * for them, because the inputs decide them.
 */
export interface ArgDef {
  readonly name: string;
  readonly typeAttr?: string;
  readonly type?: DType;
  readonly numberAttr?: string;
  /** A variable updated in place (TensorFlow's `Ref(T)`), e.g. the `var` of ApplyGradientDescent. */
  readonly isRef?: boolean;
}

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

/** Shape and dtype inference (TensorFlow's shape function): validates the inputs and attrs, gives the outputs. */
export type InferFn = (inputs: readonly TensorSpec[], attrs: Attrs, name: string) => OutSpec[];

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

/** One row of THE op table: TensorFlow's op type, its signature and attributes, and its inference. */
export interface OpSchema<T extends string = string> {
  /** TensorFlow's op type name (AddV2, MatMul, Conv2D) so GraphDef import/export is a lookup. */
  readonly type: T;
  /** Default node name, when it differs from the type (TensorFlow's Python wrappers name AddV2 "Add"). */
  readonly name?: string;
  /** TensorFlow's argument names, used to name constants made from JS values ("Add/x"). */
  readonly inputNames?: readonly string[];
  /**
   * Inputs and outputs with their dtype bindings (see ArgDef). When absent they are derived from
   * inputNames/dtypeGroups/inputDTypes by `inputArgs`/`outputArgs` (schema/args.ts).
   */
  readonly inputs?: readonly ArgDef[];
  readonly outputs?: readonly ArgDef[];
  /** Attributes other than those the inputs bind (see AttrDef). Absent: the op takes none. */
  readonly attrs?: readonly AttrDef[];
  /** Index groups of inputs that must share one dtype; a JS value in a group takes the group's dtype. */
  readonly dtypeGroups?: readonly (readonly number[])[];
  /** Dtype a JS value takes on input i when nothing decides it (shape, axis and index inputs are int32). */
  readonly inputDTypes?: { readonly [i: number]: DType };
  /** Inputs whose values shape inference reads (shapes, axes): kept on the host by every backend. */
  readonly hostInputs?: readonly number[];
  /** Dtypes accepted on the dtype group (or input 0): the allowed values of its type attr `T`. */
  readonly allowedDTypes?: readonly DType[];
  readonly infer: InferFn;
  /** Inputs that are variables this op updates (training ops): its kernel returns their new values. */
  readonly refInputs?: readonly number[];
  /** Holds or draws on state (variables, random): never folded or deduplicated. */
  readonly stateful?: boolean;
  readonly elementwise?: ElementwiseSpec;
  readonly doc?: string;
}

/** Keeps the literal op types of a family's rows (for OpType) while checking each row against OpSchema. */
export function schemaRows<const R extends readonly OpSchema[]>(rows: R): R {
  return rows;
}
