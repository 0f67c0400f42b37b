/**
 * FunctionDef -> tsflow graph: a function of a SavedModel's library is replayed, node by node, into the
 * graph being built (a tf.function trace when a loaded function is called). TensorFlow's resource
 * variables become tsflow variables: a DT_RESOURCE argument is bound to a restored tf.Variable, its
 * ReadVariableOp is the variable's traced read and its AssignVariableOp the variable's assign (so the
 * trace's variable capture and automatic control dependencies apply); StatefulPartitionedCall and
 * PartitionedCall are inlined (their function replayed on their inputs). Every other node goes through
 * node_import.ts. Control inputs are not replayed: the trace orders variable reads and writes itself and
 * runs every stateful op.
 */
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import { getDefaultGraph } from "../../graph/default_graph.js";
import { SymbolicTensor } from "../../graph/tensor.js";
import { constant } from "../../ops/creation.js";
import { cond, whileLoop } from "../../ops/control_flow.js";
import { shapeFromProto } from "../../io/tensor_proto.js";
import type { FunctionDef } from "../../proto/tensorflow/core/framework/function_pb.js";
import type { NodeDef } from "../../proto/tensorflow/core/framework/node_def_pb.js";
import { Variable } from "../../variables/variable.js";
import { importNode, outputIndex } from "./node_import.js";

/** A value flowing through a replayed function: a tensor, or a variable standing for a resource handle. */
export type FunctionValue = SymbolicTensor | Variable;

const CALL_OPS = new Set(["StatefulPartitionedCall", "PartitionedCall"]);
/** Resource ops with no effect worth replaying (they only tune TensorFlow's copy-on-read). */
const RESOURCE_NO_OPS = new Set(["DisableCopyOnRead", "NoOp"]);

/**
 * Replays function `name` of `library` on `inputs` (one per input arg, in order) in the default graph and
 * returns its outputs in the order of its output args. `depth` guards against recursive functions.
 */
export function callFunctionDef(library: ReadonlyMap<string, FunctionDef>, name: string, inputs: readonly FunctionValue[], depth = 0): FunctionValue[] {
  const fdef = library.get(name);
  if (fdef === undefined) throw new InvalidArgumentError(`Function ${name} is not in the SavedModel's function library`);
  if (depth > 64) throw new InvalidArgumentError(`Function ${name}: calls nested more than 64 deep (a recursive function?)`);
  const sig = fdef.signature!;
  if (inputs.length !== sig.inputArg.length) {
    throw new InvalidArgumentError(
      `Function ${name} takes ${sig.inputArg.length} input(s) (${sig.inputArg.map((a) => a.name).join(", ")}), got ${inputs.length}`,
    );
  }
  const args = new Map<string, FunctionValue>(sig.inputArg.map((a, i) => [a.name, inputs[i]]));
  const nodes = new Map<string, NodeDef>(fdef.nodeDef.map((n) => [n.name, n]));
  const built = new Map<string, FunctionValue[] | null>();
  const building = new Set<string>();

  const lookup = (ref: string, user: string): FunctionValue => {
    const parts = ref.split(":");
    if (parts.length === 1) {
      const a = args.get(ref);
      if (a === undefined) throw new InvalidArgumentError(`Function ${name}: node ${user} reads ${ref}, which is no argument of the function`);
      return a;
    }
    const [nodeName, arg, idxStr] = parts;
    const node = nodes.get(nodeName);
    if (node === undefined) throw new InvalidArgumentError(`Function ${name}: node ${user} reads ${ref}, but there is no node ${nodeName}`);
    const outs = build(node);
    if (outs === null) throw new InvalidArgumentError(`Function ${name}: node ${user} reads ${ref}, but ${nodeName} (${node.op}) has no outputs`);
    const idx = CALL_OPS.has(node.op) ? Number(idxStr) : outputIndex(node.op, node, arg, Number(idxStr ?? 0), `Function ${name}`);
    const v = outs[idx];
    if (v === undefined) throw new InvalidArgumentError(`Function ${name}: node ${user} reads ${ref}, but ${nodeName} has ${outs.length} output(s)`);
    return v;
  };

  const build = (node: NodeDef): FunctionValue[] | null => {
    const done = built.get(node.name);
    if (done !== undefined) return done;
    if (building.has(node.name)) throw new InvalidArgumentError(`Function ${name}: node ${node.name} is part of a cycle`);
    building.add(node.name);
    const dataInputs = node.input.filter((i) => !i.startsWith("^")).map((i) => lookup(i, node.name));
    // Control inputs are built (an assignment only a NoOp waits for must still run) but not wired.
    for (const c of node.input)
      if (c.startsWith("^")) {
        const dep = nodes.get(c.slice(1));
        if (dep) build(dep);
      }
    const outs = replayNode(library, node, dataInputs, name, depth);
    built.set(node.name, outs);
    building.delete(node.name);
    return outs;
  };

  for (const node of fdef.nodeDef) build(node);
  return sig.outputArg.map((a) => {
    const ref = fdef.ret[a.name];
    if (ref === undefined) throw new InvalidArgumentError(`Function ${name}: output ${a.name} has no ret entry`);
    return lookup(ref, `(output ${a.name})`);
  });
}

/**
 * A GraphDef node whose func attrs name functions of the GraphDef's library (If, While, their Stateless forms,
 * calls), replayed on its inputs: graph/import_graph_def.ts's FunctionNodeImporter, registered by setup.ts.
 */
export function replayGraphDefNode(library: ReadonlyMap<string, FunctionDef>, node: NodeDef, inputs: readonly SymbolicTensor[]): SymbolicTensor[] {
  const fn = `GraphDef library (node ${node.name})`;
  return (replayNode(library, node, [...inputs], fn, 0) ?? []).map((v) => tensorInput(v, node, fn));
}

function tensorInput(v: FunctionValue, node: NodeDef, fn: string): SymbolicTensor {
  if (v instanceof SymbolicTensor) return v;
  // A variable given where a tensor is expected: TensorFlow would have read it first; read it here.
  const t = v.value();
  if (!(t instanceof SymbolicTensor)) throw new InvalidArgumentError(`Function ${fn}: node ${node.name} got a variable outside a graph`);
  return t;
}

function variableInput(v: FunctionValue, node: NodeDef, fn: string): Variable {
  if (v instanceof Variable) return v;
  throw new UnimplementedError(
    `Function ${fn}: node ${node.name} (${node.op}) takes a resource handle that is not a restored variable (${v.name}); only variables are supported as resources`,
  );
}

function replayNode(library: ReadonlyMap<string, FunctionDef>, node: NodeDef, inputs: FunctionValue[], fn: string, depth: number): FunctionValue[] | null {
  switch (node.op) {
    case "ReadVariableOp":
      return [tensorInput(variableInput(inputs[0], node, fn).value() as SymbolicTensor, node, fn)];
    case "AssignVariableOp":
      variableInput(inputs[0], node, fn).assign(tensorInput(inputs[1], node, fn));
      return null;
    case "AssignAddVariableOp":
      variableInput(inputs[0], node, fn).assignAdd(tensorInput(inputs[1], node, fn));
      return null;
    case "AssignSubVariableOp":
      variableInput(inputs[0], node, fn).assignSub(tensorInput(inputs[1], node, fn));
      return null;
    case "VarIsInitializedOp":
      variableInput(inputs[0], node, fn);
      return [constant(true) as SymbolicTensor];
  }
  if (RESOURCE_NO_OPS.has(node.op)) return null;
  if (node.op === "If" || node.op === "StatelessIf") return replayIf(library, node, inputs, fn, depth);
  if (node.op === "While" || node.op === "StatelessWhile") return replayWhile(library, node, inputs, fn, depth);
  if (CALL_OPS.has(node.op)) {
    const f = node.attr.f?.value;
    if (f?.case !== "func") throw new InvalidArgumentError(`Function ${fn}: node ${node.name} (${node.op}) has no function attr f`);
    const g = getDefaultGraph();
    return g.nameScope(node.name, () => callFunctionDef(library, f.value.name, inputs, depth + 1));
  }
  if (inputs.some((v) => v instanceof Variable)) {
    throw new UnimplementedError(
      `Function ${fn}: node ${node.name} (${node.op}) takes a resource handle; tsflow replays only variable reads, assigns and calls on resources`,
    );
  }
  return importNode(node, inputs as SymbolicTensor[], `Function ${fn}`);
}

function funcAttr(node: NodeDef, attr: string, fn: string): string {
  const f = node.attr[attr]?.value;
  if (f?.case !== "func") throw new InvalidArgumentError(`Function ${fn}: node ${node.name} (${node.op}) has no function attr ${attr}`);
  return f.value.name;
}

/** A branch's or loop body's output: a tensor (a variable returned as a resource is read). */
function tensorOutput(v: FunctionValue, node: NodeDef, fn: string): SymbolicTensor {
  return tensorInput(v, node, fn);
}

/** If / StatelessIf (cond_v2): tf.cond whose branches replay the then_branch / else_branch FunctionDefs on the inputs. */
function replayIf(library: ReadonlyMap<string, FunctionDef>, node: NodeDef, inputs: FunctionValue[], fn: string, depth: number): SymbolicTensor[] {
  const [pred, ...args] = inputs;
  const branch = (attr: string) => {
    const f = funcAttr(node, attr, fn);
    return () => callFunctionDef(library, f, args, depth + 1).map((v) => tensorOutput(v, node, fn));
  };
  const out = cond(tensorInput(pred, node, fn), branch("then_branch"), branch("else_branch"), { name: node.name });
  return Array.isArray(out) ? (out as SymbolicTensor[]) : [out as SymbolicTensor];
}

/**
 * While / StatelessWhile (while_v2): tf.whileLoop whose cond and body replay the FunctionDefs. Variables
 * (resource inputs, which a while_v2 body returns unchanged) are passed to every call as they are and are not
 * loop variables; the output_shapes attr gives the loop variables' shape invariants.
 */
function replayWhile(library: ReadonlyMap<string, FunctionDef>, node: NodeDef, inputs: FunctionValue[], fn: string, depth: number): FunctionValue[] {
  const condName = funcAttr(node, "cond", fn);
  const bodyName = funcAttr(node, "body", fn);
  const isVar = inputs.map((v) => v instanceof Variable);
  const loopVars = inputs.filter((_, i) => !isVar[i]) as SymbolicTensor[];
  const withVariables = (ts: readonly SymbolicTensor[]): FunctionValue[] => {
    let k = 0;
    return inputs.map((v, i) => (isVar[i] ? v : ts[k++]));
  };
  const shapesAttr = node.attr.output_shapes?.value;
  const shapes = shapesAttr?.case === "list" ? shapesAttr.value.shape.map((p) => shapeFromProto(p, `Function ${fn}: node ${node.name}`)) : [];
  const shapeInvariants = shapes.length === inputs.length ? shapes.filter((_, i) => !isVar[i]) : undefined;
  const condFn = (...ts: SymbolicTensor[]) => tensorOutput(callFunctionDef(library, condName, withVariables(ts), depth + 1)[0], node, fn);
  const bodyFn = (...ts: SymbolicTensor[]) =>
    callFunctionDef(library, bodyName, withVariables(ts), depth + 1)
      .filter((_, i) => !isVar[i])
      .map((v) => tensorOutput(v, node, fn));
  const out = whileLoop(condFn, bodyFn, loopVars, { shapeInvariants, name: node.name }) as SymbolicTensor[];
  return withVariables(out);
}
