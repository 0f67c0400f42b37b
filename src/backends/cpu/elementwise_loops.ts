import { allocOutput, DType, Values } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { broadcastShapes, sizeOf } from "../../core/shape.js";
import type { ElementwiseSpec } from "../../core/schema/types.js";
import type { CpuKernel, CpuTensor } from "./kernel.js";
import { tryWasmBinary, tryWasmUnary } from "./wasm/runtime.js";
import { hasFloat32Storage } from "../../core/half.js";

/**
 * Elementwise kernels generated from the op table's scalar expressions: one tight loop per (op, dtype
 * class, broadcast pattern), compiled once by the JS engine, no per-element closure calls.
 */
type Loop = (a: Values, b: Values, o: Values, n: number, aOff: number, aStep: number, bOff: number, bStep: number, oOff: number) => void;
type UnaryLoop = (x: Values, o: Values, n: number) => void;

const cache = new Map<string, Loop | UnaryLoop>();

/**
 * a ** b in int64: squaring with wrap-around at each step; a negative exponent gives the truncated power
 * (1, -1 or 0), since an integer has no fractional power.
 */
const POW64 =
  "((x, e) => { if (e < 0n) return x === 1n ? 1n : x === -1n ? (e & 1n ? -1n : 1n) : 0n; let r = 1n; while (e > 0n) { if (e & 1n) r = BigInt.asIntN(64, r * x); x = BigInt.asIntN(64, x * x); e >>= 1n; } return r; })(a, b)";

export function exprFor(spec: ElementwiseSpec, dtype: DType, op: string): string {
  if (dtype === "int64") {
    if (spec.jsInt64 === undefined) throw new InvalidArgumentError(`${op} does not support int64 tensors on the CPU`);
    // BigInt's ** never wraps (2**53 ** 2**32 exceeds BigInt's size): int64 powers wrap as TensorFlow's do.
    return spec.jsInt64.replace(/\ba \*\* b\b/g, POW64);
  }
  if (dtype === "int32" || dtype === "uint8" || dtype === "bool") return spec.jsInt ?? spec.js;
  return spec.js;
}

/**
 * One compiled loop per expression AND array types: a loop shared by Float32Array and Int32Array
 * callers would see several element kinds and lose V8's fast typed-array access.
 */
function binaryLoop(expr: string, types: string): Loop {
  const key = `b:${types}:${expr}`;
  let f = cache.get(key) as Loop | undefined;
  if (!f) {
    f = new Function(
      "A",
      "B",
      "O",
      "n",
      "aOff",
      "aStep",
      "bOff",
      "bStep",
      "oOff",
      `
      "use strict";
      if (aStep === 1 && bStep === 1) {
        for (let i = 0; i < n; i++) { const a = A[aOff + i], b = B[bOff + i]; O[oOff + i] = ${expr}; }
      } else if (bStep === 0) {
        const b = B[bOff];
        for (let i = 0; i < n; i++) { const a = A[aOff + i]; O[oOff + i] = ${expr}; }
      } else {
        const a = A[aOff];
        for (let i = 0; i < n; i++) { const b = B[bOff + i]; O[oOff + i] = ${expr}; }
      }`,
    ) as Loop;
    cache.set(key, f);
  }
  return f;
}

function unaryLoop(expr: string, types: string): UnaryLoop {
  const key = `u:${types}:${expr}`;
  let f = cache.get(key) as UnaryLoop | undefined;
  if (!f) {
    f = new Function("X", "O", "n", `"use strict"; for (let i = 0; i < n; i++) { const x = X[i]; O[i] = ${expr}; }`) as UnaryLoop;
    cache.set(key, f);
  }
  return f;
}

/** Runs `loop` over the broadcast of a and b, one call per innermost row. */
export function broadcastBinary(a: CpuTensor, b: CpuTensor, outDType: DType, expr: string, op: string): CpuTensor {
  const outShapeOrErr = broadcastShapes(a.shape as number[], b.shape as number[]);
  if (outShapeOrErr === "incompatible") {
    throw new InvalidArgumentError(`Incompatible shapes: [${a.shape}] vs. [${b.shape}]`);
  }
  const shape = outShapeOrErr as number[];
  const n = sizeOf(shape);
  const o = allocOutput(outDType, n);
  const loop = binaryLoop(expr, `${a.dtype},${b.dtype},${outDType}`);
  if (n === 0) return { dtype: outDType, shape, values: o };
  // float32: WebAssembly SIMD kernels (wasm/runtime.ts) for same shapes, scalars and leading broadcasts,
  // where they measured faster; false means the JS loops below run.
  if (
    hasFloat32Storage(outDType) &&
    hasFloat32Storage(a.dtype) &&
    hasFloat32Storage(b.dtype) &&
    tryWasmBinary(op, expr, a.values as Float32Array, a.shape, b.values as Float32Array, b.shape, shape, o as Float32Array)
  ) {
    return { dtype: outDType, shape, values: o };
  }
  const aN = a.values.length;
  const bN = b.values.length;
  if (aN === n && bN === n) loop(a.values, b.values, o, n, 0, 1, 0, 1, 0);
  else if (bN === 1 && aN === n) loop(a.values, b.values, o, n, 0, 1, 0, 0, 0);
  else if (aN === 1 && bN === n) loop(a.values, b.values, o, n, 0, 0, 0, 1, 0);
  else generalBroadcast(a, b, o, shape, loop);
  return { dtype: outDType, shape, values: o };
}

function generalBroadcast(a: CpuTensor, b: CpuTensor, o: Values, shape: number[], loop: Loop): void {
  const r = shape.length;
  const pad = (s: readonly number[]) => [...new Array(r - s.length).fill(1), ...s];
  const as = pad(a.shape);
  const bs = pad(b.shape);
  const aStr = new Array<number>(r);
  const bStr = new Array<number>(r);
  let sa = 1;
  let sb = 1;
  for (let i = r - 1; i >= 0; i--) {
    aStr[i] = as[i] === 1 ? 0 : sa;
    bStr[i] = bs[i] === 1 ? 0 : sb;
    sa *= as[i];
    sb *= bs[i];
  }
  const inner = shape[r - 1];
  const aStep = aStr[r - 1] === 0 ? 0 : 1;
  const bStep = bStr[r - 1] === 0 ? 0 : 1;
  const rows = sizeOf(shape) / inner;
  const idx = new Array<number>(r - 1).fill(0);
  let aOff = 0;
  let bOff = 0;
  for (let row = 0; row < rows; row++) {
    if (aStep === 0 && bStep === 0) {
      // Both sides constant along the row: expand one value.
      loop(a.values, b.values, o, 1, aOff, 0, bOff, 0, row * inner);
      for (let i = 1; i < inner; i++) o[row * inner + i] = o[row * inner];
    } else if (aStep === 0 && bStep === 1) {
      loop(a.values, b.values, o, inner, aOff, 0, bOff, 1, row * inner);
    } else {
      loop(a.values, b.values, o, inner, aOff, 1, bOff, bStep, row * inner);
    }
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      aOff += aStr[d];
      bOff += bStr[d];
      if (idx[d] < shape[d]) break;
      aOff -= aStr[d] * shape[d];
      bOff -= bStr[d] * shape[d];
      idx[d] = 0;
    }
  }
}

export function binaryKernel(spec: ElementwiseSpec, op: string, outDType?: DType): CpuKernel {
  return ([a, b]) => [broadcastBinary(a, b, outDType ?? a.dtype, exprFor(spec, a.dtype, op), op)];
}

export function unaryKernel(spec: ElementwiseSpec, op: string, outDType?: DType): CpuKernel {
  return ([x]) => {
    const dtype = outDType ?? x.dtype;
    const o = allocOutput(dtype, x.values.length);
    // float32: the WebAssembly SIMD kernel when there is one and it pays (wasm/runtime.ts).
    const expr = exprFor(spec, x.dtype, op);
    if (hasFloat32Storage(dtype) && hasFloat32Storage(x.dtype) && tryWasmUnary(op, expr, x.values as Float32Array, o as Float32Array))
      return [{ dtype, shape: x.shape, values: o }];
    unaryLoop(expr, `${x.dtype},${dtype}`)(x.values, o, x.values.length);
    return [{ dtype, shape: x.shape, values: o }];
  };
}
