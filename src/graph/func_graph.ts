import type { DType } from "../core/dtype.js";
import { InvalidArgumentError, NotFoundError } from "../core/errors.js";
import type { Shape } from "../core/shape.js";
import { getOpDef } from "../ops/registry.js";
import { Graph } from "./graph.js";
import type { Operation } from "./operation.js";
import type { SymbolicTensor } from "./tensor.js";

/**
 * Function bodies (TensorFlow's FuncGraph and FunctionDef): the small graphs that If and While nodes run.
 * A FuncGraph is a Graph of its own (its own names, scopes and collections) nested in an outer graph: its
 * arguments are Placeholder nodes, and a tensor of an enclosing graph that one of its ops reads is captured,
 * i.e. becomes one more argument placeholder, the outer tensor being passed in by the node that calls the
 * function. A variable read is captured as the variable itself (its reference) and read inside the body,
 * so that a body sees the assignments of earlier iterations.
 */
export class FuncGraph extends Graph {
  /**
   * The name scope of `outer` the body was built in (TensorFlow 2's control-flow FuncGraphs start in it:
   * `foo/cond`), without its slash. Op names here stay local; summary tags take it as their prefix.
   */
  readonly outerNameScope: string;
  /** Outer tensor (of `outer`) -> its placeholder here, in capture order. */
  readonly captures = new Map<SymbolicTensor, SymbolicTensor>();
  /** Outer variable reads -> the read of the captured reference here. */
  readonly #reads = new Map<SymbolicTensor, SymbolicTensor>();
  constructor(
    readonly funcName: string,
    readonly outer: Graph,
  ) {
    super();
    this.seed = outer.seed;
    this.outerNameScope = fullNameScope(outer);
  }

  /** An argument placeholder. */
  placeholder(dtype: DType, shape: Shape, name: string): SymbolicTensor {
    return this.createOp(getOpDef("Placeholder")!, this.uniqueName(name), [], { dtype, shape }, [{ dtype, shape }]).outputs[0];
  }

  /**
   * The tensor of this graph standing for `t` of an enclosing graph (captured through each graph between).
   * A variable read (an Identity of a VariableV2) is captured as the variable's reference and read here,
   * so that each run of the body reads the value then, after the assignments of earlier iterations.
   */
  capture(t: SymbolicTensor): SymbolicTensor {
    if (t.graph === this) return t;
    if (t.op.type === "Identity" && t.op.inputs[0].op.type === "VariableV2") {
      let read = this.#reads.get(t);
      if (read === undefined) {
        const ref = this.capture(t.op.inputs[0]);
        read = this.createOp(getOpDef("Identity")!, this.uniqueName("read"), [ref], {}, [{ dtype: ref.dtype, shape: ref.shape }]).outputs[0];
        this.#reads.set(t, read);
      }
      return read;
    }
    let outerT = t;
    if (t.graph !== this.outer) {
      if (!(this.outer instanceof FuncGraph)) {
        throw new InvalidArgumentError(`${t.toString()} belongs to a tf.Graph that does not enclose the function body ${this.funcName} being built`);
      }
      outerT = this.outer.capture(t);
    }
    let inner = this.captures.get(outerT);
    if (inner === undefined) {
      inner = this.nameScope("", () => this.placeholder(outerT.dtype, outerT.shape, "capture"));
      this.captures.set(outerT, inner);
    }
    return inner;
  }
}

/** The name scope ops of `g` are built in, body scopes included (TensorFlow's get_name_scope in a control-flow body). */
export function fullNameScope(g: Graph): string {
  const own = g.getNameScope();
  const inherited = g instanceof FuncGraph ? g.outerNameScope : "";
  return inherited && own ? `${inherited}/${own}` : inherited || own;
}

/** The graph a control-flow body belongs to in the end (the tf.function trace or TF1 graph that holds it). */
export function rootGraph(g: Graph): Graph {
  let cur = g;
  while (cur instanceof FuncGraph) cur = cur.outer;
  return cur;
}

/** A function of a graph's library: a body graph, its argument placeholders and its outputs. */
export interface GraphFunction {
  readonly name: string;
  readonly graph: FuncGraph;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Ops run for their effect although no output needs them (assignments in the body). */
  readonly targets: readonly Operation[];
  /** Whether an op of the body holds or changes state (If vs StatelessIf). */
  readonly stateful: boolean;
}

/** Each graph's function library (TensorFlow's FunctionLibraryDefinition), kept beside the graph. */
const LIBRARIES = new WeakMap<Graph, Map<string, GraphFunction>>();
let nextFunctionId = 0;

/** A function name unique in this process (TensorFlow's `cond_true_12`). */
export function uniqueFunctionName(base: string): string {
  return `${base}_${nextFunctionId++}`;
}

/** Adds `fn` to the library of `g`. */
export function addFunction(g: Graph, fn: GraphFunction): void {
  let lib = LIBRARIES.get(g);
  if (!lib) LIBRARIES.set(g, (lib = new Map()));
  lib.set(fn.name, fn);
}

/** The function `name` of the library of `g` or of a graph enclosing it. */
export function getFunction(g: Graph, name: string): GraphFunction {
  for (let cur: Graph | null = g; cur !== null; cur = cur instanceof FuncGraph ? cur.outer : null) {
    const fn = LIBRARIES.get(cur)?.get(name);
    if (fn) return fn;
  }
  throw new NotFoundError(`Function ${name} is not in the function library of the graph`);
}

/** The function name a `func` attr holds (TensorFlow's NameAttrList). */
export function funcAttrName(v: unknown): string {
  return (v as { name: string }).name;
}

/** Op types whose nodes run for their effect: a body runs them even when no output reads them. */
const EFFECT_OPS: ReadonlySet<string> = new Set(["Assign", "AssignAdd", "AssignSub", "While", "If", "WriteSummary"]);
function isEffect(op: Operation): boolean {
  return EFFECT_OPS.has(op.type) || op.def.refInputs !== undefined;
}

/**
 * Seals a traced body into a library function of its outer graph: inputs are the arguments, then the
 * placeholders of `captured` (tensors of the outer graph, in the order the calling node passes them).
 */
export function makeFunction(
  graph: FuncGraph,
  args: readonly SymbolicTensor[],
  outputs: readonly SymbolicTensor[],
  captured: readonly SymbolicTensor[],
): GraphFunction {
  const inputs = [...args, ...captured.map((t) => graph.capture(t))];
  const ops = graph.getOperations();
  const targets = ops.filter(isEffect);
  const stateful = ops.some((op) => op.def.stateful === true || isEffect(op));
  const fn: GraphFunction = { name: graph.funcName, graph, inputs, outputs: [...outputs], targets, stateful };
  addFunction(graph.outer, fn);
  return fn;
}
