import type { DType, Values } from "../../core/dtype.js";
import type { Handle, KernelEnv } from "../../core/backend.js";
import type { Attrs } from "../../core/schema/types.js";
import type { OpType } from "../../core/schema/index.js";
import type { CachingAllocator } from "./allocator.js";
import type { CublasHandle } from "./blas.js";
import type { DeviceContext } from "./driver.js";
import type { Ptr } from "./ffi.js";
import type { CudaHandle } from "./handle.js";

/**
 * What a CUDA kernel (kernels/<family>.ts), the cuDNN bindings, the layout transposes and the fused-kernel
 * launcher may use of the backend: buffers, the device and its libraries, compiling and launching. The
 * KernelContext implements it; kernels never import the backend class, so the backend can import them.
 */
export interface KernelContext {
  readonly ctx: DeviceContext;
  readonly blas: CublasHandle;
  readonly allocator: CachingAllocator;
  /** Blocks for grid-stride launches: enough to fill every multiprocessor several times. */
  readonly maxBlocks: number;
  /** True while a Session step is being captured into a CUDA graph. */
  readonly capturing: boolean;
  /**
   * Inside a recorded step, a variable update's output may be the variable's own home buffer (the graph then
   * copies nothing home at its end): an alias of `h` when it is a home and nothing holds it beyond its
   * holders at the recording's start and `extraRefs` handles of the caller; else null (a fresh output).
   * Only for elementwise updates, each element read before it is written.
   */
  inPlace(h: CudaHandle, extraRefs: number): CudaHandle | null;
  /** A fresh uninitialised buffer for an op's output. */
  empty(dtype: DType, shape: readonly number[], op: string): CudaHandle;
  write(values: Values, dtype: DType, shape: readonly number[]): Handle;
  alias(handle: Handle, shape?: readonly number[]): Handle;
  dispose(handle: Handle): void;
  /** The values of a host-side input (shape, axes), whichever backend holds it. */
  hostValues(h: Handle): Values;
  /** Whether `type` runs on this device on inputs of these dtypes. */
  canRun(type: string, dtypes: readonly DType[], attrs?: Attrs): boolean;
  /** Function `name` of the module `key`, compiled from `source()` on first use. */
  fn(key: string, name: string, source: () => string, options?: readonly string[]): Ptr;
  /** Grid for a grid-stride loop over n elements with 256-thread blocks. */
  grid(n: number, block?: number): number;
  /** Launches with the arguments written on ctx since the last launch. */
  launch(fn: Ptr, gx: number, bx?: number, gy?: number, shmem?: number): void;
}

/**
 * One op's CUDA kernel. Its run may return null to hand the op to the CPU (a case it does not cover, such
 * as a rare layout).
 */
export interface CudaKernelDef {
  /** Inputs read on the host (shapes, axes): passed as they are, never uploaded. */
  readonly host?: readonly number[];
  /** Whether inputs of these dtypes (and these attributes) are covered; default: device-storable dtypes. */
  readonly supports?: (dtypes: readonly DType[], attrs: Attrs) => boolean;
  /** The part of attrs that `supports` reads, for caching its answer. */
  readonly attrKey?: (attrs: Attrs) => string;
  /** env carries the op's random stream (random ops). */
  readonly run: (b: KernelContext, inputs: CudaHandle[], attrs: Attrs, env: KernelEnv) => Handle[] | null;
  /** The op on many input lists in as few launches as possible (grouped optimizer updates); null: one by one. */
  readonly runGroup?: (b: KernelContext, items: readonly CudaHandle[][], attrs: Attrs) => Handle[][] | null;
}

/** One op type's grouped items in a call of several groups (Backend.runUpdateGroups). */
export interface GroupCall {
  readonly type: string;
  readonly items: readonly CudaHandle[][];
  readonly attrs: Attrs;
}

/** A family's kernels by op type (kernels/index.ts merges the families). */
export type CudaKernelTable = { readonly [K in OpType]?: CudaKernelDef };
