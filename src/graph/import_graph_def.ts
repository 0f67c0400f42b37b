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
import { getDefaultGraph } from "./default_graph.js";
import { SymbolicTensor } from "./tensor.js";
import { analyzeFrames, type Frame, hasTf1Loops } from "./tf1_while_frames.js";
import { type BuiltUnit, buildLoop, loopKey, type PlannedLoop, planLoop } from "./tf1_while_import.js";
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

/** What the importer builds, in dependency order: a node, or a TensorFlow 1 while loop (a frame) as a whole. */
type PlannedUnit = PlannedNode | PlannedLoop<PlannedUnit>;

const unitName = (u: PlannedUnit) => ("kind" in u ? u.name : u.def.name);

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
    const frame = plan.frameOf.get(ref.node);
    if (frame) {
      throw new InvalidArgumentError(
        `importGraphDef: returnElements: '${r}' is inside ${loopKey(frame)}, which is imported as one While op; only its Exits' values can be returned`,
      );
    }
  }

  const built = new Map<string, BuiltUnit>();
  const scopeName = opts.name ?? "import";
  const buildUnits = (units: readonly PlannedUnit[], env: Map<string, BuiltUnit>) => {
    // Inside a loop's cond or body the default graph is the function body being traced.
    const into = env === built ? g : getDefaultGraph();
    for (const u of units) env.set(unitName(u), buildPlanned(into, u, env, mapped, plan.library, buildUnits));
  };
  g.nameScope(scopeName === "" ? null : scopeName, () => buildUnits(plan.order, built));

  if (opts.returnElements === undefined) return undefined;
  return opts.returnElements.map((r) => {
    const ref = parseInput(r, "returnElements");
    const node = built.get(ref.node)!;
    if (!r.includes(":")) return node.op ?? node.outputs[0]!.op;
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

/**
 * Checks every node and orders them so that each comes after its inputs (the GraphDef's order may not);
 * TensorFlow 1 while loops become one unit each (graph/tf1_while_import.ts).
 */
function planImport(gd: GraphDef, mapped: ReadonlyMap<string, SymbolicTensor>) {
  const byName = new Map<string, NodeDef>();
  for (const n of gd.node) {
    if (n.name === "") throw new InvalidArgumentError("importGraphDef: a node has no name");
    if (byName.has(n.name)) throw new InvalidArgumentError(`importGraphDef: the GraphDef has two nodes named '${n.name}'`);
    byName.set(n.name, n);
  }
  const library = new Map<string, FunctionDef>((gd.library?.function ?? []).map((f) => [f.signature?.name ?? "", f]));
  const usedMapKeys = new Set<string>();
  const inputsOf = new Map<string, InputRef[]>();
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
    inputsOf.set(n.name, inputs);
  }
  const skipMapped = (r: InputRef) => !r.control && mapped.has(`${r.node}:${r.index}`);
  if (!hasTf1Loops(gd.node)) {
    const units = new Map(gd.node.map((n) => [n.name, planNode(n, inputsOf.get(n.name)!, library) as PlannedUnit]));
    return {
      order: topologicalOrder([...units.values()], units, skipMapped, noBoundary),
      byName,
      usedMapKeys,
      library,
      frameOf: new Map<string, Frame | null>(),
    };
  }

  const frames = analyzeFrames(gd.node, byName, inputsOf);
  const exits = new Map(frames.frames.flatMap((f) => f.exits.map((e) => [e.node.name, { frame: f, loopVar: e.loopVar }] as const)));
  const unitsIn = new Map<Frame | null, Map<string, PlannedUnit>>([[null, new Map()]]);
  for (const f of frames.frames) unitsIn.set(f, new Map());
  for (const n of gd.node) {
    if (frames.structural.has(n.name)) continue;
    const exit = exits.get(n.name);
    if (exit === undefined && /^(Ref)?(Enter|Exit|NextIteration|LoopCond)$/.test(n.op)) {
      throw new InvalidArgumentError(
        `importGraphDef: node '${n.name}' (${n.op}) is not part of a while loop's structure (Enter -> Merge -> Switch -> Exit, NextIteration -> Merge)`,
      );
    }
    const inputs = inputsOf.get(n.name)!;
    const unit: PlannedUnit = exit ? planExit(n, exit.frame, exit.loopVar, inputs) : planNode(n, inputs, library);
    unitsIn.get(frames.frameOf.get(n.name)!)!.set(n.name, unit);
  }
  // Innermost frames first: a loop is a unit of its parent's cond or body.
  const nodeRefs = (n: NodeDef) => inputsOf.get(n.name)!;
  for (const f of [...frames.frames].reverse()) {
    const loop = planLoop(f, unitsIn.get(f)!, unitInputs, (roots, units, boundary) => topologicalOrder(roots, units, skipMapped, boundary), nodeRefs);
    unitsIn.get(f.parent)!.set(loop.name, loop);
  }
  const root = unitsIn.get(null)!;
  return { order: topologicalOrder([...root.values()], root, skipMapped, noBoundary), byName, usedMapKeys, library, frameOf: frames.frameOf };
}

/** An Exit: an Identity of its loop's output for the loop variable whose Switch it reads. */
function planExit(n: NodeDef, frame: Frame, loopVar: number, inputs: readonly InputRef[]): PlannedNode {
  const loopOut: InputRef = { node: loopKey(frame), index: loopVar, control: false, text: `${loopKey(frame)}:${loopVar}` };
  return { def: n, op: getOpDef("Identity")!, attrs: {}, boundTypes: new Map(), inputs: [loopOut, ...inputs.filter((r) => r.control)] };
}

const unitInputs = (u: PlannedUnit): readonly InputRef[] => u.inputs;

function noBoundary(r: InputRef, from: string): never {
  throw new InvalidArgumentError(
    `importGraphDef: node '${from}' reads '${r.text}', which is inside a while loop; a loop's values leave it only through its Exits`,
  );
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

/**
 * Depth-first order over data and control inputs of the units `roots` reach (refs that `skip` says are
 * supplied otherwise excepted; refs to names that are not units go to `boundary`); a cycle is an error naming it.
 */
function topologicalOrder(
  roots: readonly PlannedUnit[],
  units: ReadonlyMap<string, PlannedUnit>,
  skip: (r: InputRef) => boolean,
  boundary: (r: InputRef, from: string) => void,
): PlannedUnit[] {
  const state = new Map<string, 1 | 2>();
  const order: PlannedUnit[] = [];
  for (const root of roots) {
    const rootName = unitName(root);
    if (state.has(rootName)) continue;
    // Iterative DFS (GraphDefs can be deep chains).
    const stack: { unit: PlannedUnit; next: number }[] = [{ unit: root, next: 0 }];
    state.set(rootName, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.unit.inputs.length) {
        const r = top.unit.inputs[top.next++];
        if (skip(r)) continue;
        const dep = units.get(r.node);
        if (dep === undefined) {
          boundary(r, unitName(top.unit));
          continue;
        }
        const s = state.get(r.node);
        if (s === 2) continue;
        if (s === 1) {
          const cycle = stack.slice(stack.findIndex((e) => unitName(e.unit) === r.node)).map((e) => unitName(e.unit));
          throw new InvalidArgumentError(`importGraphDef: the GraphDef has a cycle: ${[...cycle, r.node].join(" -> ")}`);
        }
        state.set(r.node, 1);
        stack.push({ unit: dep, next: 0 });
      } else {
        state.set(unitName(top.unit), 2);
        order.push(top.unit);
        stack.pop();
      }
    }
  }
  return order;
}

/** An input's tensor (a data ref) or op (a control ref; null when it orders nothing) among the units built so far. */
function resolveRef(
  built: ReadonlyMap<string, BuiltUnit>,
  mapped: ReadonlyMap<string, SymbolicTensor>,
  r: InputRef,
  what: string,
): SymbolicTensor | Operation | null {
  const m = r.control ? undefined : mapped.get(`${r.node}:${r.index}`);
  if (m) return m;
  const src = built.get(r.node)!;
  if (r.control) return src.op;
  const t = src.outputs[r.index];
  if (!t) throw new InvalidArgumentError(`${what}: input '${r.text}' names output ${r.index} of '${r.node}', which has ${src.outputs.length} outputs`);
  return t;
}

function buildPlanned(
  g: Graph,
  p: PlannedUnit,
  built: ReadonlyMap<string, BuiltUnit>,
  mapped: ReadonlyMap<string, SymbolicTensor>,
  library: ReadonlyMap<string, FunctionDef>,
  buildUnits: (units: readonly PlannedUnit[], env: Map<string, BuiltUnit>) => void,
): BuiltUnit {
  if ("kind" in p) {
    const inputs = p.inputs.map((r) => resolveRef(built, mapped, r, `importGraphDef: ${p.name}`)).filter((x) => x !== null);
    const resolveIn = (env: ReadonlyMap<string, BuiltUnit>, r: InputRef, what: string) => resolveRef(env, mapped, r, what) as SymbolicTensor;
    const outputs = buildLoop(g, p, inputs, buildUnits, resolveIn, (n) => n.input.map((s) => parseInput(s, `node ${n.name}`)));
    return { op: outputs[0].op, outputs };
  }
  const what = `importGraphDef: node '${p.def.name}' (${p.def.op})`;
  const data: SymbolicTensor[] = [];
  const control: Operation[] = [];
  for (const r of p.inputs) {
    const x = resolveRef(built, mapped, r, what);
    if (x instanceof SymbolicTensor) data.push(x);
    else if (x !== null) control.push(x);
  }
  checkBoundTypes(p.op, p.boundTypes, data, what);
  const build = (): BuiltUnit => {
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
