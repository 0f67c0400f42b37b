/**
 * Where an optimizer's or metric's state is created (TensorFlow's ops.init_scope): variables that belong to
 * eager code (the usual TF2 case, also while a tf.function is being traced) are created eagerly through the
 * function module's initScope, outside any trace and unrecorded by tapes; those of a TF1 tf.Graph in that
 * graph, free of the control dependencies open around the call.
 */
import { initScope } from "../../function/index.js";
import type { Graph } from "../../graph/graph.js";

/** Runs `fn` where state for `home` (null: eager variables; a Graph: that graph's) is made. */
export function inStateScope<T>(home: Graph | null, fn: () => T): T {
  if (home !== null) return home.asDefault(() => home.controlDependencies(null, fn));
  return initScope(fn);
}
