import { body, declare, K, optional, parseArgs, signature, withDefault } from "../core/signature.js";
import type { GraphDef } from "../proto/tensorflow/core/framework/graph_pb.js";
import { graphToGraphDef } from "./graph_def.js";
import { inspect } from "node:util";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../core/errors.js";
import type { Attrs, OutSpec } from "../core/schema/types.js";
import type { OpDef } from "../ops/registry.js";
import { ctx } from "../core/context.js";
import { Operation } from "./operation.js";
import { SymbolicTensor } from "./tensor.js";
import { mergeDeviceSpecs } from "../core/device_spec.js";

/** TensorFlow's standard collection names (tf.GraphKeys). */
export const GraphKeys = {
  GLOBAL_VARIABLES: "variables",
  LOCAL_VARIABLES: "local_variables",
  TRAINABLE_VARIABLES: "trainable_variables",
  MODEL_VARIABLES: "model_variables",
  SUMMARIES: "summaries",
  UPDATE_OPS: "update_ops",
  LOSSES: "losses",
  REGULARIZATION_LOSSES: "regularization_losses",
  GLOBAL_STEP: "global_step",
  QUEUE_RUNNERS: "queue_runners",
  INIT_OP: "init_op",
  TRAIN_OP: "train_op",
  SAVERS: "savers",
} as const;

/**
 * The nodes that stand for one eager tf.Variable in a tf.function graph (variables/variable.ts builds them):
 * a VariableV2 node whose session value is the eager variable's own buffer while the function runs, and the
 * bookkeeping of TensorFlow's automatic control dependencies (reads wait for the last write, a write waits
 * for the reads and the write before it), so that the trace keeps the program's order of reads and writes.
 */
export interface CapturedVariableNodes {
  readonly op: Operation;
  readonly ref: SymbolicTensor;
  /** The read later reads share (an Identity after the last write); null until the next read builds one. */
  snapshot: SymbolicTensor | null;
  lastWrite: Operation | null;
  reads: Operation[];
}

/** What a graph being traced by tf.function (function/) offers the layers below it. */
export interface FunctionGraphHooks {
  /** Eager variables used in the graph, keyed by the variable, in first-use order. */
  readonly captures: Map<object, CapturedVariableNodes>;
  /** A tf.Variable is being created while tracing: raises on a retrace (variables on the first trace only). */
  variableCreated(name: string): void;
  /** The eager value of a tensor of this graph that depends on no input (a variable's initial value). */
  evaluate(t: SymbolicTensor): unknown;
}

export interface VariableScopeState {
  name: string;
  reuse: boolean | "auto";
}

/** A TensorFlow 1 dataflow graph: operations, naming, scopes, collections. */
const graphSignature = signature("Graph", "A TensorFlow computation: ops and the tensors between them, built in graph mode and run by a Session.", [], {
  args: () => [],
});
const asGraphDefSignature = signature(
  "Graph.as_graph_def",
  "The GraphDef protocol buffer of this graph: every node with TensorFlow's op type, inputs, device and attrs (tf.train.writeGraph writes it).",
  [
    optional("fromVersion", K.int, "Only the nodes added since graph.version was this value."),
    withDefault("addShapes", K.boolean, false, "Adds each node's output shapes as its `_output_shapes` attr."),
  ],
);
const graphAsDefaultSignature = signature(
  "Graph.as_default",
  "Makes this the default graph for the duration of the body: ops it creates land here, in graph mode.",
  [body("body", K.callback, "The `with` block; its result is returned.")],
);

export class Graph {
  readonly #ops: Operation[] = [];
  readonly #byName = new Map<string, Operation>();
  readonly #namesInUse = new Map<string, number>();
  readonly #consumers = new Map<SymbolicTensor, Operation[]>();
  readonly #collections = new Map<string, unknown[]>();
  #nameStack = "";
  #controlStack: Operation[][] = [];
  #deviceStack: string[] = [];
  #finalized = false;
  /** Graph-level random seed (tf.compat.v1.set_random_seed). */
  seed: number | null = null;
  /** tf.compat.v1.variable_scope state. */
  variableScope: VariableScopeState = { name: "", reuse: false };
  /** Variables made by tf.getVariable, by full name. */
  readonly variableStore = new Map<string, unknown>();
  /** Set on the graph a tf.function traces into (function/func_graph.ts); null for every other graph. */
  functionHooks: FunctionGraphHooks | null = null;

  constructor(...args: [options?: Record<string, never>]) {
    if (args.length > 0) parseArgs(graphSignature, args);
  }

  /** Whether tf.function traces into this graph (core/context.ts liftOutOfFunctionGraphs lifts out of it). */
  get isFunctionGraph(): boolean {
    return this.functionHooks !== null;
  }
  get finalized(): boolean {
    return this.#finalized;
  }
  get version(): number {
    return this.#ops.length;
  }
  /** Runs fn with this graph as the default: ops it creates land here, in graph mode. */
  asDefault<T>(fn: (() => T) | { body: () => T }): T {
    if (typeof fn !== "function") [fn] = parseArgs(graphAsDefaultSignature, [fn]) as [() => T];
    ctx.graphStack.push(this);
    try {
      return (fn as () => T)();
    } finally {
      ctx.graphStack.pop();
    }
  }
  /** The GraphDef protocol buffer of this graph (graph/graph_def.ts). */
  asGraphDef(...args: [fromVersion?: number | { fromVersion?: number; addShapes?: boolean }, addShapes?: boolean]): GraphDef {
    const [fromVersion, addShapes] = parseArgs(asGraphDefSignature, args);
    return graphToGraphDef(this, { addShapes, fromVersion });
  }
  finalize(): void {
    this.#finalized = true;
  }

  // ---- naming ----
  getNameScope(): string {
    return this.#nameStack;
  }
  /** TensorFlow's Graph.unique_name: case-insensitive, suffixes _1, _2, ... */
  uniqueName(name: string, markAsUsed = true): string {
    if (this.#nameStack) name = `${this.#nameStack}/${name}`;
    let key = name.toLowerCase();
    let i = this.#namesInUse.get(key) ?? 0;
    if (markAsUsed) this.#namesInUse.set(key, i + 1);
    if (i > 0) {
      const base = key;
      while (this.#namesInUse.has(key)) {
        key = `${base}_${i}`;
        i++;
      }
      if (markAsUsed) this.#namesInUse.set(key, 1);
      name = `${name}_${i - 1}`;
    }
    return name;
  }
  /** Opens a name scope; a name ending in "/" re-enters that exact scope, "" resets to the root. */
  nameScope<T>(name: string | null, fn: (scope: string) => T): T {
    const saved = this.#nameStack;
    let scope: string;
    if (name === null || name === "") scope = "";
    else if (name.endsWith("/")) scope = name.slice(0, -1);
    else scope = this.uniqueName(name);
    this.#nameStack = scope;
    try {
      return fn(scope ? `${scope}/` : "");
    } finally {
      this.#nameStack = saved;
    }
  }

  // ---- control dependencies and devices ----
  controlDependencies<T>(ops: readonly Operation[] | null, fn: () => T): T {
    const saved = this.#controlStack;
    this.#controlStack = ops === null ? [] : [...saved, [...ops]];
    try {
      return fn();
    } finally {
      this.#controlStack = saved;
    }
  }
  device<T>(spec: string | null, fn: () => T): T {
    this.#deviceStack.push(spec === null ? "\u0000" : spec);
    try {
      return fn();
    } finally {
      this.#deviceStack.pop();
    }
  }
  currentDevice(): string {
    let dev = "";
    for (const d of this.#deviceStack) dev = d === "\u0000" ? "" : mergeDeviceSpecs(dev, d);
    return dev;
  }

  // ---- building ----
  /** Adds a node. Inputs must already belong to this graph (the dispatcher converts and checks them). */
  createOp(
    def: OpDef,
    name: string,
    inputs: readonly SymbolicTensor[],
    attrs: Attrs,
    outSpecs: readonly OutSpec[],
    extraControl: readonly Operation[] = [],
  ): Operation {
    if (this.#finalized) {
      throw new FailedPreconditionError(`Graph is finalized and cannot be modified (adding ${def.type} op "${name}")`);
    }
    const control = new Set<Operation>(extraControl);
    for (const level of this.#controlStack) for (const op of level) control.add(op);
    const op = new Operation(this, def, name, inputs, [...control], attrs, outSpecs, this.currentDevice(), this.#ops.length);
    this.#ops.push(op);
    this.#byName.set(name, op);
    for (const t of inputs) {
      const list = this.#consumers.get(t);
      if (list) list.push(op);
      else this.#consumers.set(t, [op]);
    }
    return op;
  }
  consumersOf(t: SymbolicTensor): Operation[] {
    return (this.#consumers.get(t) ?? []).slice();
  }

  // ---- lookup ----
  getOperations(): Operation[] {
    return this.#ops.slice();
  }
  getOperationByName(name: string): Operation {
    const op = this.#byName.get(name);
    if (!op) throw new NotFoundError(`The name '${name}' refers to an Operation not in the graph.`);
    return op;
  }
  getTensorByName(name: string): SymbolicTensor {
    const m = /^(.*):(\d+)$/.exec(name);
    if (!m) {
      throw new InvalidArgumentError(
        `The name '${name}' looks like an (invalid) Operation name, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
      );
    }
    const op = this.#byName.get(m[1]);
    if (!op) throw new NotFoundError(`The name '${name}' refers to a Tensor which does not exist. The operation, '${m[1]}', does not exist in the graph.`);
    const t = op.outputs[Number(m[2])];
    if (!t)
      throw new NotFoundError(
        `The name '${name}' refers to a Tensor which does not exist. The operation, '${m[1]}', exists but only has ${op.outputs.length} outputs.`,
      );
    return t;
  }
  /** Resolves a fetch given by name: "x:0" is a tensor, "train" an operation. */
  asGraphElement(name: string, allowTensor = true, allowOperation = true): SymbolicTensor | Operation {
    if (name.includes(":") && allowTensor) return this.getTensorByName(name);
    if (allowOperation) return this.getOperationByName(name);
    return this.getTensorByName(`${name}:0`);
  }
  hasOperation(name: string): boolean {
    return this.#byName.has(name);
  }

  // ---- collections ----
  addToCollection(key: string, value: unknown): void {
    const list = this.#collections.get(key);
    if (list) list.push(value);
    else this.#collections.set(key, [value]);
  }
  addToCollections(keys: readonly string[], value: unknown): void {
    for (const k of new Set(keys)) this.addToCollection(k, value);
  }
  /** Items of a collection, optionally those whose name starts with `scope` (a regex prefix, as in TF). */
  getCollection<T = unknown>(key: string, scope?: string): T[] {
    const list = (this.#collections.get(key) ?? []) as T[];
    if (scope === undefined) return list.slice();
    const re = new RegExp(`^(?:${scope})`);
    return list.filter((x) => {
      const n = (x as { name?: unknown }).name;
      return typeof n === "string" && re.test(n);
    });
  }
  getCollectionRef<T = unknown>(key: string): T[] {
    let list = this.#collections.get(key);
    if (!list) this.#collections.set(key, (list = []));
    return list as T[];
  }
  clearCollection(key: string): void {
    this.#collections.delete(key);
  }
  getAllCollectionKeys(): string[] {
    return [...this.#collections.keys()];
  }

  toString(): string {
    return this.#ops.map((o) => `node {\n  ${o.toString().replace(/\n/g, "\n  ")}\n}`).join("\n");
  }
  [inspect.custom](): string {
    return `<tf.Graph with ${this.#ops.length} ops>`;
  }
}
declare(Graph, graphSignature);
declare(Graph.prototype.asDefault, graphAsDefaultSignature);
declare(Graph.prototype.asGraphDef, asGraphDefSignature);
