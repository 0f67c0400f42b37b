import type { DType } from "../../../core/dtype.js";
import type { Handle } from "../../../core/backend.js";
import type { Attrs } from "../../../core/schema/types.js";
import type { CudaHandle } from "../handle.js";
import type { CudaKernelDef, KernelContext } from "../kernel.js";

/** What the CUDA kernel families share: dtype sets, index widths and host-side integer inputs. */

export const FLOATS: ReadonlySet<DType> = new Set(["float32", "float64"]);
export const NUMERIC: ReadonlySet<DType> = new Set(["float32", "float64", "int32", "int64", "uint8"]);
export const STORABLE: ReadonlySet<DType> = new Set(["float32", "float64", "int32", "int64", "uint8", "bool"]);
/** float16 and bfloat16: stored in 2 bytes (ts_half, ts_bf16), computed in float; kernels opt in to them. */
export const NARROW: ReadonlySet<DType> = new Set(["float16", "bfloat16"]);
/** STORABLE and the 16-bit floats: what kernels that only move, fill or convert elements take. */
export const STORED: ReadonlySet<DType> = new Set([...STORABLE, ...NARROW]);

/**
 * Whether kernel `k` takes inputs of these dtypes: its `supports`, else every input that is not read on the
 * host storable and not a 16-bit float (kernels opt in to those). The backend's canRun caches this answer.
 */
export function kernelSupports(k: CudaKernelDef, dtypes: readonly DType[], attrs: Attrs): boolean {
  if (!k.supports) return dtypes.every((d, i) => k.host?.includes(i) || STORABLE.has(d));
  try {
    return k.supports(dtypes, attrs);
  } catch {
    return false;
  }
}

/** 64-bit indices once a grid-stride loop over 32-bit ones could wrap (i + stride past 2^32). */
export const idx64 = (n: number) => n >= 2 ** 31;

/** 32-bit indices inside the window kernels (convolution, pooling): tensors and planes must stay below this. */
export const INT_LIMIT = 2 ** 30;

export function hostInts(b: KernelContext, h: Handle): number[] {
  return Array.from(b.hostValues(h) as ArrayLike<number | bigint>, (v) => Number(v));
}

/** The element count of a grid-stride kernel, 64-bit when it needs to be. */
export function argN(b: KernelContext, n: number): void {
  argI(b, idx64(n), n);
}

/** An index argument of a kernel whose index type I is 64-bit when `i64`. */
export function argI(b: KernelContext, i64: boolean, v: number): void {
  if (i64) b.ctx.argI64(v);
  else b.ctx.argI32(v);
}

/** Channels-last data: the layout the window kernels take (layout.ts brings NCHW to it). */
export const NHWC = (attrs: Attrs) => attrs.data_format === "NHWC";

/**
 * The launches of a grouped kernel (gd_group, momentum_group, add_group, table_gather): items `ks` in chunks of
 * `size`, each chunk's parameter struct one array of `size` words per field (`fields(k)`: an item's pointers and
 * codes), then each item's first element in the chunk's index space and the end. Unused entries repeat the end, so
 * that a kernel's search for its item stops at the last real one. `launch` gets the chunk's item count, its struct
 * and its element count (chunks of no elements are not launched).
 */
export function launchGroups(
  ks: readonly number[],
  size: number,
  fields: (k: number) => readonly number[],
  elements: (k: number) => number,
  launch: (count: number, words: number[], total: number) => void,
): void {
  for (let k0 = 0; k0 < ks.length; k0 += size) {
    const chunk = ks.slice(k0, k0 + size);
    const perItem = chunk.map(fields);
    const nf = perItem[0].length;
    const words: number[] = new Array(size * nf + size + 1).fill(0);
    let total = 0;
    chunk.forEach((k, t) => {
      perItem[t].forEach((w, f) => {
        words[f * size + t] = w;
      });
      words[nf * size + t] = total;
      total += elements(k);
    });
    for (let t = chunk.length; t <= size; t++) words[nf * size + t] = total;
    if (total > 0) launch(chunk.length, words, total);
  }
}

/** Indices of `items` by the dtype of their input `i`, in their order (one module per gradient dtype). */
export function byInputDType(items: readonly CudaHandle[][], i: number): Map<DType, number[]> {
  const out = new Map<DType, number[]>();
  items.forEach((it, k) => {
    const list = out.get(it[i].dtype);
    if (list) list.push(k);
    else out.set(it[i].dtype, [k]);
  });
  return out;
}
