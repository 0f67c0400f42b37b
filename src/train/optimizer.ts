import type { DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { isFullyDefined, Shape } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { executingEagerly, liftOutOfFunctionGraphs, tracingFunction } from "../core/context.js";
import { tidy } from "../eager/memory.js";
import { withEagerNameScope } from "../core/eager_name_scope.js";
import { EagerTensor } from "../eager/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { GradientTape, withoutRecording } from "../eager/tape.js";
import { gradients } from "../graph/gradients.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { Graph, GraphKeys } from "../graph/graph.js";
import { FuncGraph } from "../graph/func_graph.js";
import { Operation } from "../graph/operation.js";
import { SymbolicTensor } from "../graph/tensor.js";
import { constant, convertToTensor, zerosLike } from "../ops/creation.js";
import { SkipByInputs } from "./skip_step.js";
import { ArgsOf, declare, K, kind, optional, param, parseArgs, signature, withDefault } from "../core/signature.js";
import { cast } from "../ops/cast.js";
import { buildNode } from "../graph/build.js";
import { getOpDef } from "../ops/registry.js";
import { trainableVariables } from "../variables/scope.js";
import { Variable } from "../variables/variable.js";

/** A gradient (null where the loss does not depend on the variable) and its variable. */
export type GradAndVar = [Tensor | null, Variable];
/** A hyperparameter: a number, a tensor (or variable), or (as in TF) a zero-argument function giving one. */
export type Hyper = number | Tensor | Variable | (() => number | Tensor | Variable);

/** What minimize / computeGradients accept as the loss: a tensor (graph mode) or a function giving one. */
export type Loss = Tensor | (() => Tensor);

const LOSS = param("loss", kind<Loss>("Tensor | (() => Tensor)"), "The value to minimize: a tensor (graph mode) or a function returning one (eager mode).");
const VAR_LIST = optional(
  "varList",
  kind<readonly Variable[] | null>("Variable[] | null"),
  "The variables to update; absent: the trainable variables (those the loss function read, eagerly).",
);
const GATE = withDefault("gateGradients", K.int, 1, "GATE_NONE, GATE_OP or GATE_GRAPH (no effect here: gradients are never computed concurrently).");
const AGGREGATION = optional(
  "aggregationMethod",
  kind<unknown>("unknown"),
  "How gradient terms are combined (only TensorFlow's default, adding, is implemented).",
);
const COLOCATE = withDefault("colocateGradientsWithOps", K.boolean, false, "Place gradients with their ops (no effect here).");
const GRAD_LOSS = optional("gradLoss", kind<Tensor | null>("Tensor | null"), "The gradient of the loss to start from (default: ones).");
const GLOBAL_STEP = optional(
  "globalStep",
  kind<Variable | readonly Variable[] | null>("Variable | null"),
  "A variable incremented after the update. A list in its place is TensorFlow 2's var_list (minimize(loss, var_list)).",
);
const STEP_NAME = optional("name", kind<string | null>("string | null"), "The name of the train op (default: the optimizer's name).");

const minimizeSignature = signature("compat.v1.train.Optimizer.minimize", "One training step: computeGradients, then applyGradients.", [
  LOSS,
  GLOBAL_STEP,
  VAR_LIST,
  GATE,
  AGGREGATION,
  COLOCATE,
  STEP_NAME,
  GRAD_LOSS,
]);
export const computeGradientsSignature = signature(
  "compat.v1.train.Optimizer.compute_gradients",
  "[gradient, variable] pairs for the loss (null where it does not depend on the variable).",
  [LOSS, VAR_LIST, GATE, AGGREGATION, COLOCATE, GRAD_LOSS],
);
export const applyGradientsSignature = signature(
  "compat.v1.train.Optimizer.apply_gradients",
  "Updates each variable that has a gradient, then increments globalStep if given.",
  [
    param(
      "gradsAndVars",
      kind<Iterable<readonly [Tensor | TensorLike | null, Variable]>>("Iterable<[Tensor | null, Variable]>"),
      "[gradient, variable] pairs, as computeGradients returns.",
    ),
    optional("globalStep", kind<Variable | null>("Variable | null"), "A variable incremented after the update."),
    STEP_NAME,
  ],
);

const VALID_DTYPES: readonly DType[] = ["float16", "bfloat16", "float32", "float64"];

/** The variable's node name: "W" for "W:0" (eager variables are named the same way). */
export function varOpName(v: Variable): string {
  return v.name.replace(/:\d+$/, "");
}

/**
 * Eagerly no name is ever uniquified by a graph, but slot variables still follow variable_scope's
 * counting ("W/Adam", then "W/Adam_1" for the second slot), so the count is kept here.
 */
const eagerSlotNames = new Map<string, number>();
function uniqueEagerName(name: string): string {
  const key = name.toLowerCase();
  if (!eagerSlotNames.has(key)) {
    eagerSlotNames.set(key, 1);
    return name;
  }
  let i = 1;
  while (eagerSlotNames.has(`${key}_${i}`)) i++;
  eagerSlotNames.set(`${key}_${i}`, 1);
  return `${name}_${i}`;
}

/**
 * ops.init_scope: what optimizers create as state (slots, beta powers) must not pick up the control
 * dependencies open where minimize() was called, nor be recorded by a tape.
 */
function initScope<T>(graph: Graph | null, fn: () => T): T {
  // Eager state made while tracing a tf.function is made outside the trace, as TensorFlow's init_scope does.
  if (graph === null) return liftOutOfFunctionGraphs(() => withoutRecording(fn));
  return graph.asDefault(() => graph.controlDependencies(null, fn));
}

/** Whether `g` is a function body (a branch, a loop body) nested, at any depth, in `outer`. */
function isNestedIn(g: Graph, outer: Graph): boolean {
  for (let cur: Graph = g; cur instanceof FuncGraph; cur = cur.outer) if (cur.outer === outer) return true;
  return false;
}

/**
 * The graph whose variables the optimizer's state belongs to where ops are being built now: null eagerly and
 * while tracing a tf.function (eager variables), else the default graph, or the graph a function body (a
 * loss-scaling optimizer's tf.cond branch) is nested in.
 */
function stateGraph(): Graph | null {
  if (executingEagerly() || tracingFunction()) return null;
  let g = getDefaultGraph();
  while (g instanceof FuncGraph) g = g.outer;
  return g;
}

/** One update's result as an Operation (graph) or null (eager). */
function asOp(x: Tensor | Operation | Variable | null): Operation | null {
  if (x instanceof Operation) return x;
  if (x instanceof SymbolicTensor) return x.op;
  return null;
}

/**
 * Graph mode: a NoOp that runs after `deps`. A name ending in "/" is used exactly (without the slash),
 * as TensorFlow does for `group(..., name=scope)`, so the train op is called "Adam", not "Adam/group_deps".
 */
export function groupNamed(deps: readonly (Tensor | Operation | Variable | null)[], name: string): Operation | null {
  if (executingEagerly()) return null;
  const g = getDefaultGraph();
  const ops = deps.map(asOp).filter((o): o is Operation => o !== null);
  if (name.endsWith("/")) return g.createOp(getOpDef("NoOp")!, name.slice(0, -1), [], {}, [], ops);
  return g.controlDependencies(ops, () => buildNode(getOpDef("NoOp")!, [], {}, name));
}

/**
 * tf.compat.v1.train.Optimizer: the base class of TensorFlow 1's optimizers. Subclasses create their
 * slots (createSlots), convert their hyperparameters (prepare) and build one variable's update
 * (applyDense); minimize = computeGradients + applyGradients, as in TensorFlow.
 */
export abstract class Optimizer {
  static readonly GATE_NONE = 0;
  static readonly GATE_OP = 1;
  static readonly GATE_GRAPH = 2;

  readonly useLocking: boolean;
  readonly #name: string;
  /** slot name -> primary variable -> slot variable. */
  readonly #slots = new Map<string, Map<Variable, Variable>>();
  /** Variables that are not per-variable slots (Adam's beta powers), by name and graph. */
  readonly #nonSlot: { name: string; graph: Graph | null; v: Variable }[] = [];

  constructor(useLocking: boolean, name: string) {
    if (!name) throw new InvalidArgumentError("Must specify the optimizer name");
    this.useLocking = useLocking;
    this.#name = name;
  }

  getName(): string {
    return this.#name;
  }

  /**
   * Whether this optimizer's update (graph mode) can be skipped by its inputs alone
   * (`_applyGradientsIfFinite`): its only writes are its variables and slots, and with the hyperparameters
   * `guard` substitutes the update leaves them exactly as they were.
   */
  protected skipsByInputs(): boolean {
    return false;
  }
  /** While `_applyGradientsIfFinite` builds the update: its selects on the step's finite check. */
  #skip: SkipByInputs | null = null;

  /**
   * `x` where the step takes effect, else `skipped` (a learning rate 0, a momentum 1, a gradient -0): a select,
   * so a non-finite gradient never reaches the arithmetic of a skipped update.
   */
  protected guard(x: TensorLike, skipped: number): TensorLike {
    return this.#skip === null ? x : this.#skip.guard(x, skipped);
  }

  /**
   * Graph mode, dynamic loss scaling (train/mixed_precision.ts): the update of `pairs` taking effect only
   * where `finite` (a bool scalar) holds, built from this optimizer's own update op with its inputs guarded,
   * when `skipsByInputs`; otherwise null (the caller selects every written variable instead). Where finite
   * the update's inputs are the unguarded ones, so its results are the plain update's bit for bit.
   */
  _applyGradientsIfFinite(
    pairs: readonly (readonly [TensorLike | null, Variable])[],
    finite: Tensor,
    opts: { globalStep?: Variable | null; name?: string | null } = {},
  ): Operation | null {
    if (!this.skipsByInputs() || executingEagerly()) return null;
    this.#skip = new SkipByInputs(finite);
    try {
      return this.applyGradients(pairs, opts);
    } finally {
      this.#skip = null;
    }
  }

  /**
   * minimize(loss, global_step, var_list, gate_gradients, aggregation_method, colocate_gradients_with_ops,
   * name, grad_loss): one training step. Graph mode returns the train op; eagerly (where `loss` must be a
   * function, as with TensorFlow's v1 optimizers) the step is taken at once and null is returned.
   */
  minimize(...args: ArgsOf<typeof minimizeSignature>): Operation | null {
    const [loss, stepOrList, varList0, gateGradients, aggregationMethod, colocateGradientsWithOps, name, gradLoss] = parseArgs(minimizeSignature, args);
    // TensorFlow 2's minimize(loss, var_list): a list in global_step's place is the variables to update.
    const listGiven = Array.isArray(stepOrList);
    if (listGiven && varList0 != null)
      throw new InvalidArgumentError(`${this.#name}.minimize: var_list given twice (a list in global_step's place is TensorFlow 2's var_list)`);
    const varList = listGiven ? (stepOrList as readonly Variable[]) : varList0;
    const globalStep = listGiven ? null : ((stepOrList ?? null) as Variable | null);
    const step = () => {
      const gradsAndVars = this.computeGradients(loss, { varList, gateGradients, aggregationMethod, colocateGradientsWithOps, gradLoss });
      const withGrad = gradsAndVars.filter(([g]) => g !== null);
      if (withGrad.length === 0) {
        throw new InvalidArgumentError(
          `No gradients provided for any variable, check your graph for ops that do not support gradients, between variables [${gradsAndVars.map(([, v]) => `"${v.toString()}"`).join(", ")}] and loss ${typeof loss === "function" ? "<function>" : loss.toString()}.`,
        );
      }
      return this.applyGradients(gradsAndVars, { globalStep, name });
    };
    // Eagerly the loss and the gradients are this step's temporaries: free them with the step.
    return executingEagerly() ? tidy(step) : step();
  }

  /**
   * computeGradients(loss, var_list, ...): [gradient, variable] pairs, the gradient null where the loss does
   * not depend on the variable. var_list defaults to the trainable variables (graph mode) or the trainable
   * variables the loss function read (eager mode, through a GradientTape).
   */
  computeGradients(...args: ArgsOf<typeof computeGradientsSignature>): GradAndVar[] {
    const [loss, varList0, , , , gradLoss] = parseArgs(computeGradientsSignature, args);
    const a = { varList: varList0, gradLoss };
    if (a.varList != null) for (const v of a.varList) this.#checkVariable(v);
    // Eagerly, and while tracing a tf.function (where the tape's gradient is tf.gradients of the trace).
    const tracing = tracingFunction();
    if (typeof loss === "function" && (executingEagerly() || tracing)) {
      const tape = new GradientTape();
      if (a.varList != null) tape.watch([...a.varList]);
      const lossValue = tape.run(loss);
      if (!(lossValue instanceof EagerTensor) && !(tracing && lossValue instanceof SymbolicTensor)) {
        throw new InvalidArgumentError(`The loss function passed to ${this.#name}.computeGradients must return an eager tensor, got ${String(lossValue)}`);
      }
      this.#assertValidDType(lossValue.dtype, "loss");
      const varList = a.varList != null ? [...a.varList] : (tape.watchedVariables() as Variable[]); // tapes hold variables through the tensor-like protocol; only Variable implements it
      if (varList.length === 0) throw new InvalidArgumentError("No variables to optimize.");
      const grads: (Tensor | null)[] = tape.gradient(lossValue, varList, a.gradLoss ? [a.gradLoss as EagerTensor] : null);
      const pairs = varList.map((v, i): GradAndVar => [grads[i], v]);
      this.#assertValidDTypes(pairs);
      return pairs;
    }
    if (executingEagerly()) {
      throw new InvalidArgumentError("`loss` passed to Optimizer.compute_gradients should be a function when eager execution is enabled.");
    }
    const lossT = typeof loss === "function" ? loss() : loss;
    if (!(lossT instanceof SymbolicTensor)) {
      throw new InvalidArgumentError(`${this.#name}.computeGradients: loss must be a graph tensor, got ${String(lossT)}`);
    }
    this.#assertValidDType(lossT.dtype, lossT.name);
    const varList = a.varList != null ? [...a.varList] : (lossT.graph.asDefault(() => trainableVariables()) as Variable[]);
    if (varList.length === 0) throw new InvalidArgumentError("No variables to optimize.");
    const grads = lossT.graph.asDefault(() => gradients(lossT, varList, { gradYs: a.gradLoss ?? null }));
    const pairs = varList.map((v, i): GradAndVar => [grads[i], v]);
    this.#assertValidDTypes(pairs);
    return pairs;
  }

  /**
   * applyGradients(grads_and_vars, global_step, name): updates each variable that has a gradient (null
   * gradients are skipped), then increments global_step if given. Graph mode returns the train op, named
   * after the optimizer (or `name`); eagerly the update happens now and null is returned.
   */
  applyGradients(...args: ArgsOf<typeof applyGradientsSignature>): Operation | null {
    const [gradsAndVars, globalStep, name] = parseArgs(applyGradientsSignature, args);
    const a = { globalStep, name };
    const list = [...gradsAndVars];
    if (list.length === 0) throw new InvalidArgumentError("No variables provided.");
    for (const pair of list) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new InvalidArgumentError(`applyGradients expects [gradient, variable] pairs, got ${String(pair)}`);
      }
      this.#checkVariable(pair[1]);
    }
    if (a.globalStep != null) this.#checkVariable(a.globalStep, "global_step");
    if (executingEagerly()) return tidy(() => this.#applyEager(list, a.globalStep ?? null));
    return this.#applyGraph(list, a.globalStep ?? null, a.name ?? null);
  }

  #converted(list: readonly (readonly [TensorLike | null, Variable])[]): [Tensor | null, Variable][] {
    return list.map(([g, v]) => {
      if (g === null || g === undefined) return [null, v];
      const t = convertToTensor(g as TensorLike, { dtype: v.dtype });
      if (t.dtype !== v.dtype) {
        throw new InvalidArgumentError(`Gradient for ${v.name} has dtype ${t.dtype}, expected ${v.dtype} (the variable's dtype)`);
      }
      return [t, v];
    });
  }

  #applyEager(list: readonly (readonly [TensorLike | null, Variable])[], globalStep: Variable | null): null {
    const converted = this.#converted(list);
    const varList = converted.filter(([g]) => g !== null).map(([, v]) => v);
    if (varList.length === 0) {
      throw new InvalidArgumentError(`No gradients provided for any variable: [${converted.map(([, v]) => `"${v.name}"`).join(", ")}].`);
    }
    this.createSlots(varList);
    withEagerNameScope(this.#name, () => {
      this.prepare();
      this.applyDenseEagerly(converted.filter((p): p is [Tensor, Variable] => p[0] !== null));
      this.finish([], this.#name);
      if (globalStep) globalStep.assignAdd(1);
    });
    return null;
  }

  #applyGraph(list: readonly (readonly [TensorLike | null, Variable])[], globalStep: Variable | null, name: string | null): Operation {
    // Eager variables are updated in a graph only while a tf.function traces it (they are captured there).
    const traced = tracingFunction() ? getDefaultGraph() : null;
    const home = list[0][1].graph ?? traced;
    if (!home) throw new InvalidArgumentError(`Variable ${list[0][1].name} was created eagerly; apply its gradients eagerly`);
    // Inside a branch of the variables' graph (a loss-scaling optimizer's tf.cond) the updates are the branch's.
    const current = getDefaultGraph();
    const g = isNestedIn(current, home) ? current : home;
    return g.asDefault(() => {
      for (const [, v] of list) {
        if ((v.graph ?? traced) !== home) throw new InvalidArgumentError(`Variable ${v.name} must be from the same graph as ${list[0][1].name}`);
      }
      const converted = this.#converted(list);
      const varList = converted.filter(([gr]) => gr !== null).map(([, v]) => v);
      if (varList.length === 0) {
        throw new InvalidArgumentError(`No gradients provided for any variable: [${converted.map(([, v]) => `"${v.name}"`).join(", ")}].`);
      }
      initScope(home, () => this.createSlots(varList));
      return g.nameScope(name ?? this.#name, (scope) => {
        this.prepare();
        const updateOps: Operation[] = [];
        for (const [gr, v] of converted) {
          if (gr === null) continue;
          const op = g.nameScope(`update_${varOpName(v)}`, () => asOp(this.applyDense(gr, v)));
          if (op) updateOps.push(op);
        }
        let applyUpdates: Operation;
        if (globalStep === null) {
          applyUpdates = this.finish(updateOps, scope)!;
        } else {
          const finished = this.finish(updateOps, "update")!;
          applyUpdates = g.controlDependencies([finished], () => {
            // A step that does not take effect (_applyGradientsIfFinite) does not count.
            const one = convertToTensor(this.guard(constant(1, { dtype: globalStep.dtype }), 0), { dtype: globalStep.dtype });
            // Named exactly after the optimizer's scope, as TensorFlow names the train op.
            const def = getOpDef("AssignAdd")!;
            const inputs = [globalStep.ref, one as SymbolicTensor];
            const outs = def.infer(
              inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })),
              {},
              scope.slice(0, -1),
            );
            return g.createOp(def, scope.slice(0, -1), inputs, {}, outs);
          });
        }
        const trainOps = g.getCollectionRef<Operation>(GraphKeys.TRAIN_OP);
        if (!trainOps.includes(applyUpdates)) trainOps.push(applyUpdates);
        return applyUpdates;
      });
    });
  }

  /**
   * For loss scaling (train/skip_step.ts): the variables a step on `varList` writes besides them and a global
   * step, i.e. their slots and the non-slot variables of their graph (Adam's beta powers), made now where they
   * are missing, as applyGradients makes them.
   */
  _stepVariables(varList: readonly Variable[]): Variable[] {
    const home = varList[0].graph ?? (tracingFunction() ? getDefaultGraph() : null);
    initScope(home, () => this.createSlots(varList));
    const graph = varList[0].graph;
    const slots = varList.flatMap((v) => [...this.#slots.values()].map((byVar) => byVar.get(v)).filter((s): s is Variable => s !== undefined));
    return [...slots, ...this.#nonSlot.filter((e) => e.graph === graph).map((e) => e.v)];
  }

  /** The slot `name` of variable `v` ("m" of Adam, "momentum" of Momentum), or null. */
  getSlot(v: Variable, name: string): Variable | null {
    return this.#slots.get(name)?.get(v) ?? null;
  }
  /** The names of this optimizer's slots, sorted. */
  getSlotNames(): string[] {
    return [...this.#slots.keys()].sort();
  }
  /** The variables this optimizer made (slots and non-slot variables) in the current graph, sorted by name. */
  variables(): Variable[] {
    const graph = stateGraph();
    const out: Variable[] = this.#nonSlot.filter((e) => e.graph === graph).map((e) => e.v);
    for (const slots of this.#slots.values()) for (const s of slots.values()) if (s.graph === graph) out.push(s);
    return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  }

  // ---------------------------------------------------------------- for subclasses

  /** Creates the slots the variables need (called before any update is built). */
  protected createSlots(_varList: readonly Variable[]): void {}
  /** Converts the hyperparameters (graph mode: to tensors named after them, in the optimizer's scope). */
  protected prepare(): void {}
  /** Builds (graph) or performs (eager) one variable's update from a dense gradient. */
  protected abstract applyDense(grad: Tensor, v: Variable): Tensor | Operation | Variable | null;
  /** Eager updates of all variables with a gradient; optimizers whose op can be grouped do it in one go. */
  protected applyDenseEagerly(pairs: readonly [Tensor, Variable][]): void {
    for (const [g, v] of pairs) this.applyDense(g, v);
  }
  /** Groups the update ops into one op named `nameScope` (a name ending in "/" is taken as is). */
  protected finish(updateOps: readonly Operation[], nameScope: string): Operation | null {
    return groupNamed(updateOps, nameScope);
  }

  /** Calls a callable hyperparameter; graph mode converts it to a tensor named `name` (TF's _prepare). */
  protected prepareHyper(value: Hyper, name: string): number | Tensor | Variable {
    const v = typeof value === "function" ? value() : value;
    if (executingEagerly()) return v;
    return convertToTensor(v, { name });
  }
  /** A prepared hyperparameter in the dtype of `v` (TF casts each to var.dtype.base_dtype). */
  protected hyper(value: number | Tensor | Variable, v: Variable): TensorLike {
    if (typeof value === "number") return value;
    const t = value instanceof Variable ? value.value() : value;
    return t.dtype === v.dtype ? t : cast(t, v.dtype);
  }

  /** A slot of `v` filled with zeros, named `${v}/${opName}` (uniquified as TensorFlow does). */
  protected zerosSlot(v: Variable, slotName: string, opName: string): Variable {
    return this.getOrMakeSlotWithInitializer(
      v,
      (shape, dtype) => constant(0, { dtype, shape }),
      slotName,
      opName,
      () => zerosLike(v.initialValue),
    );
  }

  /**
   * The slot `slotName` of `v`, made on first use from `init(shape, dtype)` (or `initUnknown()` where v's
   * shape is not fully defined). Slot variables are non-trainable and ignore the current name scope.
   */
  protected getOrMakeSlotWithInitializer(
    v: Variable,
    init: (shape: number[], dtype: DType) => TensorLike,
    slotName: string,
    opName: string,
    initUnknown?: () => TensorLike,
  ): Variable {
    let named = this.#slots.get(slotName);
    if (!named) this.#slots.set(slotName, (named = new Map()));
    let slot = named.get(v);
    if (!slot) {
      slot = this.#createSlotVariable(v, init, opName, initUnknown);
      named.set(v, slot);
    }
    return slot;
  }

  #createSlotVariable(primary: Variable, init: (shape: number[], dtype: DType) => TensorLike, opName: string, initUnknown?: () => TensorLike): Variable {
    const shape: Shape = primary.shape;
    const initial = () => {
      if (isFullyDefined(shape)) return init(shape as number[], primary.dtype);
      if (!initUnknown) throw new InvalidArgumentError(`Slot ${opName} of ${primary.name}: the variable's shape ${String(shape)} is not fully defined`);
      return initUnknown();
    };
    const full = `${varOpName(primary)}/${opName}`;
    const g = primary.graph;
    if (g === null) {
      const name = uniqueEagerName(full);
      const parts = name.split("/");
      return initScope(null, () =>
        withEagerNameScope(
          `${parts.slice(0, -1).join("/")}/`,
          () => new Variable(initial, { name: parts[parts.length - 1], trainable: false, dtype: primary.dtype }),
        ),
      );
    }
    // The graph makes "W/Adam" unique ("W/Adam_1" for the second slot), as variable_scope's default_name does.
    return initScope(g, () =>
      g.nameScope("", () => new Variable(initial, { name: full, trainable: false, dtype: primary.dtype, validateShape: isFullyDefined(shape) })),
    );
  }

  /** A variable of the optimizer that belongs to no one variable (Adam's "beta1_power"), made once per graph. */
  protected createNonSlotVariable(initialValue: TensorLike | (() => TensorLike), name: string, colocateWith: Variable): Variable {
    const graph = colocateWith.graph;
    let e = this.#nonSlot.find((x) => x.name === name && x.graph === graph);
    if (!e) {
      const v = initScope(graph, () => new Variable(initialValue, { name, trainable: false }));
      this.#nonSlot.push((e = { name, graph, v }));
    }
    return e.v;
  }
  protected getNonSlotVariable(name: string, graph: Graph | null = stateGraph()): Variable | null {
    return this.#nonSlot.find((x) => x.name === name && x.graph === graph)?.v ?? null;
  }

  #checkVariable(v: unknown, what = "var_list"): asserts v is Variable {
    if (!(v instanceof Variable)) {
      throw new InvalidArgumentError(`${this.#name}: ${what} must contain tf.Variable objects, got ${String(v)}`);
    }
  }
  #assertValidDTypes(pairs: readonly GradAndVar[]): void {
    for (const [g, v] of pairs) if (g !== null) this.#assertValidDType(v.dtype, v.name);
  }
  #assertValidDType(dtype: DType, name: string): void {
    if (!VALID_DTYPES.includes(dtype)) {
      throw new InvalidArgumentError(`Invalid type ${dtype} for ${name}, expected: [${VALID_DTYPES.join(", ")}].`);
    }
  }
}

// ---------------------------------------------------------------- update helpers shared by the optimizers

/** v = value; the result is the new value (graph: the Assign's output; eager: the variable's value). */
export function assignT(v: Variable, value: TensorLike, name?: string): TensorLike {
  const r = v.assign(value, { name });
  return r instanceof Variable ? r.value() : r;
}
export function assignAddT(v: Variable, delta: TensorLike, name?: string): TensorLike {
  const r = v.assignAdd(delta, { name });
  return r instanceof Variable ? r.value() : r;
}
export function assignSubT(v: Variable, delta: TensorLike, name?: string): Tensor | Variable {
  return v.assignSub(delta, { name });
}

declare(Optimizer.prototype.minimize, minimizeSignature);
declare(Optimizer.prototype.computeGradients, computeGradientsSignature);
declare(Optimizer.prototype.applyGradients, applyGradientsSignature);
