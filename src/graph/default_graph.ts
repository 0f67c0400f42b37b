import { FailedPreconditionError } from "../core/errors.js";
import { ctx, currentGraph } from "../core/context.js";
import { Graph } from "./graph.js";

// The global default graph lives in core's context, where layers below this one find its seed.
ctx.defaultGraph = new Graph();

/** The graph ops are added to in graph mode: the innermost asDefault(), else the global default graph. */
export function getDefaultGraph(): Graph {
  return currentGraph() as Graph;
}

export function resetDefaultGraph(): void {
  if (ctx.graphStack.length > 0) {
    throw new FailedPreconditionError(
      "Do not use tf.resetDefaultGraph() to clear nested graphs. If you need a cleared graph, exit the nesting and create a new graph.",
    );
  }
  ctx.defaultGraph = new Graph();
}
