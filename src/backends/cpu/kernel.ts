import type { DType, Values } from "../../core/dtype.js";
import type { KernelEnv } from "../../core/backend.js";
import type { Attrs } from "../../core/schema/types.js";
import type { OpType } from "../../core/schema/index.js";
import { CpuHandle } from "./handle.js";

/** What a CPU kernel reads and writes: flat host values with a shape. */
export interface CpuTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: Values;
}

/**
 * A CPU kernel. Outputs are fresh tensors, or `aliasOf(input, shape)` to share an input's storage
 * without copying (reshape, identity).
 */
export type CpuKernel = (inputs: readonly CpuTensor[], attrs: Attrs, env: KernelEnv) => CpuTensor[];
/** A family's kernels by op type: a key that is not an op of the table (core/schema) is a compile error. */
export type KernelTable = { readonly [K in OpType]?: CpuKernel };

export function aliasOf(t: CpuTensor, shape: readonly number[] = t.shape): CpuTensor {
  if (!(t instanceof CpuHandle)) return { dtype: t.dtype, shape, values: t.values };
  return t.backend.alias(t, shape) as CpuHandle;
}

export function out(dtype: DType, shape: readonly number[], values: Values): CpuTensor {
  return { dtype, shape, values };
}
