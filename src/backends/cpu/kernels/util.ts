import { allocValues, DType, Values } from "../../../core/dtype.js";
import { UnimplementedError } from "../../../core/errors.js";
import { sizeOf, stridesOf } from "../../../core/shape.js";

/** Flat input offsets for each flat output index when `inShape` broadcasts to `outShape`. */
export function broadcastOffsets(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const r = outShape.length;
  const padded = [...new Array(r - inShape.length).fill(1), ...inShape];
  const inStr = stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const out = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      off += inStr[d];
      if (idx[d] < outShape[d]) break;
      off -= inStr[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

export function ints(v: Values): number[] {
  return Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
}

export function filledValues(dtype: DType, n: number, v: number | bigint | string): Values {
  const out = allocValues(dtype, n);
  (out as unknown as { fill(x: unknown): void }).fill(dtype === "int64" ? BigInt(v as number) : v);
  return out;
}

/** Values of one dtype converted to another, with TensorFlow's cast semantics (truncation toward zero). */
export function castValues(v: Values, from: DType, to: DType): Values {
  const n = v.length;
  const out = allocValues(to, n);
  if (to === "string" || from === "string") {
    if (to !== from) throw new UnimplementedError(`Cast ${from} to ${to} is not supported`);
    return v.slice() as Values;
  }
  if (to === "int64") {
    const o = out as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const x = v[i] as number | bigint;
      o[i] = typeof x === "bigint" ? x : Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n;
    }
    return o;
  }
  if (to === "bool") {
    const o = out as Uint8Array;
    // NaN casts to true, as in TensorFlow (NaN != 0); loose equality also compares BigInts with 0.
    // biome-ignore lint/suspicious/noDoubleEquals: see the line above
    for (let i = 0; i < n; i++) o[i] = (v[i] as number) != 0 ? 1 : 0;
    return o;
  }
  const o = out as Float64Array;
  if (from === "int64") {
    for (let i = 0; i < n; i++) o[i] = Number(v[i] as bigint);
  } else if (to === "int32" || to === "uint8") {
    for (let i = 0; i < n; i++) o[i] = Math.trunc(v[i] as number);
  } else {
    o.set(v as Float64Array);
  }
  return o;
}
