import { bytesPerElement, type DType } from "../../core/dtype.js";
import type { Handle, KernelEnv } from "../../core/backend.js";
import { sizeOf } from "../../core/shape.js";
import type { Attrs } from "../../core/schema/types.js";
import { CudaHandle } from "./handle.js";
import type { CudaKernelDef, KernelContext } from "./kernel.js";
import { castOp } from "./kernels/elementwise.js";
import { kernelSupports, NARROW } from "./kernels/util.js";

/**
 * float16 and bfloat16 on kernels written for float32 (they compute in the stored type: atomics, pooling
 * windows, recurrent steps, cuDNN's float32 RNN): the narrow inputs are widened with the cast kernel, the
 * float32 kernel runs, and its float32 outputs are rounded back once. That is what the CPU backend computes
 * for the 16-bit floats (float32 arithmetic on the rounded values, each result rounded) and how TensorFlow's
 * GPU kernels treat them where they accumulate in float32; staying on the GPU keeps a step capturable as a
 * CUDA graph, at the price of the casts' memory traffic.
 */

/**
 * Inputs and outputs that are opaque bytes counted in elements of the dtype (a cuDNN reserve space): they are
 * relabelled between the narrow dtype and float32, never converted.
 */
export interface OpaqueArgs {
  readonly inputs?: readonly number[];
  readonly outputs?: readonly number[];
}

/** `h`'s bytes as a vector of `dtype` (an alias); null when they are not a whole number of its elements. */
function relabel(h: CudaHandle, dtype: DType): CudaHandle | null {
  const n = (sizeOf(h.shape) * bytesPerElement(h.dtype)) / bytesPerElement(dtype);
  if (h.shape.length !== 1 || !Number.isInteger(n)) return null;
  h.storage.refs++;
  return new CudaHandle(h.backend, h.storage, dtype, [n]);
}

/** `def` on inputs `narrow` (one 16-bit dtype) widened to float32, its float32 outputs rounded back; null where `def` declines. */
export function inFloat32(
  b: KernelContext,
  def: CudaKernelDef,
  inputs: CudaHandle[],
  narrow: readonly number[],
  attrs: Attrs,
  env: KernelEnv,
  opaque: OpaqueArgs = {},
): Handle[] | null {
  const dtype = inputs[narrow[0]].dtype;
  const made: Handle[] = [];
  try {
    const wide: CudaHandle[] = [];
    for (const [i, h] of inputs.entries()) {
      const w = narrow.includes(i) ? (castOp(b, h, "float32") as CudaHandle) : opaque.inputs?.includes(i) ? relabel(h, "float32") : h;
      if (w === null) return null;
      if (w !== h) made.push(w);
      wide.push(w);
    }
    const outs = def.run(b, wide, attrs, env);
    return (
      outs?.map((h, k) => {
        if (h.dtype !== "float32") return h;
        const n = opaque.outputs?.includes(k) ? (relabel(h as CudaHandle, dtype) as CudaHandle) : castOp(b, h as CudaHandle, dtype);
        b.dispose(h);
        return n;
      }) ?? null
    );
  } finally {
    for (const h of made) b.dispose(h);
  }
}

/**
 * `def` (a float32 kernel) also for float16 and bfloat16 on the inputs `narrow` (and `opaque` ones, all of
 * one dtype), through inFloat32; other dtypes run `def` as it is.
 */
export function viaFloat32(def: CudaKernelDef, narrow: readonly number[], opaque: OpaqueArgs = {}): CudaKernelDef {
  const relabelled = [...narrow, ...(opaque.inputs ?? [])];
  const widened = (d: readonly DType[]): DType[] | null => {
    const t = d[narrow[0]];
    if (!NARROW.has(t)) return d.slice();
    if (relabelled.some((i) => d[i] !== t)) return null;
    return d.map((x, i) => (relabelled.includes(i) ? "float32" : x));
  };
  return {
    host: def.host,
    attrKey: def.attrKey,
    supports: (d, attrs) => {
      const w = widened(d);
      return w !== null && kernelSupports(def, w, attrs);
    },
    run: (b, inputs, attrs, env) =>
      NARROW.has(inputs[narrow[0]].dtype) ? inFloat32(b, def, inputs, narrow, attrs, env, opaque) : def.run(b, inputs, attrs, env),
  };
}
