/**
 * Process-wide execution state that every layer reads: which mode is on (eager, or building a graph), the
 * tf.device scope of eager code, the global seed, the ids shared by tensors and variables. It sits in core
 * so that ops, placement and the graph layer reach it without importing eager/ or graph/. Graph-building
 * state (name scopes, control dependencies, graph device scopes) lives on each Graph, as in TensorFlow;
 * eager memory state (tidy scopes, the live-tensor count) in eager/context.ts.
 */

/** What layers below graph/ need from a graph: its seed and op count (random ops derive their seeds). */
export interface GraphSeedState {
  seed: number | null;
  readonly version: number;
  /** A graph a tf.function traces into (function/): TensorFlow's init_scope lifts out of it. */
  readonly isFunctionGraph?: boolean;
}

class Context {
  eagerEnabled = true;
  /** Graphs made default by g.asDefault(); non-empty means graph mode. */
  readonly graphStack: GraphSeedState[] = [];
  /** The global default graph (graph/default_graph.ts sets it when it loads and on reset). */
  defaultGraph: GraphSeedState | null = null;
  /** Ids of eager tensors and variables: the keys a GradientTape uses. */
  nextTensorId = 1;
  /** Device requested by tf.device() while executing eagerly, innermost last ("" resets). */
  readonly eagerDeviceStack: string[] = [];
  globalSeed: number | null = null;
}

export const ctx = new Context();

/** The merged request of the enclosing eager tf.device scopes ("" when none asks for a device). */
export function eagerDeviceRequest(): string {
  const stack = ctx.eagerDeviceStack;
  return stack.length === 0 ? "" : stack[stack.length - 1];
}

export function executingEagerly(): boolean {
  return ctx.eagerEnabled && ctx.graphStack.length === 0;
}

/** The graph ops are added to in graph mode: the innermost asDefault(), else the global default graph. */
export function currentGraph(): GraphSeedState {
  const top = ctx.graphStack[ctx.graphStack.length - 1];
  if (top !== undefined) return top;
  if (ctx.defaultGraph === null) throw new Error("tsflow: graph layer not loaded");
  return ctx.defaultGraph;
}

/**
 * TensorFlow's init_scope, for the graph stack: runs fn outside every tf.function graph being traced (the
 * innermost graphs of the stack that are function graphs), so that what it creates (a Keras weight, an
 * optimizer slot) lives eagerly (or in the enclosing TensorFlow 1 graph) and survives the trace. Outside a
 * trace it just runs fn. Tapes are paused by the callers (eager/tape.ts withoutRecording).
 */
export function liftOutOfFunctionGraphs<T>(fn: () => T): T {
  const stack = ctx.graphStack;
  let n = stack.length;
  while (n > 0 && stack[n - 1].isFunctionGraph === true) n--;
  if (n === stack.length) return fn();
  const lifted = stack.splice(n);
  try {
    return fn();
  } finally {
    stack.push(...lifted);
  }
}

/** Whether ops are being traced into a tf.function graph right now (the innermost default graph is one). */
export function tracingFunction(): boolean {
  const top = ctx.graphStack[ctx.graphStack.length - 1];
  return top !== undefined && top.isFunctionGraph === true;
}
