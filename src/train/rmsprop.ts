import type { PyArgs } from "../ops/args.js";
import type { Tensor } from "../core/tensor.js";
import { pyArgs } from "../ops/args.js";
import { constant, onesLike } from "../ops/array.js";
import { add, divide, multiply, sqrt, square, subtract } from "../ops/elementwise.js";
import type { Variable } from "../variables/variable.js";
import { assignSubT, assignT, Hyper, Optimizer } from "./optimizer.js";

export interface RMSPropOptions {
  decay?: Hyper;
  momentum?: Hyper;
  epsilon?: Hyper;
  useLocking?: boolean;
  centered?: boolean;
  name?: string;
}

/**
 * tf.compat.v1.train.RMSPropOptimizer(learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking,
 * centered=False, name), TensorFlow 1's update (epsilon inside the square root):
 *   ms = decay * ms + (1 - decay) * g^2
 *   mg = decay * mg + (1 - decay) * g                      (centered only)
 *   mom = momentum * mom + lr * g / sqrt(ms [- mg^2] + epsilon)
 *   var -= mom
 * As in TensorFlow 1, ms (slot "rms", "W/RMSProp") starts at ones; mg ("mg") and mom ("momentum") at zeros.
 */
export class RMSPropOptimizer extends Optimizer {
  readonly centered: boolean;
  readonly #learningRate: Hyper;
  readonly #decay: Hyper;
  readonly #momentum: Hyper;
  readonly #epsilon: Hyper;
  #lr: number | Tensor | Variable = 0;
  #rho: number | Tensor | Variable = 0;
  #mom: number | Tensor | Variable = 0;
  #eps: number | Tensor | Variable = 0;

  constructor(
    learningRate: Hyper,
    ...args: PyArgs<[decay: Hyper, momentum: Hyper, epsilon: Hyper, useLocking: boolean, centered: boolean, name: string], RMSPropOptions>
  ) {
    const a = pyArgs<RMSPropOptions>(args, ["decay", "momentum", "epsilon", "useLocking", "centered", "name"]);
    super(a.useLocking ?? false, a.name ?? "RMSProp");
    this.#learningRate = learningRate;
    this.#decay = a.decay ?? 0.9;
    this.#momentum = a.momentum ?? 0.0;
    this.#epsilon = a.epsilon ?? 1e-10;
    this.centered = a.centered ?? false;
  }

  protected override createSlots(varList: readonly Variable[]): void {
    for (const v of varList) {
      this.getOrMakeSlotWithInitializer(v, (shape, dtype) => constant(1, { dtype, shape }), "rms", this.getName(), () => onesLike(v.initialValue));
      if (this.centered) this.zerosSlot(v, "mg", this.getName());
      this.zerosSlot(v, "momentum", this.getName());
    }
  }

  protected override prepare(): void {
    this.#lr = this.prepareHyper(this.#learningRate, "learning_rate");
    this.#rho = this.prepareHyper(this.#decay, "decay");
    this.#mom = this.prepareHyper(this.#momentum, "momentum");
    this.#eps = this.prepareHyper(this.#epsilon, "epsilon");
  }

  protected override applyDense(grad: Tensor, v: Variable) {
    const rms = this.getSlot(v, "rms")!;
    const mom = this.getSlot(v, "momentum")!;
    const lr = this.hyper(this.#lr, v);
    const rho = this.hyper(this.#rho, v);
    const momentum = this.hyper(this.#mom, v);
    const eps = this.hyper(this.#eps, v);
    const msT = assignT(rms, add(multiply(rms.value(), rho), multiply(square(grad), subtract(1, rho))));
    let denom = msT;
    if (this.centered) {
      const mg = this.getSlot(v, "mg")!;
      const mgT = assignT(mg, add(multiply(mg.value(), rho), multiply(grad, subtract(1, rho))));
      denom = subtract(msT, square(mgT));
    }
    const momT = assignT(mom, add(multiply(mom.value(), momentum), divide(multiply(grad, lr), sqrt(add(denom, eps)))));
    return assignSubT(v, momT);
  }
}
