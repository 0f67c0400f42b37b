/**
 * The normalization layers: BatchNormalization and LayerNormalization (Keras's layers/normalization).
 *
 * BatchNormalization keeps its moving mean and variance as non-trainable weights. In training it normalizes
 * with the batch's statistics and moves the averages with assign ops: eagerly they run at once; in a graph
 * (a tf.function trace included) the output depends on them through control dependencies, so whatever
 * fetches the output (a traced train step) updates the averages. 4-D inputs normalized over their channel
 * axis use the fused FusedBatchNormV3 op, as Keras does; other shapes use moments and batch_normalization.
 */
import { executingEagerly } from "../../core/context.js";
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import { declare, K, kind, parseArgs, signature, withDefault, optional, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { controlDependencies } from "../../graph/scopes.js";
import { convertToTensor } from "../../ops/creation.js";
import { add, multiply, rsqrt, subtract } from "../../ops/elementwise.js";
import { identity, reshape } from "../../ops/movement.js";
import { batchNormalization, fusedBatchNorm, moments } from "../../ops/norm.js";
import type { Variable } from "../../variables/variable.js";
import { type ConstraintArg, get as getConstraint } from "../constraints.js";
import { type InitializerArg, get as getInitializer } from "../initializers.js";
import { type RegularizerArg, get as getRegularizer } from "../regularizers.js";
import { type CallOptions, LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import { asLayerDType, CONSTRAINT, INITIALIZER, oneTensor, pyShape, REGULARIZER, single } from "./utils.js";

const AXIS = kind<number | readonly number[]>("number | number[]");

/** Normalized axes (non-negative, sorted), checked against the rank. */
function normAxes(layer: Layer, axis: number | readonly number[], rank: number): number[] {
  const list = typeof axis === "number" ? [axis] : Array.from(axis);
  const out = list.map((a) => (a < 0 ? a + rank : a));
  for (const a of out) {
    if (a < 0 || a >= rank) throw new InvalidArgumentError(`Layer "${layer.name}": invalid axis: ${list}; the input has ${rank} dimensions`);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** gamma and beta over the normalized axes (LayerNormalization) or the kept ones (BatchNormalization). */
interface AffineArgs {
  center: boolean;
  scale: boolean;
  betaInitializer: InitializerArg;
  gammaInitializer: InitializerArg;
  betaRegularizer: RegularizerArg | undefined;
  gammaRegularizer: RegularizerArg | undefined;
  betaConstraint: ConstraintArg | undefined;
  gammaConstraint: ConstraintArg | undefined;
}
function addAffine(layer: Layer, a: AffineArgs, shape: number[]): [Variable | null, Variable | null] {
  const gamma = a.scale
    ? layer.addWeight("gamma", {
        shape,
        initializer: getInitializer(a.gammaInitializer)!,
        autocast: false,
        regularizer: getRegularizer(a.gammaRegularizer ?? null),
        constraint: getConstraint(a.gammaConstraint ?? null),
      })
    : null;
  const beta = a.center
    ? layer.addWeight("beta", {
        shape,
        initializer: getInitializer(a.betaInitializer)!,
        autocast: false,
        regularizer: getRegularizer(a.betaRegularizer ?? null),
        constraint: getConstraint(a.betaConstraint ?? null),
      })
    : null;
  return [gamma, beta];
}
function affineConfig(a: AffineArgs): Record<string, unknown> {
  return {
    center: a.center,
    scale: a.scale,
    betaInitializer: a.betaInitializer,
    gammaInitializer: a.gammaInitializer,
    betaRegularizer: a.betaRegularizer ?? null,
    gammaRegularizer: a.gammaRegularizer ?? null,
    betaConstraint: a.betaConstraint ?? null,
    gammaConstraint: a.gammaConstraint ?? null,
  };
}

// ---------------------------------------------------------------- BatchNormalization

const BATCH_NORM = signature(
  "keras.layers.BatchNormalization",
  "Normalizes with the batch's statistics in training and moving averages of them in inference, then scales and shifts.",
  [
    withDefault("axis", AXIS, -1, "The feature axis (or axes), kept; the others are normalized over."),
    withDefault("momentum", K.number, 0.99, "The moving averages' decay."),
    withDefault("epsilon", K.number, 0.001, "Added to the variance."),
    withDefault("center", K.boolean, true, "Add the learned offset beta."),
    withDefault("scale", K.boolean, true, "Multiply by the learned gamma."),
    withDefault("betaInitializer", INITIALIZER, "zeros", "beta's initializer."),
    withDefault("gammaInitializer", INITIALIZER, "ones", "gamma's initializer."),
    withDefault("movingMeanInitializer", INITIALIZER, "zeros", "The moving mean's initializer."),
    withDefault("movingVarianceInitializer", INITIALIZER, "ones", "The moving variance's initializer."),
    optional("betaRegularizer", REGULARIZER, "A penalty on beta."),
    optional("gammaRegularizer", REGULARIZER, "A penalty on gamma."),
    optional("betaConstraint", CONSTRAINT, "A projection of beta after each update."),
    optional("gammaConstraint", CONSTRAINT, "A projection of gamma after each update."),
    ...LAYER_KWARGS,
  ],
  { args: () => [-1, 0.9, 0.001] },
);
export class BatchNormalization extends Layer {
  readonly axis: number | readonly number[];
  readonly momentum: number;
  readonly epsilon: number;
  readonly affine: AffineArgs;
  readonly movingMeanInitializer: InitializerArg;
  readonly movingVarianceInitializer: InitializerArg;
  gamma!: Variable | null;
  beta!: Variable | null;
  movingMean!: Variable;
  movingVariance!: Variable;
  /** The normalized input's axes, known once built. */
  #axes!: number[];
  #rank!: number;

  constructor(...args: CallArgs<typeof BATCH_NORM.params>) {
    const p = parseArgs(BATCH_NORM, args);
    super(layerArgs(p));
    const [
      axis,
      momentum,
      epsilon,
      center,
      scale,
      betaInitializer,
      gammaInitializer,
      movingMeanInitializer,
      movingVarianceInitializer,
      betaRegularizer,
      gammaRegularizer,
      betaConstraint,
      gammaConstraint,
    ] = p;
    this.axis = axis;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.affine = { center, scale, betaInitializer, gammaInitializer, betaRegularizer, gammaRegularizer, betaConstraint, gammaConstraint };
    this.movingMeanInitializer = movingMeanInitializer;
    this.movingVarianceInitializer = movingVarianceInitializer;
    this.supportsMasking = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = single(this, inputShape);
    this.#rank = s.length;
    this.#axes = normAxes(this, this.axis, s.length);
    const shape = this.#axes.map((a) => {
      const d = s[a];
      if (d === null)
        throw new InvalidArgumentError(
          `Layer "${this.name}": axis ${a} of input tensor should have a defined dimension but the layer received an input with shape ${pyShape(s)}.`,
        );
      return d;
    });
    [this.gamma, this.beta] = addAffine(this, this.affine, shape);
    this.movingMean = this.addWeight("moving_mean", { shape, initializer: getInitializer(this.movingMeanInitializer)!, trainable: false, autocast: false });
    this.movingVariance = this.addWeight("moving_variance", {
      shape,
      initializer: getInitializer(this.movingVarianceInitializer)!,
      trainable: false,
      autocast: false,
    });
    this.built = true;
  }

  /** The fused op's layout when it applies (a 4-D input normalized over its channel axis), else null. */
  #fusedFormat(): "NHWC" | "NCHW" | null {
    if (this.#rank !== 4 || this.#axes.length !== 1) return null;
    return this.#axes[0] === 3 ? "NHWC" : this.#axes[0] === 1 ? "NCHW" : null;
  }

  /** As Keras: 16-bit inputs are normalized in float32 (the weights are not autocast), the output is the compute dtype. */
  override call(inputs: LayerIO, options: CallOptions = {}): Tensor {
    return asLayerDType(this.#normalize(asLayerDType(oneTensor(this, inputs), this.dtype), options), this.computeDtype);
  }
  #normalize(x: Tensor, options: CallOptions): Tensor {
    if (x.rank !== this.#rank)
      throw new InvalidArgumentError(
        `Input 0 of layer "${this.name}" is incompatible with the layer: expected ndim=${this.#rank}, found ndim=${x.rank}. Full shape received: ${pyShape(x.shape)}`,
      );
    // As TensorFlow 2's Keras: a frozen BatchNormalization runs in inference mode.
    const training = options.training === true && this.trainable;
    const fmt = this.#fusedFormat();
    const c = this.movingMean.shape![0] as number;
    const ones = () => convertToTensor(new Float32Array(c).fill(1), { dtype: x.dtype });
    const zeros = () => convertToTensor(new Float32Array(c), { dtype: x.dtype });
    if (!training) {
      if (fmt) return fusedBatchNorm(x, this.gamma ?? ones(), this.beta ?? zeros(), this.movingMean, this.movingVariance, this.epsilon, fmt, false)[0];
      return batchNormalization(
        x,
        this.#bcast(this.movingMean),
        this.#bcast(this.movingVariance),
        this.#bcastOpt(this.beta),
        this.#bcastOpt(this.gamma),
        this.epsilon,
      );
    }
    let y: Tensor;
    let mean: Tensor;
    let variance: Tensor;
    if (fmt) {
      // The fused op's batch variance is Bessel-corrected, which is what Keras moves the average towards.
      [y, mean, variance] = fusedBatchNorm(x, this.gamma ?? ones(), this.beta ?? zeros(), undefined, undefined, this.epsilon, fmt, true);
    } else {
      const reduce = Array.from({ length: this.#rank }, (_, i) => i).filter((i) => !this.#axes.includes(i));
      [mean, variance] = moments(x, reduce);
      y = batchNormalization(x, this.#bcast(mean), this.#bcast(variance), this.#bcastOpt(this.beta), this.#bcastOpt(this.gamma), this.epsilon);
    }
    const decay = convertToTensor(1 - this.momentum, { dtype: this.movingMean.dtype });
    const updates = [
      this.movingMean.assignSub(multiply(subtract(this.movingMean, mean), decay)),
      this.movingVariance.assignSub(multiply(subtract(this.movingVariance, variance), decay)),
    ];
    if (executingEagerly()) return y;
    // In a graph the updates are tensors (Assign ops); the output waits for them.
    return controlDependencies(updates as Tensor[], () => identity(y));
  }

  /** Statistics over the kept axes, shaped to broadcast against the input (only the last axis needs nothing). */
  #bcast(t: Tensor | Variable): TensorLike {
    if (this.#axes.length === 1 && this.#axes[0] === this.#rank - 1) return t;
    const shape = Array.from({ length: this.#rank }, (_, i) => (this.#axes.includes(i) ? -2 : 1));
    let k = 0;
    const dims = (t.shape as number[]) ?? [];
    return reshape(t, new Int32Array(shape.map((d) => (d === -2 ? dims[k++] : 1))));
  }
  #bcastOpt(t: Variable | null): TensorLike | null {
    return t === null ? null : this.#bcast(t);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      ...affineConfig(this.affine),
      movingMeanInitializer: this.movingMeanInitializer,
      movingVarianceInitializer: this.movingVarianceInitializer,
    };
  }
}
declare(BatchNormalization, BATCH_NORM);

// ---------------------------------------------------------------- LayerNormalization

const LAYER_NORM = signature(
  "keras.layers.LayerNormalization",
  "Normalizes each sample over the given axes (its own mean and variance), then scales and shifts.",
  [
    withDefault("axis", AXIS, -1, "The axis (or axes) normalized over."),
    withDefault("epsilon", K.number, 0.001, "Added to the variance."),
    withDefault("center", K.boolean, true, "Add the learned offset beta."),
    withDefault("scale", K.boolean, true, "Multiply by the learned gamma."),
    withDefault("betaInitializer", INITIALIZER, "zeros", "beta's initializer."),
    withDefault("gammaInitializer", INITIALIZER, "ones", "gamma's initializer."),
    optional("betaRegularizer", REGULARIZER, "A penalty on beta."),
    optional("gammaRegularizer", REGULARIZER, "A penalty on gamma."),
    optional("betaConstraint", CONSTRAINT, "A projection of beta after each update."),
    optional("gammaConstraint", CONSTRAINT, "A projection of gamma after each update."),
    ...LAYER_KWARGS,
  ],
  { args: () => [-1, 0.001] },
);
export class LayerNormalization extends Layer {
  readonly axis: number | readonly number[];
  readonly epsilon: number;
  readonly affine: AffineArgs;
  gamma!: Variable | null;
  beta!: Variable | null;
  #axes!: number[];
  #rank!: number;

  constructor(...args: CallArgs<typeof LAYER_NORM.params>) {
    const p = parseArgs(LAYER_NORM, args);
    super(layerArgs(p));
    const [axis, epsilon, center, scale, betaInitializer, gammaInitializer, betaRegularizer, gammaRegularizer, betaConstraint, gammaConstraint] = p;
    this.axis = axis;
    this.epsilon = epsilon;
    this.affine = { center, scale, betaInitializer, gammaInitializer, betaRegularizer, gammaRegularizer, betaConstraint, gammaConstraint };
    this.supportsMasking = true;
  }
  override build(inputShape: Shape | Shape[]): void {
    const s = single(this, inputShape);
    this.#rank = s.length;
    this.#axes = normAxes(this, this.axis, s.length);
    const shape = this.#axes.map((a) => {
      const d = s[a];
      if (d === null) throw new InvalidArgumentError(`Layer "${this.name}": axis ${a} of the input must be known, got shape ${pyShape(s)}`);
      return d;
    });
    [this.gamma, this.beta] = addAffine(this, this.affine, shape);
    this.built = true;
  }
  /** As BatchNormalization: computed in float32 for 16-bit inputs, returned in the compute dtype. */
  override call(inputs: LayerIO): Tensor {
    const x = asLayerDType(oneTensor(this, inputs), this.dtype);
    const [mean, variance] = moments(x, this.#axes, undefined, true);
    let inv = rsqrt(add(variance, convertToTensor(this.epsilon, { dtype: x.dtype })));
    if (this.gamma) inv = multiply(inv, this.#bcast(this.gamma));
    const shifted = multiply(subtract(x, mean), inv);
    return asLayerDType(this.beta ? add(shifted, this.#bcast(this.beta)) : shifted, this.computeDtype);
  }
  /** gamma/beta over the normalized axes, shaped to broadcast against the input. */
  #bcast(t: Variable): TensorLike {
    const trailing = this.#axes.every((a, i) => a === this.#rank - this.#axes.length + i);
    if (trailing) return t;
    const dims = t.shape as number[];
    let k = 0;
    return reshape(t, new Int32Array(Array.from({ length: this.#rank }, (_, i) => (this.#axes.includes(i) ? dims[k++] : 1))));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis, epsilon: this.epsilon, ...affineConfig(this.affine) };
  }
}
declare(LayerNormalization, LAYER_NORM);
