import type { Tensor } from "../core/tensor.js";
import { ArgsOf, declare, K, param, parseArgs, signature, withDefault } from "../core/signature.js";
import { HYPER, optimizerName, USE_LOCKING } from "./params.js";
import { applyTrainingOp } from "../variables/training.js";
import type { Variable } from "../variables/variable.js";
import { Hyper, Optimizer } from "./optimizer.js";

const momentumSignature = signature(
  "compat.v1.train.MomentumOptimizer",
  "Gradient descent with momentum (optionally Nesterov's).",
  [
    param("learningRate", HYPER, "The step size."),
    param("momentum", HYPER, "The momentum."),
    USE_LOCKING,
    optimizerName("Momentum"),
    withDefault("useNesterov", K.boolean, false, "Use Nesterov momentum."),
  ],
  { args: () => [0.01, 0.9, false, "Momentum", true] },
);

/**
 * tf.compat.v1.train.MomentumOptimizer(learning_rate, momentum, use_locking, name, use_nesterov):
 * accum = momentum * accum + grad; var -= lr * accum (Nesterov: var -= lr * (grad + momentum * accum)).
 * The accumulator is the slot "momentum", named "W/Momentum".
 */
export class MomentumOptimizer extends Optimizer {
  readonly useNesterov: boolean;
  readonly #learningRate: Hyper;
  readonly #momentum: Hyper;
  #lr: number | Tensor | Variable = 0;
  #mom: number | Tensor | Variable = 0;

  constructor(...args: ArgsOf<typeof momentumSignature>) {
    const [learningRate, momentum, useLocking, name, useNesterov] = parseArgs(momentumSignature, args);
    super(useLocking, name);
    this.#learningRate = learningRate;
    this.#momentum = momentum;
    this.useNesterov = useNesterov;
  }

  protected override createSlots(varList: readonly Variable[]): void {
    for (const v of varList) this.zerosSlot(v, "momentum", this.getName());
  }

  protected override prepare(): void {
    this.#lr = this.prepareHyper(this.#learningRate, "learning_rate");
    this.#mom = this.prepareHyper(this.#momentum, "momentum");
  }

  // A skipped step: accum * 1 + (-0), which is accum exactly, and var - 0 * accum (Nesterov: var - 0 * (-0) -
  // 0 * 1 * accum), which is var (a variable of exactly -0 may come back +0).
  // This class's own update only: a subclass may write more.
  protected override skipsByInputs(): boolean {
    return Object.getPrototypeOf(this) === MomentumOptimizer.prototype;
  }

  protected override applyDense(grad: Tensor, v: Variable) {
    const accum = this.getSlot(v, "momentum")!;
    const lr = this.guard(this.hyper(this.#lr, v), 0);
    const mom = this.guard(this.hyper(this.#mom, v), 1);
    return applyTrainingOp("ApplyMomentum", [v, accum], [lr, this.guard(grad, -0), mom], { use_nesterov: this.useNesterov });
  }
}
declare(MomentumOptimizer, momentumSignature);
