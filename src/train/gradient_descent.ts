import type { PyArgs } from "../ops/args.js";
import type { Tensor } from "../core/tensor.js";
import { pyArgs } from "../ops/args.js";
import { applyTrainingOp, applyTrainingOpGroupEagerly } from "../ops/training.js";
import type { Variable } from "../variables/variable.js";
import { Hyper, Optimizer } from "./optimizer.js";

export interface GradientDescentOptions {
  useLocking?: boolean;
  name?: string;
}

/** tf.compat.v1.train.GradientDescentOptimizer(learning_rate, use_locking, name): var -= lr * grad. */
export class GradientDescentOptimizer extends Optimizer {
  readonly #learningRate: Hyper;
  #lr: number | Tensor | Variable = 0;

  constructor(learningRate: Hyper, ...args: PyArgs<[useLocking: boolean, name: string], GradientDescentOptions>) {
    const a = pyArgs<GradientDescentOptions>(args, ["useLocking", "name"]);
    super(a.useLocking ?? false, a.name ?? "GradientDescent");
    this.#learningRate = learningRate;
  }

  protected override prepare(): void {
    this.#lr = this.prepareHyper(this.#learningRate, "learning_rate");
  }

  protected override applyDense(grad: Tensor, v: Variable) {
    return applyTrainingOp("ApplyGradientDescent", [v], [this.hyper(this.#lr, v), grad]);
  }

  protected override applyDenseEagerly(pairs: readonly [Tensor, Variable][]): void {
    applyTrainingOpGroupEagerly("ApplyGradientDescent", pairs.map(([g, v]) => ({ vars: [v], inputs: [this.hyper(this.#lr, v), g] })));
  }
}
