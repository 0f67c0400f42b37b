import { InvalidArgumentError } from "./errors.js";

export type DType = "float32" | "float64" | "int32" | "int64" | "uint8" | "bool" | "string" | "float16" | "bfloat16";

export type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array;
/** Host storage of a tensor: int64 is a BigInt64Array so that its values stay exact. */
export type Values = NumericArray | BigInt64Array | string[];

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "int64", "uint8", "bool", "string", "float16", "bfloat16"];

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && (DTYPES as readonly string[]).includes(x);
}

export function isFloating(d: DType): boolean {
  return d === "float32" || d === "float64" || d === "float16" || d === "bfloat16";
}
/** TensorFlow's floating types, in its order of mention in type constraints after float and double. */
export const FLOAT_DTYPES: readonly DType[] = ["float32", "float64", "float16", "bfloat16"];

export function isInteger(d: DType): boolean {
  return d === "int32" || d === "int64" || d === "uint8";
}

/** TensorFlow's short names, used in its error messages ("dtype float and shape [?,1]"). */
export function tfName(d: DType): string {
  return d === "float32" ? "float" : d === "float64" ? "double" : d === "float16" ? "half" : d;
}

export function bytesPerElement(d: DType): number {
  switch (d) {
    case "float64":
    case "int64":
      return 8;
    case "float32":
    case "int32":
      return 4;
    case "float16":
    case "bfloat16":
      return 2;
    case "uint8":
    case "bool":
      return 1;
    case "string":
      return 0;
  }
}

/** Where arrays may be recycled from (the CPU backend's buffer pool); `zero`: cleared before they are handed out. */
let recycler: ((d: DType, size: number, zero: boolean) => Values | null) | null = null;
export function setValuesRecycler(f: (d: DType, size: number, zero: boolean) => Values | null): void {
  recycler = f;
}

/** A zero-filled array for `size` elements of `d` (recycled when the backend has one free). */
export function allocValues(d: DType, size: number): Values {
  return alloc(d, size, true);
}

/**
 * An array for `size` elements of `d` that the caller writes in full (a matrix product's or an elementwise
 * loop's output): a recycled one keeps its old contents, which saves a pass over memory per output.
 */
export function allocOutput(d: DType, size: number): Values {
  return alloc(d, size, false);
}

function alloc(d: DType, size: number, zero: boolean): Values {
  if (!(Number.isInteger(size) && size >= 0 && size <= 2 ** 32)) {
    throw new InvalidArgumentError(`cannot allocate ${size} elements of ${d}: a size is a non-negative integer of at most 2^32`);
  }
  if (recycler !== null && size >= 16 && d !== "string") {
    const v = recycler(d, size, zero);
    if (v !== null) return v;
  }
  return zeroValues(d, size);
}

/** New zero-filled host values (never recycled); float16 and bfloat16 are held as float32 on the host. */
export function zeroValues(d: DType, size: number): Values {
  switch (d) {
    case "float32":
    case "float16":
    case "bfloat16":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "int64":
      return new BigInt64Array(size);
    case "uint8":
    case "bool":
      return new Uint8Array(size);
    case "string":
      return new Array<string>(size).fill("");
  }
}

export function checkDType(d: unknown, where: string): DType {
  if (!isDType(d)) {
    throw new InvalidArgumentError(`${where}: unknown dtype ${String(d)}; expected one of ${DTYPES.join(", ")}`);
  }
  return d;
}

/** Byte size of host values, counting strings by their UTF-16 length. */
export function valuesBytes(v: Values): number {
  if (Array.isArray(v)) return v.reduce((n, s) => n + s.length * 2, 0);
  return v.byteLength;
}
