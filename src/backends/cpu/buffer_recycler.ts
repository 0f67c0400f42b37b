import type { DType, Values } from "../../core/dtype.js";

/**
 * Reuses the typed arrays of freed CPU buffers, so that a training loop whose shapes repeat allocates
 * (almost) nothing per step: fresh typed arrays cost a zero-filled allocation plus garbage collection,
 * which for a 256x256 matmul is as much as the product itself.
 *
 * Only buffers that never left tsflow are recycled: the backend marks a buffer "exposed" when its array
 * is handed out (dataSync) or came from outside (write), and never gives those back.
 */
const MAX_PER_SIZE = 8;
const MAX_BYTES = 512 * 2 ** 20;

const free = new Map<string, Values[]>();
let pooledBytes = 0;

function key(dtype: DType, n: number): string {
  return `${dtype === "bool" ? "uint8" : dtype}:${n}`;
}

/** An array of `n` elements, recycled when one is free: zero-filled when `zero`, else as it was left. */
export function takeValues(dtype: DType, n: number, zero: boolean): Values | null {
  const list = free.get(key(dtype, n));
  const v = list?.pop();
  if (!v) return null;
  pooledBytes -= (v as Float32Array).byteLength;
  if (!zero) return v;
  // An int64 buffer is a BigInt64Array, which only takes a bigint.
  if (v instanceof BigInt64Array) v.fill(0n);
  else (v as Float64Array).fill(0);
  return v;
}

/** The typed array that holds `dtype` on the host: a pooled array is only ever reused as its own dtype. */
function holds(dtype: DType, v: Values): boolean {
  switch (dtype) {
    case "float64":
      return v instanceof Float64Array;
    case "int32":
      return v instanceof Int32Array;
    case "int64":
      return v instanceof BigInt64Array;
    case "uint8":
    case "bool":
      return v instanceof Uint8Array;
    case "string":
      return false;
    default:
      return v instanceof Float32Array;
  }
}

export function giveValues(dtype: DType, v: Values): void {
  // A buffer whose array is not its dtype's (a kernel's slip) is dropped, never handed out as another dtype.
  if (Array.isArray(v) || v.length === 0 || !holds(dtype, v)) return;
  // Only arrays that own their whole buffer: a view's memory belongs to someone else too.
  if (v.byteOffset !== 0 || v.buffer.byteLength !== v.byteLength) return;
  const bytes = v.byteLength;
  if (pooledBytes + bytes > MAX_BYTES) return;
  const k = key(dtype, v.length);
  let list = free.get(k);
  if (!list) free.set(k, (list = []));
  if (list.length >= MAX_PER_SIZE) return;
  list.push(v);
  pooledBytes += bytes;
}
