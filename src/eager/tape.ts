import { isFloating } from "../core/dtype.js";
import { InvalidArgumentError, FailedPreconditionError } from "../core/errors.js";
import type { Attrs } from "../core/schema/types.js";
import type { OpDef } from "../ops/registry.js";
import { getOpDef } from "../ops/registry.js";
import { backprop, BackpropNode } from "../autodiff/backprop.js";
import { onesLike, zerosLike } from "../ops/creation.js";
import { add } from "../ops/elementwise.js";
import { addN } from "../ops/reduce.js";
import { EagerTensor } from "./tensor.js";
import { SYMBOLIC, Tensor } from "../core/tensor.js";
import { symbolicGradients } from "../ops/executor.js";
import { isTensorConvertible, TensorConvertible } from "../core/tensor_like.js";
import { body, declare, isOptions, K, kind, optional, param, parseArgs, signature, withDefault } from "../core/signature.js";

type TapeEntry = BackpropNode;

/** Tapes recording right now, innermost last. */
const activeTapes: GradientTape[] = [];

/**
 * What a tape saved for the backward pass: one alias per recorded tensor (a tensor feeding several ops is
 * saved once). The tape releases them after gradient(); this registry releases them if the tape is dropped.
 */
interface SavedStore {
  readonly aliases: Map<EagerTensor, EagerTensor>;
}
function releaseStore(store: SavedStore): void {
  for (const t of store.aliases.values()) t.dispose();
  store.aliases.clear();
}
const droppedTapes = new FinalizationRegistry<SavedStore>(releaseStore);

export interface GradientTapeOptions {
  persistent?: boolean;
  watchAccessedVariables?: boolean;
}

type Source = Tensor | TensorConvertible;
type OutputGradients = Tensor | readonly (Tensor | null)[] | null;
type Gradients<S> = S extends readonly unknown[] ? (EagerTensor | null)[] : EagerTensor | null;
const tapeSignature = signature(
  "GradientTape",
  "Records eager ops so that gradients can be taken afterwards; run the forward pass in tape.run(() => ...).",
  [
    withDefault("persistent", K.boolean, false, "Allows gradient() more than once (release with dispose())."),
    withDefault("watchAccessedVariables", K.boolean, true, "Watches every trainable variable read inside run()."),
  ],
  { args: () => [true, false] },
);
const runSignature = signature("GradientTape.__enter__", "Records the ops the body runs (Python's `with tf.GradientTape() as tape:` block).", [
  body("body", K.callback, "The forward pass; its result is returned."),
]);
const watchSignature = signature("GradientTape.watch", "Watches a tensor (or variables) so that gradients can be taken with respect to it.", [
  param("tensor", kind<Source | readonly Source[]>("Tensor | Variable | (Tensor | Variable)[]"), "What to watch."),
]);
const gradientSignature = signature("GradientTape.gradient", "The gradients of the target with respect to the sources, from the recorded ops.", [
  param("target", kind<Tensor | readonly Tensor[]>("Tensor | Tensor[]"), "What to differentiate (summed when several)."),
  param("sources", kind<Source | readonly Source[]>("Tensor | Variable | (Tensor | Variable)[]"), "The tensors or variables to differentiate with respect to."),
  optional(
    "outputGradients",
    kind<Tensor | readonly (Tensor | null)[] | null>("Tensor | Tensor[] | null"),
    "Upstream gradients of the target (default: ones).",
  ),
  withDefault(
    "unconnectedGradients",
    kind<"none" | "zero">('"none" | "zero"'),
    "none",
    "What a source the target does not depend on gets: null (none) or zeros (zero).",
  ),
]);

/** Records eager ops so that gradients can be taken afterwards: TensorFlow 2's tf.GradientTape. */
export class GradientTape {
  readonly persistent: boolean;
  readonly watchAccessedVariables: boolean;
  #entries: TapeEntry[] = [];
  readonly #store: SavedStore = { aliases: new Map() };
  readonly #watched = new Set<number>();
  readonly #variables = new Map<number, TensorConvertible>();
  #used = false;

  constructor(...args: [options?: GradientTapeOptions] | [persistent?: boolean, watchAccessedVariables?: boolean]) {
    [this.persistent, this.watchAccessedVariables] = parseArgs(tapeSignature, args);
    droppedTapes.register(this, this.#store);
  }

  /** Records the ops fn runs (Python's `with tf.GradientTape() as tape:` block). */
  run<T>(fn: (() => T) | { body: () => T }): T {
    if (typeof fn !== "function") [fn] = parseArgs(runSignature, [fn]) as [() => T];
    activeTapes.push(this);
    try {
      return (fn as () => T)();
    } finally {
      const i = activeTapes.lastIndexOf(this);
      if (i >= 0) activeTapes.splice(i, 1);
    }
  }
  /** Runs fn without recording on this tape. */
  stopRecording<T>(fn: () => T): T {
    const i = activeTapes.lastIndexOf(this);
    if (i < 0) return fn();
    activeTapes.splice(i, 1);
    try {
      return fn();
    } finally {
      activeTapes.splice(i, 0, this);
    }
  }

  watch(x: Source | readonly Source[] | { tensor: Source | readonly Source[] }): void {
    if (isOptions(x)) [x] = parseArgs(watchSignature, [x]);
    const list = Array.isArray(x) ? x : [x];
    for (const t of list as (Tensor | TensorConvertible)[]) {
      if (t instanceof EagerTensor) this.#watched.add(t.id);
      else if (!isTensorConvertible(t)) throw new InvalidArgumentError(`GradientTape.watch: ${String(t)} is not an eager tensor or a variable`);
      else {
        this.#watched.add(t.tapeId);
        this.#variables.set(t.tapeId, t);
      }
    }
  }
  watchedVariables(): TensorConvertible[] {
    return [...this.#variables.values()];
  }

  /** Called when a variable is read eagerly: trainable variables are watched automatically. */
  noteVariableRead(v: TensorConvertible): void {
    if (this.watchAccessedVariables && v.trainable && !this.#watched.has(v.tapeId)) {
      this.#watched.add(v.tapeId);
      this.#variables.set(v.tapeId, v);
    }
  }

  record(def: OpDef, name: string, inputKeys: number[], inputs: readonly EagerTensor[], outputs: readonly EagerTensor[], attrs: Attrs): void {
    if (!inputKeys.some((k) => this.#watched.has(k))) return;
    if (!outputs.some((t) => isFloating(t.dtype))) return;
    for (const t of outputs) this.#watched.add(t.id);
    this.#entries.push({
      def,
      name,
      inputKeys,
      outputKeys: outputs.map((t) => t.id),
      op: { type: def.type, inputs: inputs.map((t) => this.#save(t)), outputs: outputs.map((t) => this.#save(t)), attrs },
    });
  }

  #save(t: EagerTensor): EagerTensor {
    const aliases = this.#store.aliases;
    let a = aliases.get(t);
    if (a === undefined) {
      a = t.saveForBackward();
      aliases.set(t, a);
    }
    return a;
  }

  /**
   * d(target)/d(sources). Sources may be tensors or variables, nested in arrays; unconnected sources give
   * null (or zeros with unconnectedGradients "zero"), as in TensorFlow.
   */
  gradient<S extends Source | readonly Source[]>(
    target: Tensor | readonly Tensor[],
    sources: S,
    outputGradients?: OutputGradients,
    unconnectedGradients?: "none" | "zero",
  ): Gradients<S>;
  gradient<S extends Source | readonly Source[]>(
    target: Tensor | readonly Tensor[],
    sources: S,
    options: { outputGradients?: OutputGradients; unconnectedGradients?: "none" | "zero" },
  ): Gradients<S>;
  gradient<S extends Source | readonly Source[]>(
    target: Tensor | readonly Tensor[],
    options: { sources: S; outputGradients?: OutputGradients; unconnectedGradients?: "none" | "zero" },
  ): Gradients<S>;
  gradient<S extends Source | readonly Source[]>(options: {
    target: Tensor | readonly Tensor[];
    sources: S;
    outputGradients?: OutputGradients;
    unconnectedGradients?: "none" | "zero";
  }): Gradients<S>;
  gradient(...args: unknown[]): unknown {
    const [target, sources, outputGradients, unconnectedGradients] = parseArgs(gradientSignature, args);
    return this.#gradient(target, sources, outputGradients, unconnectedGradients);
  }

  #gradient<S extends Source | readonly Source[]>(
    target: Tensor | readonly Tensor[],
    sources: S,
    outputGradients: OutputGradients | undefined,
    unconnectedGradients: "none" | "zero",
  ): Gradients<S> {
    if (this.#used && !this.persistent) {
      throw new FailedPreconditionError("A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)");
    }
    const targets = Array.isArray(target) ? (target as EagerTensor[]) : [target as EagerTensor];
    const srcList = (Array.isArray(sources) ? sources : [sources]) as (EagerTensor | TensorConvertible)[];
    for (const s of srcList) {
      if (!(s instanceof EagerTensor) && !isTensorConvertible(s))
        throw new InvalidArgumentError(`GradientTape.gradient: source ${String(s)} is not an eager tensor or a variable`);
    }
    const ogs = outputGradients == null ? [] : Array.isArray(outputGradients) ? outputGradients : [outputGradients];
    if (targets.some((t) => t instanceof Tensor && t[SYMBOLIC])) {
      // Used while tracing a tf.function: the ops were built into its graph, so the gradients are graph
      // nodes too, from the same rules through tf.gradients (TensorFlow records the trace on the tape instead).
      const grads = symbolicGradients(targets, srcList, ogs as (Tensor | null)[], unconnectedGradients);
      this.#used = true;
      type G = S extends readonly unknown[] ? (EagerTensor | null)[] : EagerTensor | null;
      return (Array.isArray(sources) ? grads : grads[0]) as G;
    }
    const ops = eagerOps;
    const result = this.stopRecording(() => {
      const seeds = new Map<unknown, EagerTensor>();
      targets.forEach((t, i) => {
        if (!(t instanceof EagerTensor)) throw new InvalidArgumentError("GradientTape.gradient: target must be an eager tensor");
        const g = (ogs[i] as EagerTensor | null | undefined) ?? ops.onesLike(t);
        const prev = seeds.get(t.id);
        seeds.set(t.id, prev ? ops.add(prev, g) : g);
      });
      const keys = srcList.map((s) => (s instanceof EagerTensor ? s.id : s.tapeId));
      const grads = backprop(this.#entries, seeds, keys, {
        aggregate: (gs) => ops.addN(gs as EagerTensor[]),
        zerosLike: (t) => ops.zerosLike(t as EagerTensor),
        scoped: (_n, fn) => fn(),
      }) as (EagerTensor | null)[];
      return grads.map((g, i) =>
        g === null && unconnectedGradients === "zero"
          ? ops.zerosLike(srcList[i] instanceof EagerTensor ? (srcList[i] as EagerTensor) : ((srcList[i] as TensorConvertible).value() as EagerTensor))
          : g,
      );
    });
    this.#used = true;
    if (!this.persistent) this.#release();
    type R = S extends readonly unknown[] ? (EagerTensor | null)[] : EagerTensor | null;
    return (Array.isArray(sources) ? result : result[0]) as R;
  }

  #release(): void {
    releaseStore(this.#store);
    this.#entries = [];
  }
  /** Frees what a persistent tape holds. */
  reset(): void {
    this.#release();
    this.#watched.clear();
    this.#variables.clear();
    this.#used = false;
  }
  dispose(): void {
    this.#release();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Called by the eager dispatcher after every op. */
export function recordOperation(def: OpDef, inputs: readonly EagerTensor[], outputs: readonly EagerTensor[], attrs: Attrs): void {
  if (activeTapes.length === 0 || def.grad === null) return;
  const keys = inputs.map((t) => t.id);
  for (const tape of activeTapes) tape.record(def, def.type, keys, inputs, outputs, attrs);
}

/** Whether any GradientTape is recording now (a tf.function called under one runs its body eagerly). */
export function tapesRecording(): boolean {
  return activeTapes.length > 0;
}

/** Called when a variable is read while tracing a tf.function: tapes watching accessed variables watch it. */
export function recordVariableAccess(v: TensorConvertible): void {
  for (const tape of activeTapes) tape.noteVariableRead(v);
}

/** Called when a variable is read eagerly: records the read as an Identity from the variable. */
export function recordVariableRead(v: TensorConvertible, value: EagerTensor): void {
  if (activeTapes.length === 0) return;
  const identity = getOpDef("Identity")!;
  for (const tape of activeTapes) {
    tape.noteVariableRead(v);
    tape.record(identity, v.name, [v.tapeId], [value], [value], {});
  }
}

/** The ops the tape itself needs (eager results, since the tape runs eagerly). */
const eagerOps = {
  onesLike: (t: EagerTensor) => onesLike(t) as EagerTensor,
  zerosLike: (t: EagerTensor) => zerosLike(t) as EagerTensor,
  add: (a: EagerTensor, b: EagerTensor) => add(a, b) as EagerTensor,
  addN: (ts: EagerTensor[]) => addN(ts) as EagerTensor,
};

/** Runs fn with no tape recording (variable updates are not differentiable). */
export function withoutRecording<T>(fn: () => T): T {
  const saved = activeTapes.splice(0, activeTapes.length);
  try {
    return fn();
  } finally {
    activeTapes.splice(0, activeTapes.length, ...saved);
  }
}
declare(GradientTape, tapeSignature);
declare(GradientTape.prototype.run, runSignature);
declare(GradientTape.prototype.watch, watchSignature);
declare(GradientTape.prototype.gradient, gradientSignature);
