import { fromBinary } from "@bufbuild/protobuf";
import type { DType } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { InvalidArgumentError, NotFoundError, UnimplementedError } from "../core/errors.js";
import type { Attrs, AttrValue, OpSchema } from "../core/schema/types.js";
import { SUMMARY_SPEC_ATTR, summaryWriterFromSpec } from "../core/summary_writer_attr.js";
import { dtypeFromProto } from "../io/dtype_proto.js";
import { tensorFromProto } from "../io/tensor_proto.js";
import type { AttrValue as AttrValueProto } from "../proto/tensorflow/core/framework/attr_value_pb.js";
import { type GraphDef, GraphDefSchema } from "../proto/tensorflow/core/framework/graph_pb.js";
import type { FunctionDef } from "../proto/tensorflow/core/framework/function_pb.js";
import type { NodeDef } from "../proto/tensorflow/core/framework/node_def_pb.js";
import { getOpDef, type OpDef } from "../ops/registry.js";
import { attrFromProto } from "./attr_proto.js";
import { buildNode } from "./build.js";
import type { Graph } from "./graph.js";
import type { Operation } from "./operation.js";
import { SymbolicTensor } from "./tensor.js";
import { IGNORED_TF_ATTRS, IMPORT_ALIASES, inputTypeAttrs } from "./tf_op_signatures.js";

/**
 * tf.import_graph_def: every node of a GraphDef becomes an op of the target graph through the op table,
 * under a fresh name scope. Everything that can be checked without building is checked first (op types
 * tsflow lacks, attrs the op does not declare, inputs that name no node, cycles, unused input_map keys), so
 * that a bad GraphDef leaves the graph as it was; shape inference then runs as each node is built.
 */

export interface ImportOptions {
  /** "node:i" (or "node", output 0) -> a tensor of the target graph that replaces that output. */
  readonly inputMap?: { readonly [name: string]: Tensor } | Map<string, Tensor>;
  /** "node:i" for a tensor, "node" for an operation, looked up after the import, in the GraphDef's names. */
  readonly returnElements?: readonly string[];
  /** The name scope ("import" when absent; "" imports the names unchanged). */
  readonly name?: string;
}

interface InputRef {
  readonly node: string;
  readonly index: number;
  readonly control: boolean;
  readonly text: string;
}

/**
 * Builds a node whose func attrs name functions of the GraphDef's library (If / While and their Stateless
 * forms, StatefulPartitionedCall / PartitionedCall) by replaying those FunctionDefs on its inputs; returns the
 * node's outputs. The replay lives above this layer (saving/saved_model/function_import.ts): the composition
 * root registers it.
 */
export type FunctionNodeImporter = (library: ReadonlyMap<string, FunctionDef>, node: NodeDef, inputs: readonly SymbolicTensor[]) => SymbolicTensor[];
let functionNodeImporter: FunctionNodeImporter | null = null;
export function registerFunctionNodeImporter(f: FunctionNodeImporter): void {
  functionNodeImporter = f;
}

/** Ops whose attr `f` names a function (they have no row in the op table). */
const CALL_OPS = new Set(["StatefulPartitionedCall", "PartitionedCall"]);

/** What a built node gives later nodes: its outputs, and the op control inputs wait for. */
interface BuiltNode {
  readonly op: Operation;
  readonly outputs: readonly SymbolicTensor[];
}

interface PlannedNode {
  readonly def: NodeDef;
  /** A node replayed from the library's functions (FunctionNodeImporter) rather than built from a row. */
  readonly replay?: boolean;
  readonly op: OpDef;
  readonly attrs: Attrs;
  /** The NodeDef's type attrs bound by inputs (T, Tidx, ...), checked against the inputs' dtypes once built. */
  readonly boundTypes: ReadonlyMap<string, DType>;
  readonly inputs: readonly InputRef[];
}

/** A GraphDef from its binary form. */
export function parseGraphDefBinary(bytes: Uint8Array, what = "GraphDef"): GraphDef {
  try {
    return fromBinary(GraphDefSchema, bytes);
  } catch (e) {
    throw new InvalidArgumentError(`${what}: not a binary GraphDef protocol buffer (${(e as Error).message})`);
  }
}

export function importGraphDefInto(g: Graph, gd: GraphDef, opts: ImportOptions = {}): (SymbolicTensor | Operation)[] | undefined {
  const inputMap = new Map<string, Tensor>(opts.inputMap instanceof Map ? opts.inputMap : Object.entries(opts.inputMap ?? {}));
  const mapped = new Map<string, SymbolicTensor>();
  for (const [k, t] of inputMap) {
    if (!(t instanceof SymbolicTensor) || t.graph !== g) {
      throw new InvalidArgumentError(`importGraphDef: inputMap['${k}'] must be a tensor of the graph being imported into`);
    }
    const ref = parseInput(k, "inputMap");
    if (ref.control) throw new InvalidArgumentError(`importGraphDef: inputMap key '${k}': control inputs cannot be mapped`);
    mapped.set(`${ref.node}:${ref.index}`, t);
  }

  const plan = planImport(gd, mapped);
  const unusedKeys = [...mapped.keys()].filter((k) => !plan.usedMapKeys.has(k));
  if (unusedKeys.length > 0) {
    throw new InvalidArgumentError(`importGraphDef: attempted to map inputs that were not found in the GraphDef: [${unusedKeys.join(", ")}]`);
  }
  for (const r of opts.returnElements ?? []) {
    const ref = parseInput(r, "returnElements");
    if (!plan.byName.has(ref.node)) throw new InvalidArgumentError(`importGraphDef: returnElements: '${r}' names no node of the GraphDef`);
  }

  const built = new Map<string, BuiltNode>();
  const scopeName = opts.name ?? "import";
  g.nameScope(scopeName === "" ? null : scopeName, () => {
    for (const p of plan.order) built.set(p.def.name, buildPlanned(g, p, built, mapped, plan.library));
  });

  if (opts.returnElements === undefined) return undefined;
  return opts.returnElements.map((r) => {
    const ref = parseInput(r, "returnElements");
    const node = built.get(ref.node)!;
    if (!r.includes(":")) return node.op;
    const t = node.outputs[ref.index];
    if (!t) throw new InvalidArgumentError(`importGraphDef: returnElements: '${r}': node ${ref.node} has ${node.outputs.length} outputs`);
    return t;
  });
}

function parseInput(s: string, where: string): InputRef {
  if (s.startsWith("^")) return { node: s.slice(1), index: -1, control: true, text: s };
  const m = /^(.*):(\d+)$/.exec(s);
  if (m) return { node: m[1], index: Number(m[2]), control: false, text: s };
  if (s === "") throw new InvalidArgumentError(`importGraphDef: ${where}: an empty tensor name`);
  return { node: s, index: 0, control: false, text: s };
}

/** Checks every node and orders them so that each comes after its inputs (the GraphDef's order may not). */
function planImport(gd: GraphDef, mapped: ReadonlyMap<string, SymbolicTensor>) {
  const byName = new Map<string, NodeDef>();
  for (const n of gd.node) {
    if (n.name === "") throw new InvalidArgumentError("importGraphDef: a node has no name");
    if (byName.has(n.name)) throw new InvalidArgumentError(`importGraphDef: the GraphDef has two nodes named '${n.name}'`);
    byName.set(n.name, n);
  }
  const library = new Map<string, FunctionDef>((gd.library?.function ?? []).map((f) => [f.signature?.name ?? "", f]));
  const usedMapKeys = new Set<string>();
  const planned = new Map<string, PlannedNode>();
  for (const n of gd.node) {
    const inputs = n.input.map((s) => parseInput(s, `node ${n.name}`));
    let seenControl = false;
    for (const r of inputs) {
      if (r.control) seenControl = true;
      else if (seenControl) throw new InvalidArgumentError(`importGraphDef: node ${n.name}: data input '${r.text}' comes after a control input`);
      const key = `${r.node}:${r.index}`;
      if (!r.control && mapped.has(key)) {
        usedMapKeys.add(key);
        continue;
      }
      if (!byName.has(r.node)) {
        throw new InvalidArgumentError(`importGraphDef: node '${n.name}' (${n.op}) has input '${r.text}', but the GraphDef has no node '${r.node}'`);
      }
    }
    planned.set(n.name, planNode(n, inputs, library));
  }
  return { order: topologicalOrder(gd.node, planned, mapped), byName, usedMapKeys, library };
}

function planNode(n: NodeDef, inputs: readonly InputRef[], library: ReadonlyMap<string, FunctionDef>): PlannedNode {
  const alias = IMPORT_ALIASES[n.op];
  const type = alias?.type ?? n.op;
  const op = getOpDef(type);
  const nodeStr = `node '${n.name}'`;
  const hostWriter = n.op === "WriteSummary";
  if (CALL_OPS.has(n.op) || (op && !hostWriter && (op.attrs ?? []).some((d) => d.type === "func"))) return planReplay(n, inputs, library, nodeStr);
  if (!op) {
    throw new NotFoundError(`importGraphDef: Op type not registered '${n.op}' in tsflow (used by ${nodeStr}); tsflow cannot run this GraphDef`);
  }
  const what = `importGraphDef: ${nodeStr} (${n.op})`;
  const nData = inputs.filter((r) => !r.control).length;
  const declared = new Map((op.attrs ?? []).map((d) => [d.name, d]));
  const { typeAttrs, numberAttr } = inputTypeAttrs(op, nData);
  const bound = new Set(typeAttrs.filter((x): x is string => x !== null));
  const ignored = new Set(IGNORED_TF_ATTRS[type] ?? []);
  const attrs: { [k: string]: AttrValue } = {};
  const boundTypes = new Map<string, DType>();
  for (const [tfName, value] of Object.entries(n.attr)) {
    const name = alias?.attrs?.[tfName] ?? tfName;
    // Attrs whose names start with "_" are TensorFlow's internal annotations (_output_shapes, _class, ...).
    if (name.startsWith("_") || ignored.has(name)) continue;
    if (type === "Const" && name === "value") continue;
    const d = declared.get(name);
    if (d) {
      attrs[name] = attrFromProto(d.type, value, `${what} attr '${name}'`);
    } else if (bound.has(name)) {
      if (value.value.case !== "type") throw new InvalidArgumentError(`${what}: attr '${name}' must be a type`);
      boundTypes.set(name, dtypeFromProto(value.value.value, `${what} attr '${name}'`));
    } else if (numberAttr?.name === name) {
      if (value.value.case !== "i" || Number(value.value.value) !== numberAttr.count) {
        throw new InvalidArgumentError(`${what}: attr '${name}' does not match its ${numberAttr.count} list inputs`);
      }
    } else {
      const known = [...declared.keys(), ...bound, ...(numberAttr ? [numberAttr.name] : [])];
      throw new InvalidArgumentError(
        `${what}: NodeDef mentions attr '${tfName}' not in Op<name=${type}>; its attrs are ${known.length > 0 ? known.map((k) => `'${k}'`).join(", ") : "none"}`,
      );
    }
  }
  if (type === "Const") Object.assign(attrs, constAttrs(n.attr, what));
  if (hostWriter) attrs.writer = summaryWriterAttr(n, what);
  return { def: n, op, attrs, boundTypes, inputs };
}

/** A WriteSummary written by tsflow: its host writer rebuilt from the spec attr (it writes to the default writer of call time). */
function summaryWriterAttr(n: NodeDef, what: string): AttrValue {
  const v = n.attr[SUMMARY_SPEC_ATTR]?.value;
  if (v?.case !== "s") {
    throw new UnimplementedError(
      `${what}: only tsflow's WriteSummary (with attr ${SUMMARY_SPEC_ATTR}) can be imported; TensorFlow's takes a summary writer resource`,
    );
  }
  return summaryWriterFromSpec(new TextDecoder().decode(v.value), what) as unknown as AttrValue;
}

/** A node with func attrs: each must name a function of the GraphDef's library; the node is replayed when built. */
function planReplay(n: NodeDef, inputs: readonly InputRef[], library: ReadonlyMap<string, FunctionDef>, nodeStr: string): PlannedNode {
  for (const [attr, v] of Object.entries(n.attr)) {
    if (v.value.case !== "func") continue;
    if (!library.has(v.value.value.name)) {
      throw new NotFoundError(`importGraphDef: ${nodeStr} (${n.op}): attr '${attr}' names function ${v.value.value.name}, which the GraphDef's library lacks`);
    }
  }
  if (functionNodeImporter === null) throw new UnimplementedError(`importGraphDef: ${nodeStr} is a ${n.op}, and no function importer is registered`);
  return { def: n, op: getOpDef("NoOp")!, attrs: {}, boundTypes: new Map(), inputs, replay: true };
}

/** A Const's {value, dtype, shape}: the TensorProto's values; its dtype when the node has no dtype attr. */
function constAttrs(attr: { [k: string]: AttrValueProto }, what: string): Attrs {
  const v = attr.value?.value;
  if (v?.case !== "tensor") throw new InvalidArgumentError(`${what}: a Const needs a tensor attr 'value'`);
  const t = tensorFromProto(v.value, what);
  const dt = attr.dtype?.value;
  if (dt?.case === "type" && dtypeFromProto(dt.value, what) !== t.dtype) {
    throw new InvalidArgumentError(`${what}: attr dtype ${dtypeFromProto(dt.value, what)} differs from its value's dtype ${t.dtype}`);
  }
  return { value: t.values, dtype: t.dtype, shape: t.shape };
}

/** Depth-first order over data and control inputs (mapped inputs excepted); a cycle is an error naming it. */
function topologicalOrder(nodes: readonly NodeDef[], planned: ReadonlyMap<string, PlannedNode>, mapped: ReadonlyMap<string, SymbolicTensor>): PlannedNode[] {
  const state = new Map<string, 1 | 2>();
  const order: PlannedNode[] = [];
  for (const root of nodes) {
    if (state.has(root.name)) continue;
    // Iterative DFS (GraphDefs can be deep chains).
    const stack: { name: string; next: number }[] = [{ name: root.name, next: 0 }];
    state.set(root.name, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const p = planned.get(top.name)!;
      if (top.next < p.inputs.length) {
        const r = p.inputs[top.next++];
        if (!r.control && mapped.has(`${r.node}:${r.index}`)) continue;
        const s = state.get(r.node);
        if (s === 2) continue;
        if (s === 1) {
          const cycle = stack.slice(stack.findIndex((e) => e.name === r.node)).map((e) => e.name);
          throw new InvalidArgumentError(`importGraphDef: the GraphDef has a cycle: ${[...cycle, r.node].join(" -> ")}`);
        }
        state.set(r.node, 1);
        stack.push({ name: r.node, next: 0 });
      } else {
        state.set(top.name, 2);
        order.push(p);
        stack.pop();
      }
    }
  }
  return order;
}

function buildPlanned(
  g: Graph,
  p: PlannedNode,
  built: ReadonlyMap<string, BuiltNode>,
  mapped: ReadonlyMap<string, SymbolicTensor>,
  library: ReadonlyMap<string, FunctionDef>,
): BuiltNode {
  const what = `importGraphDef: node '${p.def.name}' (${p.def.op})`;
  const data: SymbolicTensor[] = [];
  const control: Operation[] = [];
  for (const r of p.inputs) {
    const m = r.control ? undefined : mapped.get(`${r.node}:${r.index}`);
    if (m) {
      data.push(m);
      continue;
    }
    const src = built.get(r.node)!;
    if (r.control) {
      control.push(src.op);
      continue;
    }
    const t = src.outputs[r.index];
    if (!t) throw new InvalidArgumentError(`${what}: input '${r.text}' names output ${r.index} of '${r.node}', which has ${src.outputs.length} outputs`);
    data.push(t);
  }
  checkBoundTypes(p.op, p.boundTypes, data, what);
  const build = (): BuiltNode => {
    if (!p.replay) {
      const op = buildNode(p.op, data, p.attrs, p.def.name, g);
      return { op, outputs: op.outputs };
    }
    const outputs = g.asDefault(() => functionNodeImporter!(library, p.def, data));
    // Control inputs on this node wait for what it computes (a node of no outputs stands as a NoOp).
    return { op: outputs[0]?.op ?? buildNode(getOpDef("NoOp")!, [], {}, p.def.name, g), outputs };
  };
  const withControl = () => (control.length > 0 ? g.controlDependencies(control, build) : build());
  return p.def.device !== "" ? g.device(p.def.device, withControl) : withControl();
}

function checkBoundTypes(op: OpSchema, bound: ReadonlyMap<string, DType>, inputs: readonly SymbolicTensor[], what: string): void {
  if (bound.size === 0) return;
  const { typeAttrs } = inputTypeAttrs(op, inputs.length);
  inputs.forEach((t, i) => {
    const name = typeAttrs[i];
    const want = name === null ? undefined : bound.get(name);
    if (want !== undefined && want !== t.dtype) {
      throw new InvalidArgumentError(`${what}: input ${i} ('${t.name}') is ${t.dtype}, but attr ${name} says ${want}`);
    }
  });
}
