/**
 * tf.keras.losses.Loss: a loss object. Calling it (`lossFn(yTrue, yPred, sampleWeight?)`, Python's
 * __call__) computes the per-sample losses with call() and reduces them with the weights; subclasses
 * implement call(). LossFunctionWrapper turns a loss function into such an object, as Keras's built-in
 * loss classes are.
 */
import { inspect } from "node:util";
import { K, kind, optional, param, parseArgs, signature, withDefault } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { callableInstance } from "../callable.js";
import { prepare } from "./functions.js";
import { checkReduction, computeWeightedLoss, type Reduction } from "./reduction.js";

/** A loss function: (yTrue, yPred) -> per-sample losses. */
export type LossFn = (yTrue: TensorLike, yPred: TensorLike) => Tensor;

export const REDUCTION = withDefault(
  "reduction",
  kind<Reduction>('"sum_over_batch_size" | "sum" | "none" | "auto"'),
  "sum_over_batch_size",
  "How the per-sample losses are reduced.",
);
export const lossName = (def: string) => withDefault("name", K.string, def, "The loss's name.");

const callSignature = signature("keras.losses.Loss.__call__", "The weighted, reduced loss of a batch.", [
  param("yTrue", kind<TensorLike>("TensorLike"), "The ground truth values."),
  param("yPred", kind<TensorLike>("TensorLike"), "The predicted values."),
  optional("sampleWeight", kind<TensorLike | null>("TensorLike | null"), "Weights per sample (or per element), broadcast onto the losses."),
]);

/** A loss object is callable: `loss(yTrue, yPred, sampleWeight?)` or `loss(yTrue, yPred, { sampleWeight })`. */
export interface Loss {
  (yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike | null | { sampleWeight?: TensorLike | null }): Tensor;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface adds the call signature of the function the constructor returns
export class Loss {
  reduction!: Reduction;
  name!: string;

  constructor(reduction: Reduction = "sum_over_batch_size", name?: string) {
    const self = callableInstance<Loss>(new.target.prototype, (me, args) => me.invoke(...(args as [TensorLike, TensorLike])));
    self.reduction = checkReduction(reduction, new.target.name);
    self.name = name ?? new.target.name;
    // biome-ignore lint/correctness/noConstructorReturn: a callable instance is the point (Keras losses are called like functions)
    return self;
  }

  /** The per-sample losses (subclasses implement it). */
  call(_yTrue: TensorLike, _yPred: TensorLike): Tensor {
    throw new Error(`${this.constructor.name}.call is not implemented`);
  }

  /** Python's __call__: call(), then the weighted reduction. */
  invoke(...args: unknown[]): Tensor {
    const [yTrue, yPred, sampleWeight] = parseArgs(callSignature, args);
    const losses = this.call(yTrue, yPred);
    return computeWeightedLoss(losses, sampleWeight, this.reduction);
  }

  getConfig(): Record<string, unknown> {
    return { reduction: this.reduction, name: this.name };
  }

  [inspect.custom](): string {
    return `<${this.constructor.name} name=${this.name}>`;
  }
  toString(): string {
    return `<${this.constructor.name} name=${this.name}>`;
  }
}

/** tf.keras.losses.LossFunctionWrapper: a loss object around a loss function and its keyword arguments. */
export class LossFunctionWrapper extends Loss {
  readonly fn!: LossFn;
  readonly fnKwargs!: Record<string, unknown>;

  constructor(fn: LossFn, reduction: Reduction = "sum_over_batch_size", name?: string, fnKwargs: Record<string, unknown> = {}) {
    super(reduction, name ?? (fn.name || "loss"));
    (this as { fn: LossFn }).fn = fn;
    (this as { fnKwargs: Record<string, unknown> }).fnKwargs = fnKwargs;
  }

  override call(yTrue: TensorLike, yPred: TensorLike): Tensor {
    const [t, p] = prepare(yTrue, yPred);
    const f = this.fn as (yTrue: TensorLike, yPred: TensorLike, options?: Record<string, unknown>) => Tensor;
    return Object.keys(this.fnKwargs).length > 0 ? f(t, p, this.fnKwargs) : f(t, p);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...this.fnKwargs };
  }
}
