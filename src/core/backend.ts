import type { DType, Values } from "./dtype.js";
import type { FusedProgram } from "./fused.js";

/** Attribute values an op may carry (TensorFlow's AttrValue, in JS form). */
export type AttrValue =
  | number | string | boolean | null | bigint
  | readonly number[] | readonly string[] | readonly (number | null)[]
  | Values | { readonly [k: string]: AttrValue };
export type Attrs = { readonly [k: string]: AttrValue };

/**
 * A buffer on some device. Its contents are only reachable through the backend that made it, because a
 * GPU's memory is not the host's: the front end never touches `Handle` internals.
 */
export interface Handle {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly backend: Backend;
}

/** A stream of random bits for one execution of a random op (seeded as TensorFlow seeds ops). */
export interface RandomSource {
  nextFloat(): number;
  nextUint32(): number;
}

export interface KernelEnv {
  rng?: RandomSource;
}

/**
 * The seam every device implements. Small on purpose: placement, graphs, autodiff and the public API live
 * above it; a backend only stores buffers and runs kernels on them. Work may be asynchronous: `readSync`
 * and `synchronize` are the only points where the host waits.
 */
export interface Backend {
  readonly name: string;
  readonly deviceType: "CPU" | "GPU";
  readonly deviceIndex: number;
  /** Copies host values to the device. */
  write(values: Values, dtype: DType, shape: readonly number[]): Handle;
  /** Copies device values to the host, waiting for pending work. */
  readSync(h: Handle): Values;
  read(h: Handle): Promise<Values>;
  /** A second handle on the same storage, with possibly another shape of the same size (no copy). */
  alias(h: Handle, shape?: readonly number[]): Handle;
  /** Drops one reference; storage is released when no handle refers to it. */
  dispose(h: Handle): void;
  hasKernel(type: string): boolean;
  runKernel(type: string, inputs: readonly Handle[], attrs: Attrs, env: KernelEnv): Handle[];
  /** Optional: `type` on several input lists in fewer launches (grouped optimizer updates); null: one by one. */
  runKernelGroup?(type: string, items: readonly (readonly Handle[])[], attrs: Attrs): Handle[][] | null;
  /**
   * Optional, with runFused: whether a fused program may contain `type` on operands of `inDType` giving
   * `outDType` (a Session's fusion pass asks before grouping ops placed here).
   */
  canFuse?(type: string, inDType: DType, outDType: DType): boolean;
  /**
   * Optional: a fused elementwise program (core/fused.ts) as one kernel over `inputs` (this backend's),
   * giving a tensor of `shape` (fusedShape of the inputs). null: not this time (the caller runs the ops one by one).
   */
  runFused?(program: FusedProgram, inputs: readonly Handle[], shape: readonly number[]): Handle | null;
  /**
   * Optional: a 2-D product op(a)·op(b) plus a 1-D bias along its last dim, then ReLU when `relu`, in one
   * call (a Session's epilogue pass, runtime/epilogue.ts, asks for it). null: not here (the caller runs the
   * original ops one by one).
   */
  matmulEpilogue?(a: Handle, b: Handle, bias: Handle, transposeA: boolean, transposeB: boolean, relu: boolean): Handle | null;
  synchronize(): Promise<void>;
  memory(): { numBuffers: number; numBytes: number };
}
