import type { Tensor } from "../core/tensor.js";
import { ArgsOf, declare, param, parseArgs, signature } from "../core/signature.js";
import { HYPER, optimizerName, USE_LOCKING } from "./params.js";
import { applyTrainingOp, applyTrainingOpGroupEagerly } from "../variables/training.js";
import type { Variable } from "../variables/variable.js";
import { Hyper, Optimizer } from "./optimizer.js";

const gradientDescentSignature = signature(
  "compat.v1.train.GradientDescentOptimizer",
  "Plain gradient descent: var -= learning_rate * grad.",
  [param("learningRate", HYPER, "The step size."), USE_LOCKING, optimizerName("GradientDescent")],
  { args: () => [0.01] },
);

/** tf.compat.v1.train.GradientDescentOptimizer(learning_rate, use_locking, name): var -= lr * grad. */
export class GradientDescentOptimizer extends Optimizer {
  readonly #learningRate: Hyper;
  #lr: number | Tensor | Variable = 0;

  constructor(...args: ArgsOf<typeof gradientDescentSignature>) {
    const [learningRate, useLocking, name] = parseArgs(gradientDescentSignature, args);
    super(useLocking, name);
    this.#learningRate = learningRate;
  }

  protected override prepare(): void {
    this.#lr = this.prepareHyper(this.#learningRate, "learning_rate");
  }

  // A skipped step: var - (-0) * (-0), that is var - (+0), which is var exactly (-0 included).
  // This class's own update only: a subclass may write more.
  protected override skipsByInputs(): boolean {
    return Object.getPrototypeOf(this) === GradientDescentOptimizer.prototype;
  }

  protected override applyDense(grad: Tensor, v: Variable) {
    return applyTrainingOp("ApplyGradientDescent", [v], [this.guard(this.hyper(this.#lr, v), -0), this.guard(grad, -0)]);
  }

  protected override applyDenseEagerly(pairs: readonly [Tensor, Variable][]): void {
    applyTrainingOpGroupEagerly(
      "ApplyGradientDescent",
      pairs.map(([g, v]) => ({ vars: [v], inputs: [this.hyper(this.#lr, v), g] })),
    );
  }
}
declare(GradientDescentOptimizer, gradientDescentSignature);
