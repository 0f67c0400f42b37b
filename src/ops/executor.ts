import type { Attrs } from "../core/schema/types.js";
import { executingEagerly } from "../core/context.js";
import type { DType, Values } from "../core/dtype.js";
import type { Shape } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import type { OpDef } from "./registry.js";

/**
 * How ops run in each mode. The op library only knows this interface: eager/ provides the executor that runs
 * kernels and records on tapes, graph/ the one that adds nodes to the default graph, and the composition root
 * (setup.ts) registers both. Dispatch picks one per op by the mode in core/context.ts.
 */
export interface OpExecutor {
  /** Runs (eager) or builds (graph) one op; inputs are converted here, attributes are complete. */
  execute(def: OpDef, inputs: readonly TensorLike[], attrs: Attrs, name: string | undefined): Tensor[];
  /** A constant: eagerly on the device TensorFlow 2 puts constants; in a graph a Const node. */
  constant(values: Values, dtype: DType, shape: number[], name: string | undefined): Tensor;
  /** The value of `t` when known without running anything: eager data, a graph Const's value; else undefined. */
  knownValue(t: Tensor): Values | undefined;
  /** Refines a graph tensor's static shape (Tensor.set_shape); nothing to do for an eager tensor. */
  refineShape(t: Tensor, shape: Shape): void;
  /**
   * Graph only: tf.gradients of `ys` with respect to `xs` (GradientTape.gradient uses it for a target traced
   * into a tf.function graph, so that eager/ needs nothing from graph/).
   */
  gradients?(ys: readonly Tensor[], xs: readonly TensorLike[], gradYs: readonly (Tensor | null)[], unconnected: "none" | "zero"): (Tensor | null)[];
}

function notLoaded(): never {
  throw new Error("tsflow: no op executor registered (import tsflow through its index, which wires the layers)");
}
const missing: OpExecutor = { execute: notLoaded, constant: notLoaded, knownValue: notLoaded, refineShape: notLoaded };

let eager: OpExecutor = missing;
let graph: OpExecutor = missing;
let scope: <T>(fn: () => T) => T = notLoaded;

/** Called once by the composition root. `tidy` is eager/memory's tf.tidy (ops free their intermediates with it). */
export function registerExecutors(e: OpExecutor, g: OpExecutor, tidyScope: <T>(fn: () => T) => T): void {
  eager = e;
  graph = g;
  scope = tidyScope;
}

/** The executor of the mode now on: eager unless building a graph. */
export function currentExecutor(): OpExecutor {
  return executingEagerly() ? eager : graph;
}

/** tf.gradients through the graph executor (see OpExecutor.gradients). */
export function symbolicGradients(
  ys: readonly Tensor[],
  xs: readonly TensorLike[],
  gradYs: readonly (Tensor | null)[],
  unconnected: "none" | "zero",
): (Tensor | null)[] {
  if (!graph.gradients) notLoaded();
  return graph.gradients(ys, xs, gradYs, unconnected);
}

/** tf.tidy for the op library: frees the eager intermediates fn makes, except its result. */
export function tidy<T>(fn: () => T): T {
  return scope(fn);
}
