import type { Tensor } from "../core/tensor.js";
import { ArgsOf, declare, K, param, parseArgs, signature, withDefault } from "../core/signature.js";
import { HYPER, optimizerName, USE_LOCKING } from "./params.js";
import { constant, onesLike } from "../ops/creation.js";
import { add, divide, multiply, sqrt, square, subtract } from "../ops/elementwise.js";
import type { Variable } from "../variables/variable.js";
import { assignSubT, assignT, Hyper, Optimizer } from "./optimizer.js";

const rmsPropSignature = signature(
  "compat.v1.train.RMSPropOptimizer",
  "RMSProp, with TensorFlow 1's update (epsilon inside the square root).",
  [
    param("learningRate", HYPER, "The step size."),
    withDefault("decay", HYPER, 0.9, "The discounting factor of the mean square."),
    withDefault("momentum", HYPER, 0.0, "The momentum."),
    withDefault("epsilon", HYPER, 1e-10, "A small constant for numerical stability."),
    USE_LOCKING,
    withDefault("centered", K.boolean, false, "Normalise by the estimated variance instead of the mean square."),
    optimizerName("RMSProp"),
  ],
  { args: () => [0.01, 0.8, 0.1, 1e-7, false, true] },
);

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

  constructor(...args: ArgsOf<typeof rmsPropSignature>) {
    const [learningRate, decay, momentum, epsilon, useLocking, centered, name] = parseArgs(rmsPropSignature, args);
    super(useLocking, name);
    this.#learningRate = learningRate;
    this.#decay = decay;
    this.#momentum = momentum;
    this.#epsilon = epsilon;
    this.centered = centered;
  }

  protected override createSlots(varList: readonly Variable[]): void {
    for (const v of varList) {
      this.getOrMakeSlotWithInitializer(
        v,
        (shape, dtype) => constant(1, { dtype, shape }),
        "rms",
        this.getName(),
        () => onesLike(v.initialValue),
      );
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
declare(RMSPropOptimizer, rmsPropSignature);
