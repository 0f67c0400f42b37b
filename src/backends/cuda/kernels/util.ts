import type { DType } from "../../../core/dtype.js";
import type { Handle } from "../../../core/backend.js";
import type { Attrs } from "../../../core/schema/types.js";
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
