import { getSetting } from "../core/settings.js";
import { inspect } from "node:util";
import { checkDType, DType, isFloating } from "../core/dtype.js";
import { cast } from "../ops/cast.js";
import { autocastDType } from "./autocast.js";
import { InvalidArgumentError, NotFoundError, UnimplementedError } from "../core/errors.js";
import { create } from "@bufbuild/protobuf";
import { type VariableDef, VariableDefSchema } from "../proto/tensorflow/core/framework/variable_pb.js";
import { ArgsOf, declare, K, kind, optional, param, parseArgs, signature, withDefault } from "../core/signature.js";
import { isFullyDefined, sameShape, Shape, shapesCompatible, shapeStr } from "../core/shape.js";
import { formatValues, HostValue, inferDType, inferShape } from "../core/values.js";
import { ctx, executingEagerly, liftOutOfFunctionGraphs } from "../core/context.js";
import type { Handle, KernelEnv } from "../core/backend.js";
import { TENSOR_LIKE } from "../core/tensor_like.js";
import { EagerTensor } from "../eager/tensor.js";
import { toEagerTensor } from "../eager/executor.js";
import type { Tensor as AnyTensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { recordVariableAccess, recordVariableRead, withoutRecording } from "../eager/tape.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { CapturedVariableNodes, Graph, GraphKeys } from "../graph/graph.js";
import type { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { FuncGraph } from "../graph/func_graph.js";
import { buildNode, toGraphTensor } from "../graph/build.js";
import { execute1 } from "../ops/dispatch.js";
import { getOpDef } from "../ops/registry.js";
import type { Attrs } from "../core/schema/types.js";
import { eagerNameScope } from "../core/eager_name_scope.js";
import { evalInSession } from "../graph/eval_hook.js";
import { placeConstant, runKernelOn } from "../backends/placement.js";
import { normalizeAttrs } from "../core/schema/attrs.js";

const notImplemented = (name: string, what: string) => optional(name, kind<unknown>("unknown"), `${what} Not implemented: must be absent.`);
/** tf.Variable's parameters in TensorFlow 2's order; `collections` is TensorFlow 1's keyword. */
const variableSignature = signature(
  "Variable",
  "State that survives across steps: eagerly it owns a tensor; in a graph it is a VariableV2 node with an initializer.",
  [
    param("initialValue", kind<TensorLike | (() => TensorLike)>("TensorLike | (() => TensorLike)"), "The initial value, or a function returning it."),
    withDefault("trainable", K.boolean, true, "Whether optimizers update it by default (graph mode: added to TRAINABLE_VARIABLES)."),
    withDefault("validateShape", K.boolean, true, "Require the initial value's shape to be known; false allows a variable of unknown shape."),
    notImplemented("cachingDevice", "Where reads are cached."),
    withDefault("name", K.string, "Variable", "The variable's name (made unique in a graph)."),
    notImplemented("variableDef", "A VariableDef protocol buffer to recreate the variable from."),
    optional("dtype", kind<DType>("DType"), "The dtype; absent: the initial value's."),
    notImplemented("importScope", "The name scope of a recreated variable."),
    notImplemented("constraint", "A projection applied after optimizer updates."),
    notImplemented("synchronization", "When a distributed variable is aggregated."),
    notImplemented("aggregation", "How a distributed variable is aggregated."),
    optional("shape", kind<Shape>("Shape"), "The variable's shape, if it differs from the initial value's (null dimensions allow other values)."),
    optional("collections", kind<string[]>("string[]"), "TensorFlow 1: the graph collections it joins (default [GLOBAL_VARIABLES])."),
  ],
  { args: () => [[1, 2], false, true, undefined, "w"] },
);
const updateParams = (what: string, doc: string) =>
  [
    param(what, kind<TensorLike>("TensorLike"), doc),
    optional("useLocking", K.boolean, "Use a lock for the update (no effect here: updates never race)."),
    optional("name", K.string, "A name for the operation."),
    withDefault("readValue", K.boolean, true, "Return the new value (eagerly the variable itself is returned)."),
  ] as const;
const assignSignature = signature("Variable.assign", "Assigns a new value (of a compatible shape).", updateParams("value", "The new value."));
const assignAddSignature = signature("Variable.assign_add", "Adds to the value.", updateParams("delta", "The value to add."));
const assignSubSignature = signature("Variable.assign_sub", "Subtracts from the value.", updateParams("delta", "The value to subtract."));

/** Positions of the declared parameters that are not implemented. */
const UNIMPLEMENTED_PARAMS = [3, 5, 7, 8, 9, 10];

/** Set by Variable.fromProto while it runs the constructor: the graph nodes the new Variable stands for. */
let fromProtoState: { state: GraphState; trainable: boolean } | null = null;

interface GraphState {
  graph: Graph;
  op: Operation;
  ref: SymbolicTensor;
  snapshot: SymbolicTensor;
  /** Replaced by tf.train.initFromCheckpoint. */
  initializer: Operation;
  initialValue: SymbolicTensor;
}

/** An eager update's kernel may overwrite a variable's buffer that only the variable's own value holds. */
const IN_PLACE: KernelEnv = { ownedRefs: 1 };

/**
 * tf.Variable: state that survives across steps. Eagerly it owns a tensor; in a graph it is a VariableV2
 * node ("W") with "W/Assign" as initializer and "W/read" as the value ops consume, as in TensorFlow 1.
 */
export class Variable {
  /** Ops, graph building and tapes take variables through the tensor-like protocol (core/tensor_like.ts). */
  readonly [TENSOR_LIKE] = true as const;
  readonly name: string;
  readonly #dtype: DType;
  readonly trainable: boolean;
  /**
   * Reads as the compute dtype inside a mixed-precision Keras layer's call (Keras's AutoCastVariable; set by
   * Layer.addWeight). Assignments, optimizers and checkpoints always see the variable's own dtype.
   */
  autocast = false;
  /** The key a GradientTape uses for this variable. */
  readonly tapeId: number;
  #shape: Shape;
  #value: EagerTensor | null = null;
  readonly #graph: GraphState | null = null;

  constructor(...args: ArgsOf<typeof variableSignature>) {
    if (fromProtoState !== null) {
      const { state, trainable } = fromProtoState;
      fromProtoState = null;
      this.tapeId = ctx.nextTensorId++;
      this.trainable = trainable;
      this.#graph = state;
      this.#dtype = state.ref.dtype;
      this.#shape = state.ref.shape;
      this.name = state.ref.name;
      return;
    }
    const parsed = parseArgs(variableSignature, args);
    for (const i of UNIMPLEMENTED_PARAMS) {
      if (parsed[i] != null) throw new UnimplementedError(`tf.Variable: ${variableSignature.params[i].name} is not implemented yet in tsflow`);
    }
    const [initialValue, trainable, validateShape, , baseName, , dtypeArg, , , , , shapeArg, collections] = parsed;
    const opts = { dtype: dtypeArg, validateShape, shape: shapeArg, collections };
    this.tapeId = ctx.nextTensorId++;
    this.trainable = trainable;
    // Inside a tf.function trace a variable is created eagerly (TensorFlow's init_scope), on the first trace
    // only; an initial value computed in the trace is evaluated first (it must not depend on the inputs).
    const hooks = executingEagerly() ? null : getDefaultGraph().functionHooks;
    if (executingEagerly() || hooks) {
      let init0 = initialValue;
      if (hooks) {
        hooks.variableCreated(baseName);
        if (init0 instanceof SymbolicTensor) init0 = hooks.evaluate(init0) as TensorLike;
      }
      const made = liftOutOfFunctionGraphs(() => withoutRecording(() => Variable.#eagerInit(init0, opts.dtype)));
      this.#value = made.value;
      this.#dtype = made.dtype;
      this.#shape = opts.shape ?? this.#value.shape;
      this.name = `${made.scope}${baseName}:0`;
      return;
    }
    const g = getDefaultGraph();
    this.#graph = g.nameScope(baseName, (scope) => {
      const opName = scope.slice(0, -1);
      const init = typeof initialValue === "function" ? initialValue() : initialValue;
      const dtype =
        opts.dtype ?? (init instanceof EagerTensor || init instanceof SymbolicTensor || init instanceof Variable ? init.dtype : inferDType(init as HostValue));
      const initialValueT = toGraphTensor(init, checkDType(dtype, "tf.Variable"), g, `${scope}initial_value`);
      if (initialValueT.dtype !== dtype) {
        throw new InvalidArgumentError(`tf.Variable ${opName}: initial value has dtype ${initialValueT.dtype}, expected ${dtype}`);
      }
      const shape = opts.validateShape === false ? null : initialValueT.shape;
      if (opts.validateShape !== false && !isFullyDefined(shape)) {
        throw new InvalidArgumentError(`initial_value must have a shape specified: ${initialValueT.toString()}`);
      }
      const op = g.createOp(getOpDef("VariableV2")!, opName, [], { shape, dtype }, [{ dtype, shape }]);
      const ref = op.outputs[0];
      const initializer = buildNode(getOpDef("Assign")!, [ref, initialValueT], { validate_shape: opts.validateShape !== false }, "Assign");
      const snapshot = buildNode(getOpDef("Identity")!, [ref], {}, "read").outputs[0];
      return { graph: g, op, ref, snapshot, initializer, initialValue: initialValueT };
    });
    this.#dtype = this.#graph.ref.dtype;
    this.#shape = this.#graph.ref.shape;
    this.name = this.#graph.ref.name;
    const cols = opts.collections ?? [GraphKeys.GLOBAL_VARIABLES];
    g.addToCollections(this.trainable ? [...cols, GraphKeys.TRAINABLE_VARIABLES] : cols, this);
  }

  /** The eager value of a new eager variable (made outside any trace), its dtype and name prefix. */
  static #eagerInit(initialValue: TensorLike | (() => TensorLike), dtypeArg: DType | undefined): { value: EagerTensor; dtype: DType; scope: string } {
    const init = typeof initialValue === "function" ? initialValue() : initialValue;
    const dtype = dtypeArg ?? (init instanceof EagerTensor || init instanceof Variable ? init.dtype : inferDType(init as HostValue));
    // A variable lives where TensorFlow 2 puts it (runtime/devices.ts placeConstant): the tf.device scope's
    // device, else GPU:0 when there is one; an initial value computed elsewhere is copied there.
    const home = placeConstant(checkDType(dtype, "tf.Variable"));
    let t = toEagerTensor(init, dtype, "Variable", home);
    if (t.dtype !== dtype) throw new InvalidArgumentError(`tf.Variable: initial value has dtype ${t.dtype}, expected ${dtype}`);
    if (t.handle.backend !== home) {
      const moved = new EagerTensor(home.write(t.handle.backend.readSync(t.handle), t.dtype, t.shape));
      if (t !== init) t.dispose();
      t = moved;
    }
    const value = t === init ? t.clone() : t;
    value.kept = true;
    return { value, dtype, scope: eagerNameScope() };
  }

  get shape(): Shape {
    return this.#shape === null ? null : this.#shape.slice();
  }
  get rank(): number | null {
    return this.#shape === null ? null : this.#shape.length;
  }
  get graph(): Graph | null {
    return this.#graph?.graph ?? null;
  }
  /** The VariableV2 node (graph mode). */
  get op(): Operation {
    return this.#graphState().op;
  }
  /** The op that assigns the initial value (graph mode). */
  get initializer(): Operation {
    if (!this.#graph) throw new InvalidArgumentError(`Variable ${this.name} was created eagerly and has no initializer op`);
    return this.#graph.initializer;
  }
  get initialValue(): AnyTensor {
    return this.#graph ? this.#graph.initialValue : this.value();
  }
  /** The variable's own output ("W:0"): what tf.gradients differentiates with respect to. */
  get ref(): SymbolicTensor {
    return this.#graphState().ref;
  }

  #graphState(): GraphState | CapturedVariableNodes {
    if (this.#graph) return this.#graph;
    const captured = this.#tracedIn();
    if (captured) return captured;
    throw new InvalidArgumentError(`Variable ${this.name} was created eagerly and has no graph node`);
  }

  /**
   * An eager variable used while tracing a tf.function: its nodes in the graph being traced (also from a
   * tf.cond / tf.whileLoop body built inside it, whose graph encloses it), else null.
   */
  #tracedIn(): CapturedVariableNodes | null {
    if (this.#graph || executingEagerly()) return null;
    const g = traceGraphAround(getDefaultGraph());
    return g ? this.#captureIn(g) : null;
  }

  /** A traced read where it is built: in the trace graph itself, or through the captures of a body graph. */
  #tracedValue(c: CapturedVariableNodes): SymbolicTensor {
    const g = getDefaultGraph();
    return g.functionHooks ? this.#tracedRead(g, c) : toGraphTensor(this, this.#dtype, g, "read");
  }

  /**
   * The nodes standing for this eager variable in tf.function graph `g`, made on first use: a VariableV2
   * that function/ binds to this variable's own buffer on every call (no copy).
   */
  #captureIn(g: Graph): CapturedVariableNodes {
    const captures = g.functionHooks!.captures;
    let c = captures.get(this);
    if (!c) {
      const opName = this.name.replace(/:\d+$/, "");
      const op = g.nameScope("", () =>
        g.controlDependencies(null, () =>
          g.createOp(getOpDef("VariableV2")!, g.uniqueName(opName), [], { shape: this.#shape, dtype: this.#dtype }, [
            { dtype: this.#dtype, shape: this.#shape },
          ]),
        ),
      );
      c = { op, ref: op.outputs[0], snapshot: null, lastWrite: null, reads: [] };
      captures.set(this, c);
    }
    return c;
  }

  /** The value a traced op reads: the read after the last write (TensorFlow's automatic control dependencies). */
  #tracedRead(g: Graph, c: CapturedVariableNodes): SymbolicTensor {
    recordVariableAccess(this);
    syncControlFlowWrites(g, c);
    if (c.snapshot) return c.snapshot;
    const build = () => buildNode(getOpDef("Identity")!, [c.ref], {}, `${c.op.name}/read`, g);
    const read = g.nameScope("", () => (c.lastWrite ? g.controlDependencies([c.lastWrite], build) : build()));
    c.reads.push(read);
    c.snapshot = read.outputs[0];
    return c.snapshot;
  }

  /**
   * Builds a traced write of the captured variables `vars` (an Assign, a training op): it waits for their last
   * writes and the reads since, and later reads wait for it.
   */
  static tracedWrite(vars: readonly Variable[], build: () => Operation): Operation {
    const g = getDefaultGraph();
    // Inside a control-flow body the body's node orders it (TensorFlow orders a function call as a whole).
    if (!g.functionHooks) return build();
    const states = vars.map((v) => v.#tracedIn());
    const deps: Operation[] = [];
    for (const c of states) {
      if (!c) continue;
      syncControlFlowWrites(g, c);
      if (c.lastWrite) deps.push(c.lastWrite);
      deps.push(...c.reads);
    }
    const op = deps.length > 0 ? g.controlDependencies(deps, build) : build();
    for (const c of states) {
      if (!c) continue;
      c.lastWrite = op;
      c.reads = [];
      c.snapshot = null;
    }
    return op;
  }

  /**
   * saving/ (tf.train.initFromCheckpoint): the graph variable is now initialized by `op` instead of its
   * initial value's Assign, as TensorFlow replaces a variable's initializer op.
   */
  static replaceInitializer(v: Variable, op: Operation): void {
    if (!v.#graph) throw new InvalidArgumentError(`Variable ${v.name} was created eagerly and has no initializer op`);
    v.#graph.initializer = op;
  }

  /** function/: the buffer of an eager variable (a tf.function's session shares it while the function runs). */
  static handleOf(v: Variable): Handle {
    return v.#eagerValue().handle;
  }
  /**
   * function/: the variable's value is now buffer `h`, which a tf.function's step put in place of the one it
   * shared (whoever replaced the old buffer released it).
   */
  static adoptHandle(v: Variable, h: Handle): void {
    const old = v.#eagerValue();
    const next = new EagerTensor(h);
    next.kept = true;
    v.#value = next;
    old.relinquish();
  }
  #eagerValue(): EagerTensor {
    if (!this.#value) {
      throw new InvalidArgumentError(`Variable ${this.name} belongs to a tf.Graph; read it with a Session, not eagerly`);
    }
    return this.#value;
  }

  /** Eagerly: the current value (shared, do not dispose). In a graph: the "W/read" tensor. */
  value(): AnyTensor {
    if (this.#graph) return this.#graph.snapshot;
    const c = this.#tracedIn();
    return c ? this.#tracedValue(c) : this.#eagerValue();
  }
  /**
   * The value read where this is called: in a graph a new "read" Identity of the variable, so that control
   * dependencies and device scopes around the call apply to the read (TensorFlow's read_value()).
   */
  readValue(): AnyTensor {
    if (this.#graph) return buildNode(getOpDef("Identity")!, [this.#graph.ref], {}, "read").outputs[0];
    const c = this.#tracedIn();
    return c ? this.#tracedValue(c) : this.readForOp();
  }
  /** The variable's dtype, or inside an autocast scope (variables/autocast.ts) the dtype ops read it as. */
  get dtype(): DType {
    return this.#castTo() ?? this.#dtype;
  }
  #castTo(): DType | null {
    if (!this.autocast) return null;
    const d = autocastDType();
    return d !== null && d !== this.#dtype && isFloating(this.#dtype) && isFloating(d) ? d : null;
  }

  /** What an op consuming this variable gets eagerly: an alias of its value, recorded on active tapes. */
  readForOp(): EagerTensor {
    const t = this.#eagerValue().clone();
    recordVariableRead(this, t);
    const to = this.#castTo();
    return to ? (cast(t, to) as EagerTensor) : t;
  }
  graphValue(g: Graph): SymbolicTensor {
    const to = this.#castTo();
    if (to) return g.asDefault(() => cast(this.#graphRead(g), to)) as SymbolicTensor;
    return this.#graphRead(g);
  }
  #graphRead(g: Graph): SymbolicTensor {
    if (!this.#graph && g.functionHooks) return this.#tracedRead(g, this.#captureIn(g));
    if (!this.#graph) throw new InvalidArgumentError(`Variable ${this.name} was created eagerly and has no graph node`);
    const s = this.#graph;
    if (s.graph !== g) throw new InvalidArgumentError(`Variable ${this.name} belongs to another tf.Graph than the op being built`);
    return s.snapshot;
  }

  #update(type: "Assign" | "AssignAdd" | "AssignSub", v: TensorLike, name?: string): AnyTensor | Variable {
    const traced = this.#tracedIn();
    if ((this.#graph || traced) && !executingEagerly()) {
      // As TensorFlow, when the graph is built (ResourceVariable.assign's assert_is_compatible_with).
      const valueShape = v instanceof EagerTensor || v instanceof SymbolicTensor || v instanceof Variable ? v.shape : inferShape(v as HostValue);
      if (!shapesCompatible(this.#shape, valueShape)) {
        throw new InvalidArgumentError(`Shapes ${shapeStr(this.#shape)} and ${shapeStr(valueShape)} are incompatible (${type} to variable ${this.name})`);
      }
      if (traced) {
        // The value is converted first, so that reading this variable in it is a read before the write.
        const value = v instanceof Variable ? v.value() : v;
        return Variable.tracedWrite([this], () => buildNode(getOpDef(type)!, [traced.ref, value], {}, name ?? type)).outputs[0];
      }
      return buildNode(getOpDef(type)!, [this.#graph!.ref, v], {}, name ?? type).outputs[0];
    }
    const current = this.#eagerValue();
    const next = withoutRecording(() => {
      const x = toEagerTensor(v, this.#dtype, type);
      if (x.dtype !== this.#dtype) {
        throw new InvalidArgumentError(`${type} on variable ${this.name}: value has dtype ${x.dtype}, expected ${this.#dtype}`);
      }
      if (type === "Assign") {
        if (this.#shape && !shapesCompatible(this.#shape, x.shape)) {
          throw new InvalidArgumentError(
            `Cannot assign value of shape ${shapeStr(x.shape)} to variable ${this.name} of shape ${shapeStr(this.#shape)} [Op:AssignVariableOp]`,
          );
        }
        return x === v ? x.clone() : x;
      }
      const out = execute1(type === "AssignAdd" ? "AddV2" : "Sub", [current, x]) as EagerTensor;
      if (x !== v) x.dispose();
      if (!sameShape(out.shape, current.shape)) {
        out.dispose();
        throw new InvalidArgumentError(
          `${type} on variable ${this.name}: update of shape ${shapeStr(x.shape)} does not match the variable's shape ${shapeStr(current.shape)}`,
        );
      }
      return out;
    });
    next.kept = true;
    this.#value = next;
    current.dispose();
    return this;
  }
  /**
   * tf.Variable.from_proto: the Variable standing for the nodes a VariableDef names in the default graph
   * (an imported meta graph's), each name prefixed by `importScope`. Joins no collection: the caller does.
   */
  static fromProto(variableDef: VariableDef, importScope?: string): Variable {
    const g = getDefaultGraph();
    const scoped = (name: string) => (importScope ? `${importScope}/${name}` : name);
    const tensor = (name: string, what: string): SymbolicTensor => {
      try {
        return g.getTensorByName(scoped(name.includes(":") ? name : `${name}:0`));
      } catch (e) {
        throw new NotFoundError(
          `Variable.fromProto: the ${what} '${scoped(name)}' of variable ${variableDef.variableName} is not in the graph (${(e as Error).message})`,
        );
      }
    };
    const ref = tensor(variableDef.variableName, "variable tensor");
    if (ref.op.type !== "VariableV2") {
      throw new InvalidArgumentError(`Variable.fromProto: ${ref.name} is a ${ref.op.type}, not a variable (VariableV2) node`);
    }
    let initializer: Operation;
    try {
      initializer = g.getOperationByName(scoped(variableDef.initializerName));
    } catch {
      throw new NotFoundError(`Variable.fromProto: the initializer '${scoped(variableDef.initializerName)}' of variable ${ref.name} is not in the graph`);
    }
    const snapshot = variableDef.snapshotName ? tensor(variableDef.snapshotName, "snapshot") : ref;
    const initialValue = variableDef.initialValueName ? tensor(variableDef.initialValueName, "initial value") : (initializer.inputs[1] ?? snapshot);
    fromProtoState = { state: { graph: g, op: ref.op, ref, snapshot, initializer, initialValue }, trainable: variableDef.trainable };
    try {
      return new Variable(0);
    } finally {
      fromProtoState = null;
    }
  }

  /** Variable.to_proto: the VariableDef naming this graph variable's nodes (names relative to `exportScope`). */
  toProto(exportScope?: string): VariableDef {
    const s = this.#graph;
    if (!s) throw new InvalidArgumentError(`Variable ${this.name} was created eagerly: it has no graph nodes for a VariableDef`);
    const strip = (name: string) => {
      if (!exportScope) return name;
      const prefix = exportScope.endsWith("/") ? exportScope : `${exportScope}/`;
      return name.startsWith(prefix) ? name.slice(prefix.length) : name;
    };
    return create(VariableDefSchema, {
      variableName: strip(s.ref.name),
      initialValueName: strip(s.initialValue.name),
      initializerName: strip(s.initializer.name),
      snapshotName: strip(s.snapshot.name),
      isResource: false,
      trainable: this.trainable,
    });
  }

  /**
   * Runs a training op (ApplyGradientDescent, ...) eagerly on `vars` (its ref inputs, in order) and the
   * other `inputs`, installing the new values it returns. Not recorded on tapes.
   */
  static applyEagerly(type: string, vars: readonly Variable[], inputs: readonly TensorLike[], attrs: Attrs): void {
    Variable.applyEagerlyGroup(type, [{ vars, inputs }], attrs);
  }

  /**
   * The same training op on several variables (an optimizer's whole update): where the device can, one
   * launch serves them all (backends' runKernelGroup); otherwise they are updated one by one. Equal JS values
   * among the inputs (the learning rate) become one tensor per dtype and device.
   */
  static applyEagerlyGroup(type: string, items: readonly { vars: readonly Variable[]; inputs: readonly TensorLike[] }[], attrs: Attrs): void {
    const def = getOpDef(type);
    if (!def) throw new InvalidArgumentError(`Op type not registered '${type}'`);
    attrs = normalizeAttrs(def, attrs, type);
    withoutRecording(() => {
      const converted: EagerTensor[] = [];
      const shared = new Map<string, EagerTensor>();
      try {
        const prepared = items.map(({ vars, inputs }) => {
          const dtype = vars[0].dtype;
          // JS values (learning rates) are written straight to the variables' device.
          const backend = vars[0].#eagerValue().handle.backend;
          const ins = inputs.map((x) => {
            if (x instanceof EagerTensor || x instanceof Variable || typeof x !== "number") {
              const t = toEagerTensor(x, dtype, type, backend);
              if (t !== x) converted.push(t);
              return t;
            }
            const key = `${x}:${dtype}:${backend.deviceType}:${backend.deviceIndex}`;
            let t = shared.get(key);
            if (t === undefined) {
              t = toEagerTensor(x, dtype, type, backend);
              converted.push(t);
              shared.set(key, t);
            }
            return t;
          });
          const all = [...vars.map((v) => v.#eagerValue()), ...ins];
          for (const t of all) {
            if (t.dtype !== dtype) throw new InvalidArgumentError(`${type}: all inputs must have dtype ${dtype}, got ${t.dtype} [Op:${type}]`);
          }
          def.infer(
            all.map((t) => ({ dtype: t.dtype, shape: t.shape })),
            attrs,
            type,
          );
          return { vars, handles: all.map((t) => t.handle), backend: all[0].handle.backend };
        });
        const backend = prepared[0].backend;
        const grouped =
          getSetting("groupUpdates") && prepared.length > 1 && prepared.every((p) => p.backend === backend) && backend.runKernelGroup
            ? backend.runKernelGroup(
                type,
                prepared.map((p) => p.handles),
                attrs,
                IN_PLACE,
              )
            : null;
        // The update runs where the variable lives; gradients computed on another device are copied there.
        const outs = grouped ?? prepared.map((p) => runKernelOn(p.backend, type, p.handles, attrs, IN_PLACE));
        prepared.forEach((p, k) => {
          p.vars.forEach((v, i) => {
            const next = new EagerTensor(outs[k][i]);
            next.kept = true;
            const old = v.#value!;
            v.#value = next;
            old.dispose();
          });
        });
      } finally {
        for (const t of converted) t.dispose();
      }
    });
  }

  /** Eagerly updates in place and returns the variable; in a graph returns the Assign op's output. */
  assign(...args: ArgsOf<typeof assignSignature>): AnyTensor | Variable {
    const [value, , name] = parseArgs(assignSignature, args);
    return this.#update("Assign", value, name);
  }
  assignAdd(...args: ArgsOf<typeof assignAddSignature>): AnyTensor | Variable {
    const [delta, , name] = parseArgs(assignAddSignature, args);
    return this.#update("AssignAdd", delta, name);
  }
  assignSub(...args: ArgsOf<typeof assignSubSignature>): AnyTensor | Variable {
    const [delta, , name] = parseArgs(assignSubSignature, args);
    return this.#update("AssignSub", delta, name);
  }

  /** Eager: the value now, as nested arrays. */
  numpy(): unknown {
    return this.#eagerValue().arraySync();
  }
  /** Graph mode: the value in `session` (default: the default session), as Variable.eval does. */
  eval(feedDict?: unknown, session?: unknown): EagerTensor {
    return evalInSession(this.ref, feedDict, session) as EagerTensor;
  }
  dispose(): void {
    this.#value?.dispose();
  }

  toString(): string {
    const shape = this.#shape === null ? "<unknown>" : `(${this.#shape.map((d) => d ?? "?").join(", ")}${this.#shape.length === 1 ? "," : ""})`;
    if (this.#value && !this.#value.isDisposed) {
      return `<tf.Variable '${this.name}' shape=${shape} dtype=${this.#dtype}, numpy=${formatValues(this.#value.dataSync(), this.#value.shape, this.#dtype)}>`;
    }
    return `<tf.Variable '${this.name}' shape=${shape} dtype=${this.#dtype}_ref>`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** The tf.function graph `g` is, or that encloses the control-flow body `g`; null when none. */
function traceGraphAround(g: Graph): Graph | null {
  let cur: Graph | null = g;
  while (cur !== null && cur.functionHooks === null) cur = cur instanceof FuncGraph ? cur.outer : null;
  return cur;
}

/**
 * Control-flow nodes (If, While) built since the last write of a captured variable that take its reference
 * (their bodies read or write it) count as writes: later reads and writes wait for them.
 */
function syncControlFlowWrites(g: Graph, c: CapturedVariableNodes): void {
  const after = c.lastWrite?.id ?? -1;
  for (const op of g.consumersOf(c.ref)) {
    if (op.id > after && (op.type === "If" || op.type === "While" || op.type === "StatelessIf" || op.type === "StatelessWhile")) {
      c.lastWrite = op;
      c.reads = [];
      c.snapshot = null;
    }
  }
}

declare(Variable, variableSignature);
declare(Variable.prototype.assign, assignSignature);
declare(Variable.prototype.assignAdd, assignAddSignature);
declare(Variable.prototype.assignSub, assignSubSignature);

export function applyToVariablesEagerly(type: string, vars: readonly Variable[], inputs: readonly TensorLike[], attrs: Attrs): void {
  Variable.applyEagerly(type, vars, inputs, attrs);
}
export function applyToVariableGroupEagerly(type: string, items: readonly { vars: readonly Variable[]; inputs: readonly TensorLike[] }[], attrs: Attrs): void {
  Variable.applyEagerlyGroup(type, items, attrs);
}
