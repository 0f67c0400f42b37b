/**
 * tf.keras.mixed_precision.LossScaleOptimizer: wraps a Keras optimizer with loss scaling, so that float16
 * gradients neither underflow nor overflow. The loss is multiplied by the scale before differentiation
 * (getScaledLoss) and the gradients divided by it after (getUnscaledGradients). With dynamic scaling (the
 * default) each step checks the gradients: all finite, the inner optimizer applies them and after
 * `dynamicGrowthSteps` such steps in a row the scale doubles; any Inf or NaN, the step is skipped and the
 * scale halves (never below 1). As Keras: initial scale 2^15, growth every 2000 steps.
 *
 * Eagerly the decision is JavaScript; in a graph (a traced train step) the inner update always runs and each
 * variable it writes is selected back to its old value when the gradients were not finite (train/skip_step.ts:
 * no branch, so that a GPU step can be captured as a CUDA graph), and the scale's update is arithmetic on its
 * variables. As tf.keras, a skipped step still advances the inner optimizer's `iterations`.
 */
import { executingEagerly } from "../../core/context.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { ArgsOf, declare, K, kind, optional, param, parseArgs, signature, withDefault } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { tidy } from "../../eager/memory.js";
import { GradientTape } from "../../eager/tape.js";
import { Operation } from "../../graph/operation.js";
import { group } from "../../graph/state_ops.js";
import { constant } from "../../ops/creation.js";
import { allFinite, DEFAULT_GROWTH_STEPS, DEFAULT_INITIAL_SCALE, scaleLoss, unscaleGradients, updateLossScale } from "../../train/loss_scale.js";
import { applyIfFinite } from "../../train/skip_step.js";
import { Variable } from "../../variables/variable.js";
import { trackableChanged } from "../../saving/trackable.js";
import { inStateScope } from "../optimizers/init_scope.js";
import { type GradAndVar, type LearningRate, Optimizer } from "../optimizers/optimizer.js";

const lsoSignature = signature(
  "keras.mixed_precision.LossScaleOptimizer",
  "An optimizer that scales the loss up and the gradients down, skipping steps whose gradients overflow (dynamic loss scaling).",
  [
    param("innerOptimizer", kind<Optimizer>("Optimizer"), "The Keras optimizer that applies the unscaled gradients."),
    withDefault("dynamic", K.boolean, true, "Adjust the scale: halve it when gradients overflow, double it after dynamicGrowthSteps finite steps."),
    optional("initialScale", K.number, "The first loss scale (default 2^15 when dynamic; required when not)."),
    optional("dynamicGrowthSteps", K.int, "Finite steps in a row after which the scale doubles (default 2000; only when dynamic)."),
  ],
  { args: (tf) => [new tf.keras.optimizers.SGD()] },
);

/** The dynamic scale's state (Keras's _DynamicLossScaleState): checkpointed as current_loss_scale and good_steps. */
class LossScaleState {
  constructor(
    readonly currentLossScale: Variable,
    readonly goodSteps: Variable,
  ) {}
  _trackableChildren(): [string, unknown][] {
    return [
      ["current_loss_scale", this.currentLossScale],
      ["good_steps", this.goodSteps],
    ];
  }
}

export class LossScaleOptimizer {
  readonly innerOptimizer: Optimizer;
  readonly dynamic: boolean;
  readonly initialScale: number;
  /** Null when the scale is fixed. */
  readonly dynamicGrowthSteps: number | null;
  #state: LossScaleState | null = null;

  constructor(...args: ArgsOf<typeof lsoSignature>) {
    const [inner, dynamic, initialScale, growthSteps] = parseArgs(lsoSignature, args);
    if (inner instanceof LossScaleOptimizer) throw new InvalidArgumentError("LossScaleOptimizer cannot wrap another LossScaleOptimizer");
    if (!(inner instanceof Optimizer)) {
      throw new InvalidArgumentError(`"inner_optimizer" must be an instance of tf.keras.optimizers.Optimizer, but got: ${String(inner)}`);
    }
    if (!dynamic && (initialScale === undefined || initialScale === null)) {
      throw new InvalidArgumentError('"initial_scale" must be specified if "dynamic" is False');
    }
    if (!dynamic && growthSteps !== undefined && growthSteps !== null) {
      throw new InvalidArgumentError(`"dynamic_growth_steps" must be None if "dynamic" is False, but got: ${growthSteps}`);
    }
    const scale = initialScale ?? DEFAULT_INITIAL_SCALE;
    if (!(Number.isFinite(scale) && scale >= 1)) throw new InvalidArgumentError(`LossScaleOptimizer: initialScale must be a finite number >= 1, got ${scale}`);
    if (growthSteps !== undefined && growthSteps !== null && growthSteps < 1) {
      throw new InvalidArgumentError(`LossScaleOptimizer: dynamicGrowthSteps must be at least 1, got ${growthSteps}`);
    }
    this.innerOptimizer = inner;
    this.dynamic = dynamic;
    this.initialScale = scale;
    this.dynamicGrowthSteps = dynamic ? (growthSteps ?? DEFAULT_GROWTH_STEPS) : null;
  }

  /** The scale's variables, made eagerly on first use (outside any trace). */
  #lossScaleState(): LossScaleState {
    if (!this.#state) {
      this.#state = inStateScope(null, () => {
        const scale = new Variable(constant(this.initialScale, { dtype: "float32" }), { name: "current_loss_scale", trainable: false });
        const steps = new Variable(constant(0, { dtype: "int64" }), { name: "good_steps", trainable: false, dtype: "int64" });
        return new LossScaleState(scale, steps);
      });
      // A restore may be waiting for the scale.
      trackableChanged(this);
    }
    return this.#state;
  }

  /** The current loss scale (a float32 scalar). */
  get lossScale(): Tensor {
    return this.#lossScaleState().currentLossScale.value();
  }
  /** Finite steps since the scale last changed (an int64 scalar; 0 when the scale is fixed). */
  get dynamicCounter(): Tensor {
    return this.#lossScaleState().goodSteps.value();
  }

  /** The loss times the scale: differentiate this one. */
  getScaledLoss(loss: TensorLike | (() => TensorLike)): Tensor {
    return scaleLoss((typeof loss === "function" ? loss() : loss) as Tensor, this.#lossScaleState().currentLossScale);
  }

  /** The gradients divided by the scale (null gradients stay null). */
  getUnscaledGradients(grads: readonly (Tensor | null)[]): (Tensor | null)[] {
    return unscaleGradients(grads, this.#lossScaleState().currentLossScale);
  }

  /**
   * Applies the (unscaled) gradients with the inner optimizer when they are all finite; with dynamic scaling
   * updates the scale either way (Keras's apply_gradients). Graph mode returns the op to run.
   */
  applyGradients(gradsAndVars: Iterable<GradAndVar>, name?: string): Operation | null {
    const pairs = [...gradsAndVars];
    if (!this.dynamic) return this.innerOptimizer.applyGradients(pairs, name);
    const grads = pairs.map(([g]) => g).filter((g): g is Tensor => g !== null && g !== undefined) as Tensor[];
    const state = this.#lossScaleState();
    if (executingEagerly()) {
      const finite = tidy(() => Boolean(allFinite(grads).item()));
      tidy(() => this.#updateScale(state, constant(finite)));
      if (finite) return this.innerOptimizer.applyGradients(pairs, name);
      this.#skipped();
      return null;
    }
    // A traced step: the inner optimizer's state is made first, so that the step only assigns.
    const updated = pairs.filter(([g]) => g !== null && g !== undefined).map(([, v]) => v);
    const restored = [...updated, ...this.innerOptimizer._stepVariables(updated)];
    const finite = allFinite(grads);
    const scaleUpdate = this.#updateScale(state, finite);
    const step = applyIfFinite(
      "LossScaleOptimizer",
      finite,
      { restored, advanced: [this.innerOptimizer.iterations] },
      () => this.innerOptimizer.applyGradients(pairs, name),
      () => this.#skipped(),
      () => this.innerOptimizer._applyGradientsIfFinite(pairs, finite, name),
    );
    return group([scaleUpdate, step]);
  }

  /**
   * What a skipped step does to the inner optimizer: tf.keras advances its iteration counter (which the
   * inner applyGradients would have done; learning-rate schedules and Adam's bias correction count it);
   * everything else is left as it was.
   */
  #skipped(): void {
    this.innerOptimizer.iterations.assignAdd(1);
  }

  #updateScale(state: LossScaleState, finite: Tensor): Operation | null {
    return updateLossScale(state.currentLossScale, state.goodSteps, finite, this.dynamicGrowthSteps ?? DEFAULT_GROWTH_STEPS);
  }

  /**
   * Keras's minimize(loss, varList, tape): the scaled loss differentiated, the gradients unscaled, then
   * applyGradients.
   */
  minimize(loss: Tensor | (() => Tensor), varList: readonly Variable[], tape?: GradientTape): Operation | null {
    const vars = [...varList];
    const step = (): Operation | null => {
      let t = tape;
      let scaled: Tensor;
      if (typeof loss === "function") {
        t = new GradientTape();
        t.watch(vars);
        scaled = t.run(() => this.getScaledLoss(loss())) as Tensor;
      } else {
        if (!t) throw new InvalidArgumentError("LossScaleOptimizer.minimize: `tape` is required when a `Tensor` loss is passed");
        scaled = t.run(() => this.getScaledLoss(loss)) as Tensor;
      }
      const grads = this.getUnscaledGradients(t!.gradient(scaled, vars) as (Tensor | null)[]);
      return this.applyGradients(vars.map((v, i) => [grads[i], v] as const));
    };
    return executingEagerly() ? tidy(step) : step();
  }

  // The inner optimizer's hyperparameters and state, as Keras's wrapper forwards them.
  get name(): string {
    return this.innerOptimizer.name;
  }
  get learningRate(): number {
    return this.innerOptimizer.learningRate;
  }
  set learningRate(value: LearningRate) {
    this.innerOptimizer.learningRate = value;
  }
  get lr(): number {
    return this.innerOptimizer.lr;
  }
  set lr(value: LearningRate) {
    this.innerOptimizer.lr = value;
  }
  get iterations(): Variable {
    return this.innerOptimizer.iterations;
  }
  /** The inner optimizer's variables, then the loss scale's. */
  variables(): Variable[] {
    const s = this.#lossScaleState();
    return [...this.innerOptimizer.variables(), s.currentLossScale, s.goodSteps];
  }
  getConfig(): Record<string, unknown> {
    return {
      innerOptimizer: { className: this.innerOptimizer.constructor.name, config: this.innerOptimizer.getConfig() },
      dynamic: this.dynamic,
      initialScale: this.initialScale,
      dynamicGrowthSteps: this.dynamicGrowthSteps,
    };
  }
  /** Checkpoints as TensorFlow 2's Keras: the inner optimizer as base_optimizer, the scale as loss_scale. */
  _trackableChildren(): [string, unknown][] {
    return [
      ["base_optimizer", this.innerOptimizer],
      ["loss_scale", this.#lossScaleState()],
    ];
  }
  toString(): string {
    return `<LossScaleOptimizer inner=${this.innerOptimizer.toString()}>`;
  }
}
declare(LossScaleOptimizer, lsoSignature);
