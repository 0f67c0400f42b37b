import type { PyArgs } from "../ops/args.js";
import type { Tensor } from "../core/tensor.js";
import { pyArgs } from "../ops/args.js";
import { applyTrainingOp } from "../ops/training.js";
import type { Variable } from "../variables/variable.js";
import { Hyper, Optimizer } from "./optimizer.js";

export interface MomentumOptions {
  useLocking?: boolean;
  name?: string;
  useNesterov?: boolean;
}

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

  constructor(learningRate: Hyper, momentum: Hyper, ...args: PyArgs<[useLocking: boolean, name: string, useNesterov: boolean], MomentumOptions>) {
    const a = pyArgs<MomentumOptions>(args, ["useLocking", "name", "useNesterov"]);
    super(a.useLocking ?? false, a.name ?? "Momentum");
    this.#learningRate = learningRate;
    this.#momentum = momentum;
    this.useNesterov = a.useNesterov ?? false;
  }

  protected override createSlots(varList: readonly Variable[]): void {
    for (const v of varList) this.zerosSlot(v, "momentum", this.getName());
  }

  protected override prepare(): void {
    this.#lr = this.prepareHyper(this.#learningRate, "learning_rate");
    this.#mom = this.prepareHyper(this.#momentum, "momentum");
  }

  protected override applyDense(grad: Tensor, v: Variable) {
    const accum = this.getSlot(v, "momentum")!;
    const lr = this.hyper(this.#lr, v);
    const mom = this.hyper(this.#mom, v);
    return applyTrainingOp("ApplyMomentum", [v, accum], [lr, grad, mom], { use_nesterov: this.useNesterov });
  }
}
