import type { DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Shape } from "../core/shape.js";
import { isTensorConvertible } from "../core/tensor_like.js";
import { EagerTensor } from "../eager/tensor.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { TensorSpec } from "./tensor_spec.js";

/**
 * The arguments of a tf.function call as TensorFlow sees them: a structure (arrays and plain objects, at
 * any depth) whose tensor leaves are the function's inputs and whose other leaves (numbers, strings,
 * variables, objects) are part of the cache key, as Python values are: a new value means a new trace.
 */

/** The dtype and shape a tensor input was traced with (null dims accept any size). */
export interface InputSpec {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly name: string | null;
}

/** Objects in a key are known by an id of their own (Python keys them by weak reference). */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;
function idOf(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextObjectId++));
  return id;
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * The exact cache key of `x` (dtypes and shapes of its tensors, the values of the rest), pushing its eager
 * tensors onto `tensors` in order. One walk, on every call: the tf.function's hot path.
 */
export function exactKey(x: unknown, tensors: EagerTensor[]): string {
  if (x instanceof EagerTensor) {
    tensors.push(x);
    return `T${x.dtype}[${x.shape.join(",")}]`;
  }
  if (Array.isArray(x)) {
    let k = "(";
    for (let i = 0; i < x.length; i++) k += `${exactKey(x[i], tensors)},`;
    return `${k})`;
  }
  return otherKey(x, (y) => exactKey(y, tensors));
}

/** The key with each tensor's dims left out (dtype and rank only): calls that may share a relaxed trace. */
export function rankKey(x: unknown): string {
  if (x instanceof EagerTensor) return `T${x.dtype}r${x.shape.length}`;
  if (x instanceof TensorSpec) return x.shape === null ? `T${x.dtype}*` : `T${x.dtype}r${x.shape.length}`;
  if (Array.isArray(x)) return `(${x.map(rankKey).join(",")})`;
  return otherKey(x, rankKey);
}

/** The key of a TensorSpec leaf (getConcreteFunction) in exactKey's form, "?" for an unknown dim. */
export function specKey(x: unknown): string {
  if (x instanceof TensorSpec) return x.shape === null ? `T${x.dtype}*` : `T${x.dtype}[${x.shape.map((d) => d ?? "?").join(",")}]`;
  if (x instanceof EagerTensor) return `T${x.dtype}[${x.shape.join(",")}]`;
  if (Array.isArray(x)) return `(${x.map(specKey).join(",")})`;
  return otherKey(x, specKey);
}

function otherKey(x: unknown, inner: (y: unknown) => string): string {
  switch (typeof x) {
    case "number":
      return `n${x}`;
    case "string":
      return `s${JSON.stringify(x)}`;
    case "boolean":
      return x ? "t" : "f";
    case "undefined":
      return "u";
    case "bigint":
      return `b${x}`;
    case "function":
      return `o${idOf(x)}`;
    case "symbol":
      return `y${String(x)}`;
  }
  if (x === null) return "z";
  if (x instanceof SymbolicTensor) {
    throw new InvalidArgumentError(`tf.function was called with the graph tensor ${x.name} outside the graph being built; pass eager tensors or values`);
  }
  if (isTensorConvertible(x)) return `V${x.tapeId}`;
  if (isPlainObject(x)) {
    let k = "{";
    for (const name in x) k += `${JSON.stringify(name)}:${inner(x[name])},`;
    return `${k}}`;
  }
  return `o${idOf(x as object)}`;
}

/** The same structure with each tensor leaf (eager tensor or TensorSpec) replaced by `f(leaf, index)`. */
export function mapTensors(x: unknown, f: (leaf: EagerTensor | TensorSpec, i: number) => unknown, counter = { i: 0 }): unknown {
  if (x instanceof EagerTensor || x instanceof TensorSpec) return f(x, counter.i++);
  if (Array.isArray(x)) return x.map((y) => mapTensors(y, f, counter));
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const k in x) out[k] = mapTensors(x[k], f, counter);
    return out;
  }
  return x;
}

/** The tensor leaves (eager tensors or TensorSpecs) of a structure, in order. */
export function tensorLeaves(x: unknown): (EagerTensor | TensorSpec)[] {
  const out: (EagerTensor | TensorSpec)[] = [];
  mapTensors(x, (leaf) => out.push(leaf));
  return out;
}

/** A spec for a tensor leaf: a TensorSpec as given, an eager tensor's dtype and exact shape. */
export function specOf(leaf: EagerTensor | TensorSpec): InputSpec {
  return leaf instanceof TensorSpec ? { dtype: leaf.dtype, shape: leaf.shape, name: leaf.name } : { dtype: leaf.dtype, shape: leaf.shape, name: null };
}

/** Whether tensors of dtype `dtype` and shape `shape` fit `spec`. */
export function fits(spec: InputSpec, dtype: DType, shape: Shape): boolean {
  if (spec.dtype !== dtype) return false;
  const s = spec.shape;
  if (s === null) return true;
  if (shape === null) return false;
  if (s.length !== shape.length) return false;
  for (let i = 0; i < s.length; i++) if (s[i] !== null && s[i] !== shape[i]) return false;
  return true;
}

/** TensorFlow's relaxed shapes: the dims two specs of one rank disagree on become null. */
export function relax(a: InputSpec, b: InputSpec): InputSpec {
  if (a.shape === null || b.shape === null || a.shape.length !== b.shape.length) return { ...b, shape: null };
  const bs = b.shape;
  return { ...b, shape: a.shape.map((d, i) => (d === bs[i] ? d : null)) };
}
