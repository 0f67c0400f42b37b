import { allocValues, DType, isFloating, Values } from "./dtype.js";
import { InvalidArgumentError } from "./errors.js";
import { sizeOf } from "./shape.js";

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array | Int16Array | Int8Array | Uint16Array | Uint32Array;
/** A JS value a user may pass where a tensor is expected. */
export type Scalar = number | boolean | string | bigint;
export interface NestedArray {
  [i: number]: Scalar | NestedArray | TypedArray;
  length: number;
}
export type HostValue = Scalar | NestedArray | TypedArray;

export function isTypedArray(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/** The shape a nested JS array describes; ragged arrays are rejected as TensorFlow does. */
export function inferShape(v: HostValue): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur) || isTypedArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = (cur as ArrayLike<unknown>)[0];
  }
  return shape;
}

/**
 * Default dtype of a JS value: JS has one number type, so numbers are float32 (as in TensorFlow.js)
 * unless the tensor they meet decides otherwise; typed arrays keep their element type.
 */
export function inferDType(v: HostValue): DType {
  let cur: unknown = v;
  while (Array.isArray(cur) && cur.length > 0) cur = cur[0];
  if (cur instanceof Float64Array) return "float64";
  if (cur instanceof Int32Array || cur instanceof Int16Array || cur instanceof Int8Array || cur instanceof Uint16Array) return "int32";
  if (cur instanceof Uint8Array) return "uint8";
  if (cur instanceof BigInt64Array) return "int64";
  if (isTypedArray(cur)) return "float32";
  if (typeof cur === "boolean") return "bool";
  if (typeof cur === "string") return "string";
  if (typeof cur === "bigint") return "int64";
  return "float32";
}

function flattenInto(v: unknown, out: unknown[], shape: number[], depth: number): void {
  if (depth === shape.length) {
    if (Array.isArray(v) || isTypedArray(v)) {
      throw new InvalidArgumentError(`Can't convert a ragged nested array to a tensor: expected shape [${shape.join(",")}]`);
    }
    out.push(v);
    return;
  }
  if (!(Array.isArray(v) || isTypedArray(v)) || v.length !== shape[depth]) {
    throw new InvalidArgumentError(`Can't convert a ragged nested array to a tensor: expected shape [${shape.join(",")}]`);
  }
  if (isTypedArray(v) && depth === shape.length - 1) {
    for (let i = 0; i < v.length; i++) out.push(v[i]);
    return;
  }
  for (let i = 0; i < v.length; i++) flattenInto((v as ArrayLike<unknown>)[i], out, shape, depth + 1);
}

function convertElement(x: unknown, dtype: DType): number | bigint | string {
  switch (dtype) {
    case "string":
      if (typeof x !== "string") throw new InvalidArgumentError(`Expected a string for a string tensor, got ${typeof x}`);
      return x;
    case "int64":
      if (typeof x === "bigint") return x;
      if (typeof x === "boolean") return BigInt(x ? 1 : 0);
      if (typeof x === "number" && Number.isFinite(x)) return BigInt(Math.trunc(x));
      throw new InvalidArgumentError(`Can't convert ${String(x)} to int64`);
    case "bool":
      if (typeof x === "string") throw new InvalidArgumentError(`Can't convert string "${x}" to bool`);
      return x ? 1 : 0;
    default:
      if (typeof x === "string") throw new InvalidArgumentError(`Can't convert string "${x}" to ${dtype}`);
      if (typeof x === "bigint") return Number(x);
      if (typeof x === "boolean") return x ? 1 : 0;
      if (typeof x !== "number") throw new InvalidArgumentError(`Can't convert ${String(x)} to ${dtype}`);
      // An integer tensor never wraps a number silently (TensorFlow: "out of range"); NaN/Infinity have no integer.
      if ((dtype === "int32" && !(x > -2147483649 && x < 2147483648)) || (dtype === "uint8" && !(x > -1 && x < 256))) {
        throw new InvalidArgumentError(`Can't convert ${x} to ${dtype}: out of range`);
      }
      return x;
  }
}

/** Flat host values of `dtype` from any JS value, with the shape it describes. */
export function toValues(v: HostValue, dtype: DType): { values: Values; shape: number[] } {
  const shape = inferShape(v);
  const size = sizeOf(shape);
  const out = allocValues(dtype, size);
  if (isTypedArray(v) && shape.length === 1 && !(v instanceof BigInt64Array) && dtype !== "int64" && dtype !== "string") {
    (out as Float64Array).set(v as ArrayLike<number>);
    if (dtype === "bool") for (let i = 0; i < size; i++) (out as Uint8Array)[i] = out[i] ? 1 : 0;
    return { values: out, shape };
  }
  const flat: unknown[] = [];
  flattenInto(v, flat, shape, 0);
  for (let i = 0; i < size; i++) (out as unknown[])[i] = convertElement(flat[i], dtype);
  return { values: out, shape };
}

/** Fills a tensor of `shape` from a flat or scalar value (tf.constant's broadcasting of a scalar). */
export function reshapeValues(values: Values, from: number[], to: number[], dtype: DType, op: string): Values {
  const n = sizeOf(to);
  if (sizeOf(from) === n) return values;
  if (values.length === 1) {
    const out = allocValues(dtype, n);
    (out as unknown as { fill(x: unknown): void }).fill(values[0]);
    return out;
  }
  throw new InvalidArgumentError(`${op}: expected ${n} values for shape [${to.join(",")}], got ${values.length} of shape [${from.join(",")}]`);
}

export function toNested(values: Values, shape: readonly number[], dtype: DType): unknown {
  const conv = (x: number | bigint | string): unknown => (dtype === "bool" ? x !== 0 : x);
  if (shape.length === 0) return conv(values[0]);
  const build = (offset: number, dim: number): unknown[] => {
    const n = shape[dim];
    const out = new Array(n);
    if (dim === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = conv(values[offset + i]);
      return out;
    }
    const stride = sizeOf(shape.slice(dim + 1));
    for (let i = 0; i < n; i++) out[i] = build(offset + i * stride, dim + 1);
    return out;
  };
  return build(0, 0);
}

/** TensorFlow/NumPy-style printing of values: [[1 2] [3 4]]. */
export function formatValues(values: Values, shape: readonly number[], dtype: DType): string {
  const fmt = (x: number | bigint | string): string => {
    if (dtype === "bool") return x ? "True" : "False";
    if (dtype === "string") return JSON.stringify(x);
    if (typeof x === "number" && isFloating(dtype)) {
      if (dtype === "float16" || dtype === "bfloat16") {
        // The digits that tell the type's values apart (NumPy prints float16 with 4, bfloat16 with 3).
        const s = String(+x.toPrecision(dtype === "float16" ? 4 : 3));
        return Number.isInteger(x) && /^-?\d+$/.test(s) ? `${s}.` : s;
      }
      if (Number.isInteger(x)) return `${x}.`;
      return dtype === "float32" ? String(Math.fround(x) === x ? +x.toPrecision(7) : x) : String(x);
    }
    return String(x);
  };
  if (shape.length === 0) return fmt(values[0]).replace(/\.$/, ".0");
  const maxItems = 6;
  const rec = (offset: number, dim: number): string => {
    const n = shape[dim];
    const stride = sizeOf(shape.slice(dim + 1));
    const idx = n > maxItems * 2 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
    const parts = idx.map((i) => (i < 0 ? "..." : dim === shape.length - 1 ? fmt(values[offset + i]) : rec(offset + i * stride, dim + 1)));
    return `[${parts.join(dim === shape.length - 1 ? " " : `\n${" ".repeat(dim + 1)}`)}]`;
  };
  return rec(0, 0);
}
