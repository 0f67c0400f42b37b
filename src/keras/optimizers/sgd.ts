import type { Tensor } from "../../core/tensor.js";
import { ArgsOf, declare, K, parseArgs, signature, withDefault } from "../../core/signature.js";
import { multiply, negative } from "../../ops/elementwise.js";
import type { Variable } from "../../variables/variable.js";
import { LEARNING_RATE, Optimizer, OPTIMIZER_KWARGS, optimizerArgs, optimizerName, type StepContext } from "./optimizer.js";

const sgdSignature = signature(
  "keras.optimizers.SGD",
  "Gradient descent, with momentum and Nesterov momentum optionally.",
  [
    withDefault("learningRate", LEARNING_RATE, 0.01, "The step size (a number, a schedule or a variable)."),
    withDefault("momentum", K.number, 0, "The velocity's decay (>= 0): 0 is plain gradient descent."),
    withDefault("nesterov", K.boolean, false, "Nesterov momentum."),
    ...OPTIMIZER_KWARGS,
    optimizerName("SGD"),
  ],
  { args: () => [0.1, 0.9, true] },
);

/**
 * tf.keras.optimizers.SGD(learningRate=0.01, momentum=0, nesterov=false, ...): Keras's rule
 *   velocity = momentum * velocity - lr * g;  var += velocity  (Nesterov: var += momentum * velocity - lr * g),
 * or var -= lr * g without momentum. Both run as TensorFlow's fused ops: ApplyGradientDescent, and
 * ApplyMomentum fed lr = -1 and grad = -lr * g, whose accumulator is then exactly Keras's velocity (TF1's
 * accumulates raw gradients instead, which differs once the learning rate changes).
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(...args: ArgsOf<typeof sgdSignature>) {
    const [learningRate, momentum, nesterov, ...kw] = parseArgs(sgdSignature, args);
    super(optimizerArgs(learningRate, kw, "SGD"));
    if (momentum < 0 || momentum > 1) throw new RangeError(`SGD: momentum must be in [0, 1], got ${momentum}`);
    this.momentum = momentum;
    this.nesterov = nesterov;
  }
  protected override checkpointHyperFields(): Record<string, string> {
    return { momentum: "momentum" };
  }
  protected override buildSlots(v: Variable): void {
    if (this.momentum > 0) this.addSlot(v, "momentum");
  }
  // This class's own update only (a subclass may write more). A skipped step: var - (-0) * (-0); with momentum,
  // velocity * 1 + (-0) and var - 0 * velocity (a variable of exactly -0 may come back +0).
  protected override skipsByInputs(): boolean {
    return Object.getPrototypeOf(this) === SGD.prototype;
  }
  protected override updateStep(grad: Tensor, v: Variable, step: StepContext): void {
    const d = v.dtype;
    const lr = step.lr(d);
    if (this.momentum === 0) return this.fused("ApplyGradientDescent", [v], [this.guard(lr, -0, d), this.guard(grad, -0, d)]);
    const negLr = step.cached("-lr", d, () => negative(lr));
    this.fused(
      "ApplyMomentum",
      [v, this.getSlot(v, "momentum")!],
      [this.guard(-1, 0, d), this.guard(multiply(grad, negLr), -0, d), this.guard(this.momentum, 1, d)],
      {
        use_nesterov: this.nesterov,
      },
    );
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
declare(SGD, sgdSignature);
