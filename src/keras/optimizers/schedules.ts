/**
 * tf.keras.optimizers.schedules: learning rates as functions of the optimizer's step (its iterations before
 * the update). A schedule is callable, `schedule(step)`, with a number or a tensor, and returns a float32
 * tensor; inside a graph or a traced train step it builds ops on the step tensor, so the rate follows the
 * step without retracing.
 */
import { inspect } from "node:util";
import { InvalidArgumentError } from "../../core/errors.js";
import { ArgsOf, declare, K, kind, parseArgs, signature, withDefault, param, optional } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { cast } from "../../ops/cast.js";
import { constant, where } from "../../ops/creation.js";
import { add, ceil, cos, divide, floor, greater, less, maximum, minimum, multiply, pow, subtract, equal } from "../../ops/elementwise.js";
import { isTensor } from "../../ops/dispatch.js";
import { callableInstance } from "../callable.js";

/** A schedule is callable with the step: `schedule(step)`. */
export interface LearningRateSchedule {
  (step: TensorLike): Tensor;
}

/** tf.keras.optimizers.schedules.LearningRateSchedule: subclasses implement call(step). */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the merged interface adds the call signature of the function the constructor returns
export class LearningRateSchedule {
  constructor() {
    const self = callableInstance<LearningRateSchedule>(new.target.prototype, (me, args) => me.call(stepTensor(args[0] as TensorLike)));
    // biome-ignore lint/correctness/noConstructorReturn: a callable instance is the point (Keras schedules are called like functions)
    return self;
  }
  /** The learning rate at `step` (a float32 scalar tensor). */
  call(_step: Tensor): Tensor {
    throw new Error(`${this.constructor.name}.call is not implemented`);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
  [inspect.custom](): string {
    return `<${this.constructor.name} ${JSON.stringify(this.getConfig())}>`;
  }
}

function stepTensor(step: TensorLike): Tensor {
  if (isTensor(step)) return step.dtype === "float32" ? step : cast(step, "float32");
  if (typeof step === "object" && step !== null && "readForOp" in step) return cast(step, "float32");
  return constant(step as number, { dtype: "float32" });
}

const INITIAL = param("initialLearningRate", K.number, "The learning rate at step 0.");
const DECAY_STEPS = param("decaySteps", K.number, "The number of steps the decay is expressed over (> 0).");
const NAME = optional("name", K.string, "A name for the schedule's ops.");

function positive(what: string, v: number, who: string): number {
  if (!(v > 0)) throw new InvalidArgumentError(`${who}: ${what} must be > 0, got ${v}`);
  return v;
}

const exponentialSignature = signature(
  "keras.optimizers.schedules.ExponentialDecay",
  "initialLearningRate * decayRate ^ (step / decaySteps) (the exponent floored if staircase).",
  [
    INITIAL,
    DECAY_STEPS,
    param("decayRate", K.number, "The decay per decaySteps."),
    withDefault("staircase", K.boolean, false, "Decay in discrete steps."),
    NAME,
  ],
  { args: () => [0.1, 10, 0.5, true] },
);
export class ExponentialDecay extends LearningRateSchedule {
  initialLearningRate!: number;
  decaySteps!: number;
  decayRate!: number;
  staircase!: boolean;
  constructor(...args: ArgsOf<typeof exponentialSignature>) {
    super();
    const [initialLearningRate, decaySteps, decayRate, staircase] = parseArgs(exponentialSignature, args);
    Object.assign(this, { initialLearningRate, decaySteps: positive("decaySteps", decaySteps, "ExponentialDecay"), decayRate, staircase });
  }
  override call(step: Tensor): Tensor {
    let p = divide(step, this.decaySteps);
    if (this.staircase) p = floor(p);
    return multiply(this.initialLearningRate, pow(constant(this.decayRate, { dtype: "float32" }), p));
  }
  override getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}
declare(ExponentialDecay, exponentialSignature);

const inverseTimeSignature = signature(
  "keras.optimizers.schedules.InverseTimeDecay",
  "initialLearningRate / (1 + decayRate * step / decaySteps) (the ratio floored if staircase).",
  [INITIAL, DECAY_STEPS, param("decayRate", K.number, "The decay rate."), withDefault("staircase", K.boolean, false, "Decay in discrete steps."), NAME],
  { args: () => [0.1, 10, 0.5, true] },
);
export class InverseTimeDecay extends LearningRateSchedule {
  initialLearningRate!: number;
  decaySteps!: number;
  decayRate!: number;
  staircase!: boolean;
  constructor(...args: ArgsOf<typeof inverseTimeSignature>) {
    super();
    const [initialLearningRate, decaySteps, decayRate, staircase] = parseArgs(inverseTimeSignature, args);
    Object.assign(this, { initialLearningRate, decaySteps: positive("decaySteps", decaySteps, "InverseTimeDecay"), decayRate, staircase });
  }
  override call(step: Tensor): Tensor {
    let p = divide(step, this.decaySteps);
    if (this.staircase) p = floor(p);
    return divide(this.initialLearningRate, add(1, multiply(this.decayRate, p)));
  }
  override getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}
declare(InverseTimeDecay, inverseTimeSignature);

const piecewiseSignature = signature(
  "keras.optimizers.schedules.PiecewiseConstantDecay",
  "values[0] up to boundaries[0], values[1] up to boundaries[1], ..., values[n] after the last boundary.",
  [
    param("boundaries", kind<number[]>("number[]"), "Increasing step boundaries."),
    param("values", kind<number[]>("number[]"), "The rates: one more than the boundaries."),
    NAME,
  ],
  {
    args: () => [
      [10, 20],
      [1, 0.5, 0.1],
    ],
  },
);
export class PiecewiseConstantDecay extends LearningRateSchedule {
  boundaries!: number[];
  values!: number[];
  constructor(...args: ArgsOf<typeof piecewiseSignature>) {
    super();
    const [boundaries, values] = parseArgs(piecewiseSignature, args);
    if (values.length !== boundaries.length + 1) {
      throw new InvalidArgumentError(
        `PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values (got ${boundaries.length} and ${values.length})`,
      );
    }
    Object.assign(this, { boundaries: [...boundaries], values: [...values] });
  }
  override call(step: Tensor): Tensor {
    // From the last interval down: where step > boundary take the later value.
    let out: Tensor = constant(this.values[0], { dtype: "float32" });
    for (let i = 0; i < this.boundaries.length; i++) out = where(greater(step, this.boundaries[i]), constant(this.values[i + 1], { dtype: "float32" }), out);
    return out;
  }
  override getConfig() {
    return { boundaries: this.boundaries, values: this.values };
  }
}
declare(PiecewiseConstantDecay, piecewiseSignature);

const polynomialSignature = signature(
  "keras.optimizers.schedules.PolynomialDecay",
  "(initial - end) * (1 - step / decaySteps) ^ power + end, the step capped at decaySteps (or the decay restarted if cycle).",
  [
    INITIAL,
    DECAY_STEPS,
    withDefault("endLearningRate", K.number, 0.0001, "The rate at decaySteps."),
    withDefault("power", K.number, 1, "The polynomial's power."),
    withDefault("cycle", K.boolean, false, "Restart the decay beyond decaySteps (with a longer period)."),
    NAME,
  ],
  { args: () => [0.1, 10, 0.01, 2, true] },
);
export class PolynomialDecay extends LearningRateSchedule {
  initialLearningRate!: number;
  decaySteps!: number;
  endLearningRate!: number;
  power!: number;
  cycle!: boolean;
  constructor(...args: ArgsOf<typeof polynomialSignature>) {
    super();
    const [initialLearningRate, decaySteps, endLearningRate, power, cycle] = parseArgs(polynomialSignature, args);
    Object.assign(this, { initialLearningRate, decaySteps: positive("decaySteps", decaySteps, "PolynomialDecay"), endLearningRate, power, cycle });
  }
  override call(step: Tensor): Tensor {
    let steps: Tensor | number = this.decaySteps;
    let s = step;
    if (this.cycle) {
      // The period grows to the next multiple of decaySteps (1 at step 0).
      const mult = ceil(divide(step, this.decaySteps));
      steps = multiply(this.decaySteps, where(equal(step, 0), constant(1, { dtype: "float32" }), mult));
    } else {
      s = minimum(step, this.decaySteps);
    }
    const frac = subtract(1, divide(s, steps));
    return add(multiply(this.initialLearningRate - this.endLearningRate, pow(frac, constant(this.power, { dtype: "float32" }))), this.endLearningRate);
  }
  override getConfig() {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      endLearningRate: this.endLearningRate,
      power: this.power,
      cycle: this.cycle,
    };
  }
}
declare(PolynomialDecay, polynomialSignature);

const cosineSignature = signature(
  "keras.optimizers.schedules.CosineDecay",
  "Cosine decay from the initial (or warmup target) rate to alpha times it over decaySteps, after an optional linear warmup.",
  [
    INITIAL,
    DECAY_STEPS,
    withDefault("alpha", K.number, 0, "The final rate as a fraction of the initial one."),
    NAME,
    optional("warmupTarget", K.number, "The rate a linear warmup reaches (none: no warmup)."),
    withDefault("warmupSteps", K.number, 0, "The length of the warmup."),
  ],
  { args: () => [0.1, 10, 0.1, "c", 0.2, 5] },
);
export class CosineDecay extends LearningRateSchedule {
  initialLearningRate!: number;
  decaySteps!: number;
  alpha!: number;
  warmupTarget!: number | null;
  warmupSteps!: number;
  constructor(...args: ArgsOf<typeof cosineSignature>) {
    super();
    const [initialLearningRate, decaySteps, alpha, , warmupTarget, warmupSteps] = parseArgs(cosineSignature, args);
    Object.assign(this, {
      initialLearningRate,
      decaySteps: positive("decaySteps", decaySteps, "CosineDecay"),
      alpha,
      warmupTarget: warmupTarget ?? null,
      warmupSteps,
    });
  }
  private decayFrom(step: Tensor, from: number): Tensor {
    const s = minimum(step, this.decaySteps);
    const cosine = multiply(0.5, add(1, cos(multiply(Math.PI, divide(s, this.decaySteps)))));
    return multiply(from, add(multiply(1 - this.alpha, cosine), this.alpha));
  }
  override call(step: Tensor): Tensor {
    if (this.warmupTarget === null) return this.decayFrom(step, this.initialLearningRate);
    const target = this.warmupTarget;
    const warm = add(this.initialLearningRate, multiply(target - this.initialLearningRate, divide(step, Math.max(this.warmupSteps, 1))));
    const decayed = this.decayFrom(maximum(subtract(step, this.warmupSteps), 0), target);
    return where(less(step, this.warmupSteps), warm, decayed);
  }
  override getConfig() {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      alpha: this.alpha,
      warmupTarget: this.warmupTarget,
      warmupSteps: this.warmupSteps,
    };
  }
}
declare(CosineDecay, cosineSignature);
