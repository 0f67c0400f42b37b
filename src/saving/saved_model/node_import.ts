/**
 * One NodeDef of a FunctionDef body as a tsflow graph node, through the GraphDef importer
 * (graph/import_graph_def.ts: TensorFlow op types and aliases, attrs, checks): the node is imported alone,
 * its inputs mapped to the tensors already built. Used for every op but variable handles and function calls
 * (see function_import.ts).
 */
import { create } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "../../core/errors.js";
import { getDefaultGraph } from "../../graph/default_graph.js";
import { FuncGraph } from "../../graph/func_graph.js";
import { importGraphDefInto } from "../../graph/import_graph_def.js";
import type { Operation } from "../../graph/operation.js";
import type { SymbolicTensor } from "../../graph/tensor.js";
import { IMPORT_ALIASES } from "../../graph/tf_op_signatures.js";
import { getOpDef } from "../../ops/registry.js";
import { GraphDefSchema } from "../../proto/tensorflow/core/framework/graph_pb.js";
import type { NodeDef } from "../../proto/tensorflow/core/framework/node_def_pb.js";
import { tfOutputArgs } from "./op_outputs.js";

/** Builds `node` on `inputs` (its data inputs, resolved) in the default graph; returns its outputs. */
export function importNode(node: NodeDef, inputs: readonly SymbolicTensor[], what: string): SymbolicTensor[] {
  const g = getDefaultGraph();
  // Inside a replayed cond branch or loop body (a FuncGraph), a tensor of the enclosing graph is captured.
  const local = (t: SymbolicTensor) => (t.graph !== g && g instanceof FuncGraph ? g.capture(t) : t);
  const inputMap = new Map<string, SymbolicTensor>(inputs.map((t, i) => [`__input_${i}:0`, local(t)]));
  const alone = create(GraphDefSchema, { node: [{ ...node, input: inputs.map((_, i) => `__input_${i}:0`) }] });
  try {
    const [op] = importGraphDefInto(g, alone, { inputMap, returnElements: [node.name], name: "" }) as Operation[];
    return op.outputs;
  } catch (e) {
    if (e instanceof Error) e.message = `${what}: ${e.message}`;
    throw e;
  }
}

/** The flat output index of `arg:idx` (a FunctionDef input "node:arg:idx") of a node of type `op`. */
export function outputIndex(op: string, node: NodeDef, arg: string, idx: number, what: string): number {
  const def = getOpDef(IMPORT_ALIASES[op]?.type ?? op);
  if (def === undefined) return idx;
  const n = Number(node.attr[`num_${arg}`]?.value.value ?? 0);
  const args = tfOutputArgs(def, Math.max(n, 1));
  if (args.length <= 1) return idx;
  let offset = 0;
  for (const [name, count] of args) {
    if (name === arg) return offset + idx;
    offset += count;
  }
  throw new InvalidArgumentError(`${what}: node ${node.name} (${op}) has no output named ${arg}`);
}
