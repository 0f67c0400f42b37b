/**
 * Where an optimizer's or metric's state is created (TensorFlow's ops.init_scope): variables that belong to
 * eager code (the usual TF2 case, also while a tf.function is being traced) are created eagerly, outside any
 * graph being built; those of a TF1 tf.Graph in that graph, free of the control dependencies open around the
 * call. Until the function helper's initScope (src/function/) is there, leaving a trace is done here.
 */
import { ctx, executingEagerly } from "../../core/context.js";
import type { Graph } from "../../graph/graph.js";

/** Runs `fn` where state for `home` (null: eager variables; a Graph: that graph's) is made. */
export function inStateScope<T>(home: Graph | null, fn: () => T): T {
  if (home !== null) return home.asDefault(() => home.controlDependencies(null, fn));
  if (executingEagerly()) return fn();
  const saved = ctx.graphStack.splice(0, ctx.graphStack.length);
  try {
    return fn();
  } finally {
    ctx.graphStack.push(...saved);
  }
}
