/**
 * tf.keras.optimizers.Optimizer: the base of Keras's optimizers (TensorFlow 2.11+ / Keras 3 update rules).
 * One step, applyGradients([[grad, var], ...]):
 *   1. null gradients are dropped; gradients are clipped (clipnorm per gradient, else globalClipnorm over all,
 *      else clipvalue; Keras allows only one of them);
 *   2. slot variables are made on the first step (eagerly, outside any trace; for TF1 graph variables in their
 *      graph), with the iteration counter and the learning-rate variable;
 *   3. decoupled weight decay: var -= var * weightDecay * lr (where weightDecay is set);
 *   4. each variable's update (subclasses' updateStep), through the fused training ops (ApplyGradientDescent,
 *      ApplyMomentum, ApplyAdam) where they compute Keras's rule exactly; eagerly one grouped launch per op type;
 *   5. iterations += 1, then each weight's constraint (engine/layer.ts weightConstraints) is applied.
 * It runs eagerly, inside a tf.function trace (the updates become graph ops on the captured eager variables)
 * and in a TF1 tf.Graph on graph variables (applyGradients then returns the train op to run).
 * The learning rate is a number (held in a variable, so that setting it, as ReduceLROnPlateau does, needs no
 * retrace), a LearningRateSchedule (called with the iterations before the step) or a tf.Variable.
 */
import { executingEagerly } from "../../core/context.js";
import type { DType } from "../../core/dtype.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { isFullyDefined } from "../../core/shape.js";
import { ArgsOf, declare, K, kind, optional, param, parseArgs, signature } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { tidy } from "../../eager/memory.js";
import { GradientTape } from "../../eager/tape.js";
import { getDefaultGraph } from "../../graph/default_graph.js";
import { gradients } from "../../graph/gradients.js";
import type { Graph } from "../../graph/graph.js";
import { Operation } from "../../graph/operation.js";
import { controlDependencies } from "../../graph/scopes.js";
import { SymbolicTensor } from "../../graph/tensor.js";
import { cast } from "../../ops/cast.js";
import { constant, convertToTensor } from "../../ops/creation.js";
import { SkipByInputs } from "../../train/skip_step.js";
import { add, divide, maximum, minimum, multiply, sqrt } from "../../ops/elementwise.js";
import { identity } from "../../ops/movement.js";
import { addN, reduceSum } from "../../ops/reduce.js";
import { groupNamed } from "../../train/optimizer.js";
import { applyTrainingOp, applyTrainingOpGroupEagerly } from "../../variables/training.js";
import { Variable } from "../../variables/variable.js";
import { type SlotEntry, TrackedValue, trackableChanged } from "../../saving/trackable.js";
import { weightConstraints } from "../engine/layer.js";
import { inStateScope } from "./init_scope.js";
import { LearningRateSchedule } from "./schedules.js";

/** A gradient (null: the loss does not depend on the variable) and its variable. */
export type GradAndVar = readonly [Tensor | TensorLike | null, Variable];
/** What an optimizer's learning rate may be. */
export type LearningRate = number | LearningRateSchedule | Variable;

export const LEARNING_RATE = kind<LearningRate>("number | LearningRateSchedule | Variable");
/** The keywords every Keras optimizer accepts after its own (Keras's base Optimizer arguments). */
export const CLIP_KWARGS = [
  optional("clipnorm", K.number, "Each gradient is rescaled to this L2 norm at most."),
  optional("clipvalue", K.number, "Each gradient is clipped elementwise to [-clipvalue, clipvalue]."),
  optional("globalClipnorm", K.number, "All gradients are rescaled together to this global L2 norm at most."),
] as const;
export const OPTIMIZER_KWARGS = [
  optional("weightDecay", K.number, "Decoupled weight decay: var -= var * weightDecay * lr before each update."),
  ...CLIP_KWARGS,
] as const;
export const optimizerName = (def: string) => optional("name", K.string, `The optimizer's name (default "${def}").`);

/** The kwargs' values (the last five of a parsed optimizer signature). */
export interface OptimizerArgs {
  learningRate: LearningRate;
  weightDecay?: number | null;
  clipnorm?: number | null;
  clipvalue?: number | null;
  globalClipnorm?: number | null;
  name: string;
}
export function optimizerArgs(learningRate: LearningRate, kw: readonly unknown[], defaultName: string): OptimizerArgs {
  const [weightDecay, clipnorm, clipvalue, globalClipnorm, name] = kw.slice(-5) as (number | undefined)[];
  return { learningRate, weightDecay, clipnorm, clipvalue, globalClipnorm, name: (name as unknown as string | undefined) ?? defaultName };
}

/** Per-step values shared by the variables' updates (the learning rate in each dtype, the step, ...). */
export class StepContext {
  readonly #lr: TensorLike;
  readonly #cache = new Map<string, Tensor>();
  /** The iteration counter (before this step's increment). */
  readonly iterations: Variable;
  constructor(lr: TensorLike, iterations: Variable) {
    this.#lr = lr;
    this.iterations = iterations;
  }
  /** A value computed once per step and dtype. */
  cached(key: string, dtype: DType, make: () => Tensor): Tensor {
    const k = `${key}:${dtype}`;
    let t = this.#cache.get(k);
    if (!t) this.#cache.set(k, (t = make()));
    return t;
  }
  /** The learning rate in `dtype`. */
  lr(dtype: DType): Tensor {
    return this.cached("lr", dtype, () => cast(this.#lr, dtype));
  }
  /** The 1-based step count in `dtype` (Keras's local_step = iterations + 1). */
  step(dtype: DType): Tensor {
    return this.cached("step", dtype, () => add(cast(this.iterations, dtype), 1));
  }
}

/** A training op queued for one variable (eagerly grouped with the others of its type). */
interface FusedUpdate {
  type: string;
  vars: Variable[];
  inputs: TensorLike[];
  attrs: Record<string, boolean>;
}

const minimizeSignature = signature("keras.optimizers.Optimizer.minimize", "Computes the gradients of loss with respect to varList and applies them.", [
  param(
    "loss",
    kind<Tensor | (() => Tensor)>("Tensor | (() => Tensor)"),
    "The loss: a function returning it (eagerly), or a tensor (with tape, or in a graph).",
  ),
  param("varList", kind<readonly Variable[]>("Variable[]"), "The variables to update."),
  optional("tape", kind<GradientTape>("GradientTape"), "The tape that recorded a loss tensor."),
]);
const applySignature = signature("keras.optimizers.Optimizer.apply_gradients", "Applies [gradient, variable] pairs (null gradients are skipped).", [
  param("gradsAndVars", kind<Iterable<GradAndVar>>("Iterable<[Tensor | null, Variable]>"), "[gradient, variable] pairs."),
  optional("name", K.string, "A name for the train op (graph mode)."),
]);

/** The graph a variable belongs to (null: an eager variable). */
const homeOf = (v: Variable): Graph | null => v.graph;

/** The current value of a variable as an op input: a fresh read in a TF1 graph (after the ops it waits for), else the variable itself. */
export function readVar(v: Variable): Tensor {
  return v.graph !== null ? (v.readValue() as Tensor) : identity(v);
}

export abstract class Optimizer {
  readonly name: string;
  readonly weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  #lr: LearningRate;
  /** The eager variable holding a numeric learning rate (made with the first step or the first read). */
  #lrVar: Variable | null = null;
  readonly #iterations = new Map<Graph | null, Variable>();
  /** primary variable -> slot name -> slot variable. */
  readonly #slots = new Map<Variable, Map<string, Variable>>();
  readonly #slotList: Variable[] = [];

  constructor(args: OptimizerArgs) {
    this.name = args.name;
    const set = [args.clipnorm, args.clipvalue, args.globalClipnorm].filter((x) => x !== null && x !== undefined).length;
    if (set > 1) {
      throw new InvalidArgumentError(
        `${this.name}: only one of clipnorm, clipvalue and globalClipnorm can be set (got clipnorm=${args.clipnorm}, clipvalue=${args.clipvalue}, globalClipnorm=${args.globalClipnorm})`,
      );
    }
    this.weightDecay = args.weightDecay ?? null;
    this.clipnorm = args.clipnorm ?? null;
    this.clipvalue = args.clipvalue ?? null;
    this.globalClipnorm = args.globalClipnorm ?? null;
    this.#lr = checkLearningRate(args.learningRate, this.name);
  }

  // ---------------------------------------------------------------- learning rate and iterations

  /** The current learning rate as a number (a schedule's value at the current iterations). */
  get learningRate(): number {
    const lr = this.#lr;
    if (typeof lr === "number") return this.#lrVar ? readNumber(this.#lrVar) : lr;
    if (lr instanceof LearningRateSchedule) return inStateScope(null, () => tidy(() => lr(cast(this.iterations, "float32")).item()));
    return readNumber(lr);
  }
  /** Sets the learning rate: a number updates it in place (a traced step sees it), a schedule or variable replaces it. */
  set learningRate(value: LearningRate) {
    checkLearningRate(value, this.name);
    if (typeof value === "number" && typeof this.#lr === "number") {
      this.#lr = value;
      if (this.#lrVar) inStateScope(null, () => this.#lrVar!.assign(constant(value, { dtype: "float32" })));
      return;
    }
    const current = this.#lr;
    if (typeof value === "number" && current instanceof Variable && current.graph === null) {
      inStateScope(null, () => current.assign(constant(value, { dtype: current.dtype })));
      return;
    }
    if (typeof value === "number" && this.#lr instanceof LearningRateSchedule) {
      throw new InvalidArgumentError(
        `${this.name}: this optimizer was created with a LearningRateSchedule as its learning rate, hence its learning rate is not settable to a number; set a new schedule instead`,
      );
    }
    this.#lr = value;
    this.#lrVar = null;
  }
  /** Keras 2's short name. */
  get lr(): number {
    return this.learningRate;
  }
  set lr(value: LearningRate) {
    this.learningRate = value;
  }
  /** The learning rate as given: a number, a schedule or a variable. */
  get learningRateSource(): LearningRate {
    return this.#lr;
  }

  /** The number of steps taken (an int64 variable; in a TF1 graph the one of the current default graph). */
  get iterations(): Variable {
    const home = executingEagerly() ? null : this.#iterations.has(getDefaultGraph()) ? getDefaultGraph() : null;
    return this.#iterationsOf(home);
  }
  #iterationsOf(home: Graph | null): Variable {
    let it = this.#iterations.get(home);
    if (!it) {
      it = inStateScope(home, () => new Variable(constant(0, { dtype: "int64" }), { name: `${this.name}/iteration`, trainable: false, dtype: "int64" }));
      this.#iterations.set(home, it);
      // A restore may be waiting for `iter`.
      if (home === null) trackableChanged(this);
    }
    return it;
  }
  /** The learning rate of a step on `home`'s variables, as an op input. */
  #lrFor(home: Graph | null, iterations: Variable): TensorLike {
    const lr = this.#lr;
    if (lr instanceof LearningRateSchedule) return lr(cast(iterations, "float32"));
    if (lr instanceof Variable) return lr;
    if (home !== null) return constant(lr, { dtype: "float32" });
    if (!this.#lrVar) {
      this.#lrVar = inStateScope(null, () => new Variable(constant(lr, { dtype: "float32" }), { name: `${this.name}/learning_rate`, trainable: false }));
    }
    return this.#lrVar;
  }

  // ---------------------------------------------------------------- slots

  /** The slot variable `slotName` of `v` ("m", "v", "momentum", ...), made with `init` (zeros by default) on first use. */
  protected addSlot(v: Variable, slotName: string, initialValue = 0): Variable {
    let named = this.#slots.get(v);
    if (!named) this.#slots.set(v, (named = new Map()));
    let slot = named.get(slotName);
    if (!slot) {
      const shape = v.shape;
      if (!isFullyDefined(shape))
        throw new InvalidArgumentError(`${this.name}: slot ${slotName} of ${v.name} needs a fully defined shape, got ${String(shape)}`);
      const base = `${v.name.replace(/:\d+$/, "")}/${slotName}`;
      const init = () => constant(initialValue, { dtype: v.dtype, shape: shape as number[] });
      const home = homeOf(v);
      slot = inStateScope(home, () =>
        home === null
          ? new Variable(init, { name: base, trainable: false, dtype: v.dtype })
          : home.nameScope("", () => new Variable(init, { name: base, trainable: false, dtype: v.dtype })),
      );
      named.set(slotName, slot);
      this.#slotList.push(slot);
      // A restore may be waiting for this slot.
      if (home === null) trackableChanged(this);
    }
    return slot;
  }
  /** The slot `slotName` of `v`, or null. */
  getSlot(v: Variable, slotName: string): Variable | null {
    return this.#slots.get(v)?.get(slotName) ?? null;
  }
  /** The optimizer's variables: the iteration counter, the learning rate's variable, then the slots in creation order. */
  variables(): Variable[] {
    const out: Variable[] = [...this.#iterations.values()];
    if (this.#lrVar) out.push(this.#lrVar);
    return [...out, ...this.#slotList];
  }

  // ---------------------------------------------------------------- checkpoints

  readonly #trackedHypers = new Map<string, TrackedValue>();
  #trackedHyper(name: string, read: () => number, write: (x: number) => void): TrackedValue {
    let t = this.#trackedHypers.get(name);
    if (!t) {
      // Hyperparameters are float32 variables in TensorFlow: a restored value equal to the current one in
      // float32 keeps the exact number this optimizer was made with.
      const writeChanged = (x: number) => {
        if (Math.fround(read()) !== Math.fround(x)) write(x);
      };
      this.#trackedHypers.set(name, (t = new TrackedValue("float32", `${this.name}/${name}`, read, writeChanged)));
    }
    return t;
  }
  /** The hyperparameters tf.keras's OptimizerV2 keeps in variables besides learning_rate and decay: checkpoint name -> property. */
  protected checkpointHyperFields(): Record<string, string> {
    return {};
  }
  /** The name TensorFlow 2's Keras (OptimizerV2) gives a slot. */
  protected checkpointSlotName(slotName: string): string {
    return slotName;
  }

  /**
   * The checkpoint protocol (saving/trackable.ts) with tf.keras OptimizerV2's names (TensorFlow 2.0-2.10, and
   * tf.keras.optimizers.legacy after): `iter` (the step counter, once made), then the hyperparameters in
   * sorted order (`beta_1`, `beta_2`, `decay`, `learning_rate`, `momentum`, `rho`); the slot variables through
   * _trackableSlots. tsflow has no `decay` (saved as 0, ignored when restored); a schedule is not saved.
   */
  _trackableChildren(): [string, unknown][] {
    const out: [string, unknown][] = [];
    const it = this.#iterations.get(null);
    if (it) out.push(["iter", it]);
    const hypers: [string, unknown][] = [
      [
        "decay",
        this.#trackedHyper(
          "decay",
          () => 0,
          () => {},
        ),
      ],
    ];
    const lr = this.#lr;
    if (typeof lr === "number") {
      hypers.push([
        "learning_rate",
        this.#trackedHyper(
          "learning_rate",
          () => this.learningRate,
          (x) => {
            this.learningRate = x;
          },
        ),
      ]);
    } else if (lr instanceof Variable) hypers.push(["learning_rate", lr]);
    const fields = this as unknown as Record<string, number>;
    for (const [name, field] of Object.entries(this.checkpointHyperFields())) {
      hypers.push([
        name,
        this.#trackedHyper(
          name,
          () => fields[field],
          (x) => {
            fields[field] = x;
          },
        ),
      ]);
    }
    hypers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return [...out, ...hypers];
  }
  /** The slot variables of eager variables, in creation order, with OptimizerV2's slot names. */
  _trackableSlots(): SlotEntry[] {
    const out: SlotEntry[] = [];
    for (const [v, named] of this.#slots) {
      if (v.graph !== null) continue;
      for (const [name, slot] of named) out.push([v, this.checkpointSlotName(name), slot]);
    }
    return out;
  }

  // ---------------------------------------------------------------- for subclasses

  /** Makes the slots of `v` (called once per variable, before its first update). */
  protected buildSlots(_v: Variable): void {}
  /** Builds or performs one variable's update from its (clipped) gradient. */
  protected abstract updateStep(grad: Tensor, v: Variable, step: StepContext): void;
  /** The constructor's arguments (Keras's get_config), learningRate as a number or a schedule's config. */
  getConfig(): Record<string, unknown> {
    const lr = this.#lr;
    const learningRate = lr instanceof LearningRateSchedule ? { className: lr.constructor.name, config: lr.getConfig() } : this.learningRate;
    return {
      name: this.name,
      learningRate,
      weightDecay: this.weightDecay,
      clipnorm: this.clipnorm,
      globalClipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
    };
  }

  /**
   * Whether a graph step of this optimizer can be skipped by its update's inputs alone
   * (`_applyGradientsIfFinite`): its update ops write only the variables and their slots, and the inputs
   * `guard` substitutes leave them exactly as they were.
   */
  protected skipsByInputs(): boolean {
    return false;
  }
  /** While `_applyGradientsIfFinite` builds a step: its selects on the step's finite check. */
  #skip: SkipByInputs | null = null;

  /** `x` (as `dtype`) where the step takes effect, else `skipped`: a select, so a non-finite value never reaches a skipped update. */
  protected guard(x: TensorLike, skipped: number, dtype: DType): TensorLike {
    return this.#skip === null ? x : this.#skip.guard(x, skipped, (v) => convertToTensor(v, { dtype }), dtype);
  }

  /**
   * A graph step (dynamic loss scaling, keras/mixed_precision) whose update takes effect only where `finite`
   * holds, by the update's own inputs, when `skipsByInputs` and nothing else writes the variables (no weight
   * decay, no constraint); the iteration counter advances either way, as tf.keras's skipped step does. Null
   * otherwise (the caller selects every written variable instead).
   */
  _applyGradientsIfFinite(pairs: readonly (readonly [TensorLike | null, Variable])[], finite: Tensor, name?: string): Operation | null {
    if (!this.skipsByInputs() || this.weightDecay || executingEagerly()) return null;
    if (pairs.some(([g, v]) => g !== null && g !== undefined && weightConstraints.has(v))) return null;
    this.#skip = new SkipByInputs(finite);
    try {
      return this.applyGradients(pairs, name);
    } finally {
      this.#skip = null;
    }
  }

  #queue: FusedUpdate[] | null = null;
  #pending: (Tensor | Operation | Variable | null)[] = [];
  /** Applies training op `type` to `vars` (its ref inputs) with `inputs`: queued for one grouped launch eagerly, a node in a graph. */
  protected fused(type: string, vars: Variable[], inputs: TensorLike[], attrs: Record<string, boolean> = {}): void {
    if (this.#queue) this.#queue.push({ type, vars, inputs, attrs });
    else this.#pending.push(applyTrainingOp(type, vars, inputs, attrs));
  }
  /** v = value (the new value is returned, to chain updates of the same slot in a graph). */
  protected assign(v: Variable, value: TensorLike): Tensor {
    const r = v.assign(value);
    if (r instanceof Variable) return r.value();
    this.#pending.push(r);
    return r;
  }
  protected assignSub(v: Variable, delta: TensorLike): void {
    const r = v.assignSub(delta);
    if (!(r instanceof Variable)) this.#pending.push(r);
  }

  // ---------------------------------------------------------------- the step

  /** Keras's apply_gradients: one step on the variables that have a gradient. Graph mode returns the train op; eagerly null. */
  applyGradients(...args: ArgsOf<typeof applySignature>): Operation | null {
    const [gradsAndVars, name] = parseArgs(applySignature, args);
    const pairs = [...gradsAndVars];
    for (const p of pairs) {
      if (!Array.isArray(p) || p.length !== 2 || !(p[1] instanceof Variable)) {
        throw new InvalidArgumentError(`${this.name}.applyGradients expects [gradient, tf.Variable] pairs, got ${String(p)}`);
      }
    }
    const withGrad = pairs.filter((p) => p[0] !== null && p[0] !== undefined) as [TensorLike, Variable][];
    if (withGrad.length === 0) {
      throw new InvalidArgumentError(`No gradients provided for any variable: [${pairs.map(([, v]) => `"${v.name}"`).join(", ")}].`);
    }
    const home = homeOf(withGrad[0][1]);
    for (const [, v] of withGrad) {
      if (homeOf(v) !== home) throw new InvalidArgumentError(`${this.name}: variable ${v.name} is not in the same graph as ${withGrad[0][1].name}`);
    }
    if (executingEagerly()) {
      if (home !== null)
        throw new InvalidArgumentError(`${this.name}: variable ${withGrad[0][1].name} belongs to a tf.Graph; apply its gradients in that graph`);
      tidy(() => this.#step(withGrad, home, true));
      return null;
    }
    const g = home ?? getDefaultGraph();
    return g.asDefault(() => g.nameScope(name ?? this.name, (scope) => this.#step(withGrad, home, false, scope)));
  }

  #step(pairs: [TensorLike, Variable][], home: Graph | null, eager: boolean, scope = ""): Operation | null {
    // State first (slots, counter, learning-rate variable), outside any trace.
    for (const [, v] of pairs) if (!this.#slots.has(v)) this.#initSlots(v);
    const iterations = this.#iterationsOf(home);
    const ctx = new StepContext(this.#lrFor(home, iterations), iterations);
    const grads = this.#clip(pairs.map(([g, v]) => toGradient(g, v, this.name)));
    const vars = pairs.map(([, v]) => v);
    this.#pending = [];
    if (this.weightDecay) {
      for (const v of vars) this.assignSub(v, multiply(readVar(v), multiply(ctx.lr(v.dtype), this.weightDecay)));
    }
    const decay = this.#pending;
    this.#pending = [];
    controlDependencies(graphDeps(decay), () => {
      this.#queue = eager ? [] : null;
      try {
        vars.forEach((v, i) => this.updateStep(grads[i], v, ctx));
        if (this.#queue) flushEagerly(this.#queue);
      } finally {
        this.#queue = null;
      }
    });
    const updates = [...decay, ...this.#pending];
    this.#pending = [];
    const after = controlDependencies(graphDeps(updates), () => {
      const out: (Tensor | Operation | Variable | null)[] = [iterations.assignAdd(1)];
      for (const v of vars) {
        const c = weightConstraints.get(v);
        if (c) out.push(v.assign(c.call(readVar(v))));
      }
      return out;
    });
    return eager ? null : groupNamed([...updates, ...after], scope || `${this.name}/`);
  }

  /**
   * Keras's build(var_list): makes the state of a step on these variables now (slots, the step counter, the
   * learning rate's variable), so that a step later built inside a branch (tf.cond) creates nothing.
   */
  build(varList: readonly Variable[]): void {
    if (varList.length === 0) return;
    const home = homeOf(varList[0]);
    for (const v of varList) if (!this.#slots.has(v)) this.#initSlots(v);
    const iterations = this.#iterationsOf(home);
    if (home === null && typeof this.#lr === "number") this.#lrFor(home, iterations);
  }

  /**
   * For loss scaling (train/skip_step.ts): builds the state of a step on `varList` and returns the slots such
   * a step writes besides the variables themselves and `iterations`.
   */
  _stepVariables(varList: readonly Variable[]): Variable[] {
    this.build(varList);
    return varList.flatMap((v) => [...(this.#slots.get(v)?.values() ?? [])]);
  }

  #initSlots(v: Variable): void {
    this.#slots.set(v, new Map());
    this.buildSlots(v);
  }

  /** Keras's gradient clipping (only one kind may be set). */
  #clip(grads: Tensor[]): Tensor[] {
    if (this.clipnorm !== null && this.clipnorm > 0) {
      const c = this.clipnorm;
      return grads.map((g) => {
        const norm = sqrt(reduceSum(multiply(g, g)));
        return divide(multiply(g, c), maximum(norm, c));
      });
    }
    if (this.globalClipnorm !== null && this.globalClipnorm > 0) {
      const c = this.globalClipnorm;
      // tf.clip_by_global_norm: scale = c * min(1 / global_norm, 1 / c), the norm in float32.
      const sq = grads.map((g) => cast(reduceSum(multiply(g, g)), "float32"));
      const globalNorm = sqrt(sq.length === 1 ? sq[0] : addN(sq));
      const scale = multiply(c, minimum(divide(1, globalNorm), 1 / c));
      return grads.map((g) => multiply(g, g.dtype === "float32" ? scale : cast(scale, g.dtype)));
    }
    if (this.clipvalue !== null && this.clipvalue > 0) {
      const c = this.clipvalue;
      return grads.map((g) => minimum(maximum(g, -c), c));
    }
    return grads;
  }

  /**
   * Keras's minimize(loss, varList, tape): the gradients of `loss` (a function, recorded on a new tape; or a
   * tensor recorded on `tape`; or, in a TF1 graph, a graph tensor) applied to varList.
   */
  minimize(...args: ArgsOf<typeof minimizeSignature>): Operation | null {
    const [loss, varList, tape] = parseArgs(minimizeSignature, args);
    const vars = [...varList];
    if (vars.length === 0) throw new InvalidArgumentError(`${this.name}.minimize: varList is empty`);
    if (typeof loss !== "function" && !tape && loss instanceof SymbolicTensor && !executingEagerly()) {
      const grads = gradients(loss, vars);
      return this.applyGradients(vars.map((v, i) => [grads[i], v] as const));
    }
    const step = (): Operation | null => {
      let t = tape;
      let value: Tensor;
      if (typeof loss === "function") {
        t = new GradientTape();
        t.watch(vars);
        value = t.run(loss) as Tensor;
      } else {
        if (!t) throw new InvalidArgumentError(`${this.name}.minimize: \`tape\` is required when a \`Tensor\` loss is passed`);
        value = loss;
      }
      const grads = t!.gradient(value, vars) as (Tensor | null)[];
      return this.applyGradients(vars.map((v, i) => [grads[i], v] as const));
    };
    return executingEagerly() ? tidy(step) : step();
  }

  toString(): string {
    return `<${this.constructor.name} name=${this.name}>`;
  }
}
declare(Optimizer.prototype.minimize, minimizeSignature);
declare(Optimizer.prototype.applyGradients, applySignature);

function checkLearningRate(lr: unknown, who: string): LearningRate {
  if (typeof lr === "number") {
    if (!Number.isFinite(lr) || lr < 0) throw new InvalidArgumentError(`${who}: learningRate must be a finite number >= 0, got ${lr}`);
    return lr;
  }
  if (lr instanceof LearningRateSchedule || lr instanceof Variable) return lr;
  throw new InvalidArgumentError(`${who}: learningRate must be a number, a LearningRateSchedule or a tf.Variable, got ${String(lr)}`);
}

function readNumber(v: Variable): number {
  if (v.graph !== null) throw new InvalidArgumentError(`The learning rate variable ${v.name} belongs to a tf.Graph; read it with a Session`);
  return Number((v.value() as Tensor).item());
}

function toGradient(g: TensorLike, v: Variable, who: string): Tensor {
  const t = convertToTensor(g, { dtype: isTensorValue(g) ? undefined : v.dtype });
  if (t.dtype !== v.dtype)
    throw new InvalidArgumentError(`${who}: the gradient for ${v.name} has dtype ${t.dtype}, expected ${v.dtype} (the variable's dtype)`);
  return t;
}
function isTensorValue(x: unknown): boolean {
  return typeof x === "object" && x !== null && "dtype" in x;
}

/** The graph ops among update results (eager results are values, nothing to wait for). */
function graphDeps(xs: readonly (Tensor | Operation | Variable | null)[]): (Operation | Tensor)[] {
  return xs.filter((x): x is Operation | Tensor => x instanceof Operation || x instanceof SymbolicTensor);
}

/** Eagerly: each op type's updates in one grouped launch. */
function flushEagerly(queue: readonly FusedUpdate[]): void {
  const byType = new Map<string, FusedUpdate[]>();
  for (const u of queue) {
    const key = `${u.type}${JSON.stringify(u.attrs)}`;
    let list = byType.get(key);
    if (!list) byType.set(key, (list = []));
    list.push(u);
  }
  for (const list of byType.values()) applyTrainingOpGroupEagerly(list[0].type, list, list[0].attrs);
}
