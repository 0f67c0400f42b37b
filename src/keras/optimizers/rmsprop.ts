import type { Tensor } from "../../core/tensor.js";
import { ArgsOf, declare, K, parseArgs, signature, withDefault } from "../../core/signature.js";
import { add, multiply, rsqrt, square, subtract } from "../../ops/elementwise.js";
import type { Variable } from "../../variables/variable.js";
import { LEARNING_RATE, Optimizer, OPTIMIZER_KWARGS, optimizerArgs, optimizerName, readVar, type StepContext } from "./optimizer.js";

const rmspropSignature = signature(
  "keras.optimizers.RMSprop",
  "RMSprop: steps scaled by a moving average of squared gradients.",
  [
    withDefault("learningRate", LEARNING_RATE, 0.001, "The step size (a number, a schedule or a variable)."),
    withDefault("rho", K.number, 0.9, "The decay of the moving average of squared gradients."),
    withDefault("momentum", K.number, 0, "Momentum of the increments (0: none)."),
    withDefault("epsilon", K.number, 1e-7, "A small constant added to the denominator (inside the square root)."),
    withDefault("centered", K.boolean, false, "Normalize by the gradients' estimated variance instead of their second moment."),
    ...OPTIMIZER_KWARGS,
    optimizerName("RMSprop"),
  ],
  { args: () => [0.01, 0.8, 0.5, 1e-6, true] },
);

/**
 * tf.keras.optimizers.RMSprop(learningRate=0.001, rho=0.9, momentum=0, epsilon=1e-7, centered=false, ...),
 * Keras's (TF 2.11+ / Keras 3) rule, composed of elementwise ops (TensorFlow's ApplyRMSProp puts epsilon
 * outside the square root, so it is not Keras's rule):
 *   velocity = rho velocity + (1 - rho) g²
 *   denominator = velocity + epsilon   (centered: velocity - average_grad² + epsilon, average_grad = rho average_grad + (1 - rho) g)
 *   increment = lr g / sqrt(denominator);  momentum: m = momentum m + increment, var -= m;  else var -= increment
 */
export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  constructor(...args: ArgsOf<typeof rmspropSignature>) {
    const [learningRate, rho, momentum, epsilon, centered, ...kw] = parseArgs(rmspropSignature, args);
    super(optimizerArgs(learningRate, kw, "RMSprop"));
    this.rho = rho;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.centered = centered;
  }
  protected override checkpointHyperFields(): Record<string, string> {
    return { momentum: "momentum", rho: "rho" };
  }
  /** OptimizerV2's names: "rms" for the mean square, "mg" for the mean gradient (centered). */
  protected override checkpointSlotName(slotName: string): string {
    return slotName === "velocity" ? "rms" : slotName === "average_gradient" ? "mg" : slotName;
  }
  protected override buildSlots(v: Variable): void {
    this.addSlot(v, "velocity");
    if (this.momentum > 0) this.addSlot(v, "momentum");
    if (this.centered) this.addSlot(v, "average_gradient");
  }
  protected override updateStep(grad: Tensor, v: Variable, step: StepContext): void {
    const lr = step.lr(v.dtype);
    const velocity = this.getSlot(v, "velocity")!;
    const vel = this.assign(velocity, add(multiply(readVar(velocity), this.rho), multiply(square(grad), 1 - this.rho)));
    let denominator: Tensor;
    if (this.centered) {
      const avgSlot = this.getSlot(v, "average_gradient")!;
      const avg = this.assign(avgSlot, add(multiply(readVar(avgSlot), this.rho), multiply(grad, 1 - this.rho)));
      denominator = add(subtract(vel, square(avg)), this.epsilon);
    } else {
      denominator = add(vel, this.epsilon);
    }
    const increment = multiply(multiply(lr, grad), rsqrt(denominator));
    if (this.momentum > 0) {
      const mSlot = this.getSlot(v, "momentum")!;
      const m = this.assign(mSlot, add(multiply(readVar(mSlot), this.momentum), increment));
      this.assignSub(v, m);
    } else {
      this.assignSub(v, increment);
    }
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}
declare(RMSprop, rmspropSignature);
