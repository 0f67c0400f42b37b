import type { DType, Values } from "./dtype.js";
import type { FusedProgram } from "./fused.js";
import type { Attrs } from "./schema/types.js";

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
  /**
   * An optimizer update's caller: how many references to each variable input (variable, slot) the caller's
   * own bookkeeping holds (the variable's value, and the caller's alias of it). A kernel may write a variable
   * input's buffer in place when no more references than these hold it; absent: never.
   */
  ownedRefs?: number;
}

/** One op type's items of a grouped call (Backend.runKernelGroup's arguments), as Backend.runUpdateGroups takes several. */
export interface UpdateGroupCall {
  readonly type: string;
  readonly items: readonly (readonly Handle[])[];
  readonly attrs: Attrs;
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
  /**
   * Optional (backends whose buffers are host memory): the host array behind `h`, without a copy, or null.
   * "read": only to read during the call (the buffer is not marked as seen outside tsflow, so it may still be
   * recycled once released). "overwrite": to write into in place, given only when nothing else shares the
   * storage (no other handle, no array handed to a user), so the write changes `h`'s value and nothing else.
   * Checkpoints save from and restore into variables' buffers through it.
   */
  hostValues?(h: Handle, use: "read" | "overwrite"): Values | null;
  /** A second handle on the same storage, with possibly another shape of the same size (no copy). */
  alias(h: Handle, shape?: readonly number[]): Handle;
  /** Drops one reference; storage is released when no handle refers to it. */
  dispose(h: Handle): void;
  hasKernel(type: string): boolean;
  runKernel(type: string, inputs: readonly Handle[], attrs: Attrs, env: KernelEnv): Handle[];
  /** Optional: `type` on several input lists in fewer launches (grouped optimizer updates); null: one by one. */
  runKernelGroup?(type: string, items: readonly (readonly Handle[])[], attrs: Attrs, env?: KernelEnv): Handle[][] | null;
  /**
   * Optional: several runKernelGroup calls of different op types (an optimizer's updates and a step's counter
   * additions) in fewer launches than one per call; the outputs per call, or null (the caller makes the calls).
   */
  runUpdateGroups?(calls: readonly UpdateGroupCall[]): Handle[][][] | null;
  /**
   * Optional: whether optimizer update `type` (ApplyGradientDescent, ApplyMomentum, ApplyAdam) runs on inputs
   * of these dtypes where the op table's rule (one dtype for all) does not hold: a float32 variable's update
   * reading a float16 or bfloat16 gradient, each element widened exactly. A Session's cast-folding pass
   * (runtime/cast_updates.ts) asks before it has an update read the gradient its Cast would have widened.
   */
  takesNarrowGradient?(type: string, dtypes: readonly DType[]): boolean;
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
  /**
   * Optional: a Conv2D (its attrs; NHWC) plus a 1-D bias along the channels, then ReLU when `relu`, in one
   * call (the same epilogue pass). null: not here (the caller runs the original ops one by one).
   */
  conv2dEpilogue?(x: Handle, filter: Handle, bias: Handle, attrs: Attrs, relu: boolean): Handle | null;
  synchronize(): Promise<void>;
  memory(): { numBuffers: number; numBytes: number };
  /**
   * Optional capability: recording a whole Session step once and replaying it with one launch (CUDA graphs:
   * backends/cuda/capture.ts). The executor asks for it on the backend a plan is placed on.
   */
  readonly stepCapture?: StepCapture;
  /**
   * Optional capability (GPUs): device-side times of queued work, for step stats and the profiler. Hosts time
   * a CPU's kernels with the clock; a GPU's kernels run later than they are queued, so their times come from
   * marks on the device's queue (CUDA events).
   */
  readonly deviceTimer?: DeviceTimer;
}

/** A mark on a device's work queue (opaque: the backend's event). */
export interface DeviceMark {
  readonly deviceMark: unknown;
}

/** Times of work on a device's queue, from marks recorded on it between the work (see Backend.deviceTimer). */
export interface DeviceTimer {
  /** The device entry of kernel times in step stats ("<device>/stream:all", as TensorFlow's GPU tracer names it). */
  readonly streamName: string;
  /** Waits for the queued work, then marks the queue: the mark's device time is `hostMicros` (epoch microseconds). */
  anchor(): { mark: DeviceMark; hostMicros: number };
  /** Marks the queue after the work queued so far. */
  mark(): DeviceMark;
  /** Device microseconds from `from` to `to`, waiting until the device has passed `to`. */
  elapsedMicros(from: DeviceMark, to: DeviceMark): number;
  release(m: DeviceMark): void;
}

/**
 * Where a captured step finds the session's variable values (the runtime's resource store): it reads them,
 * and replaces a value when it gives a variable a buffer of its own. `set` does not release the previous
 * handle: the capture decides what happens to it.
 */
export interface CaptureVariables<K> {
  get(key: K): Handle | undefined;
  set(key: K, value: Handle): void;
}

/**
 * One uncaptured-form run of a step, done by the executor while the backend records: the fetched values (the
 * caller owns them), the new variable values the step staged, and `release`, which frees the step's own
 * buffers (slots, staged values) while the recording still runs.
 */
export interface StepRun<K> {
  readonly fetched: readonly Handle[];
  readonly written: ReadonlyMap<K, Handle>;
  release(): void;
}

/** A step a StepCapture recorded: opaque to the runtime, which replays and releases it through the capture. */
export interface CapturedStep {
  readonly backend: Backend;
}

/**
 * Recording Session steps for replay (an optional backend capability). The executor decides which steps may
 * be recorded (all on this backend, nothing random, the same signature run before) and supplies the run;
 * the capability owns what replay needs: buffers at fixed addresses for variables ("homes"), feeds and
 * fetches.
 */
export interface StepCapture {
  /** Whether steps are recorded now (the backend's setting and the device's support). */
  readonly enabled: boolean;
  /**
   * Records one run of a step and runs it. `variables` are the step's variables (named in errors), `feeds`
   * its fed values in order; `run` executes the step with the feeds it is given. Returns the step and its
   * fetched values (`feedNames` name the feeds' buffers in errors); "retry" when a variable has no value yet (run it uncaptured this time); null when the
   * step cannot be recorded (run it uncaptured from now on).
   */
  capture<K extends { readonly name: string }>(
    variables: readonly K[],
    feeds: readonly Handle[],
    feedNames: readonly string[],
    store: CaptureVariables<K>,
    run: (feeds: readonly Handle[]) => StepRun<K>,
  ): { step: CapturedStep; fetched: Handle[] } | null | "retry";
  /** Runs a recorded step again on new feeds (same dtypes and shapes); returns the fetched values. */
  replay<K extends { readonly name: string }>(step: CapturedStep, feeds: readonly Handle[], store: CaptureVariables<K>): Handle[];
  /**
   * Optional (the profiler's): replays a recorded step with a mark on the device's queue between consecutive
   * nodes' work. The first call records a timed variant of the step by calling `run`, which calls `mark`
   * before the step's first node and after each node; later calls replay that variant (the plain one stays
   * for untraced replays; `release` frees both). Returns the fetched values and one fresh mark per `mark`
   * call, in order (the caller releases them through the backend's DeviceTimer), or null marks when the
   * variant cannot be recorded (then the plain step ran).
   */
  replayTimed?<K extends { readonly name: string }>(
    step: CapturedStep,
    feeds: readonly Handle[],
    store: CaptureVariables<K>,
    run: (feeds: readonly Handle[], mark: () => void) => StepRun<K>,
  ): { fetched: Handle[]; marks: DeviceMark[] | null };
  /** Frees what a recorded step holds (its graph, its buffers). */
  release(step: CapturedStep): void;
}
