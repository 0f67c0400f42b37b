import { FailedPreconditionError } from "../core/errors.js";
import { ctx } from "../eager/context.js";
import { Graph } from "./graph.js";

let globalDefault = new Graph();

/** The graph ops are added to in graph mode: the innermost asDefault(), else the global default graph. */
export function getDefaultGraph(): Graph {
  const top = ctx.graphStack[ctx.graphStack.length - 1];
  return (top as Graph | undefined) ?? globalDefault;
}

export function resetDefaultGraph(): void {
  if (ctx.graphStack.length > 0) {
    throw new FailedPreconditionError("Do not use tf.resetDefaultGraph() to clear nested graphs. If you need a cleared graph, exit the nesting and create a new graph.");
  }
  globalDefault = new Graph();
}
