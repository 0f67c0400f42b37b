import type { Tensor } from "../../core/tensor.js";
import { ArgsOf, declare, K, parseArgs, signature, withDefault } from "../../core/signature.js";
import { add, divide, multiply, sqrt, square } from "../../ops/elementwise.js";
import type { Variable } from "../../variables/variable.js";
import { LEARNING_RATE, Optimizer, OPTIMIZER_KWARGS, optimizerArgs, optimizerName, readVar, type StepContext } from "./optimizer.js";

const adagradSignature = signature(
  "keras.optimizers.Adagrad",
  "Adagrad: each parameter's step shrinks with its accumulated squared gradients.",
  [
    withDefault("learningRate", LEARNING_RATE, 0.001, "The step size (a number, a schedule or a variable)."),
    withDefault("initialAccumulatorValue", K.number, 0.1, "The accumulators' starting value (>= 0)."),
    withDefault("epsilon", K.number, 1e-7, "A small constant added under the square root."),
    ...OPTIMIZER_KWARGS,
    optimizerName("Adagrad"),
  ],
  { args: () => [0.01, 0.2, 1e-6] },
);

/**
 * tf.keras.optimizers.Adagrad(learningRate=0.001, initialAccumulatorValue=0.1, epsilon=1e-7, ...), Keras's
 * rule: accumulator += g²;  var -= lr g / sqrt(accumulator + epsilon).
 */
export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  constructor(...args: ArgsOf<typeof adagradSignature>) {
    const [learningRate, initialAccumulatorValue, epsilon, ...kw] = parseArgs(adagradSignature, args);
    super(optimizerArgs(learningRate, kw, "Adagrad"));
    if (initialAccumulatorValue < 0) throw new RangeError(`Adagrad: initialAccumulatorValue must be >= 0, got ${initialAccumulatorValue}`);
    this.initialAccumulatorValue = initialAccumulatorValue;
    this.epsilon = epsilon;
  }
  protected override buildSlots(v: Variable): void {
    this.addSlot(v, "accumulator", this.initialAccumulatorValue);
  }
  protected override updateStep(grad: Tensor, v: Variable, step: StepContext): void {
    const acc = this.getSlot(v, "accumulator")!;
    const a = this.assign(acc, add(readVar(acc), square(grad)));
    this.assignSub(v, divide(multiply(step.lr(v.dtype), grad), sqrt(add(a, this.epsilon))));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}
declare(Adagrad, adagradSignature);
