import type { Tensor } from "../core/tensor.js";
import type { Operation } from "../graph/operation.js";
import { controlDependencies } from "../graph/scopes.js";
import { ArgsOf, declare, parseArgs, signature, withDefault } from "../core/signature.js";
import { HYPER, optimizerName, USE_LOCKING } from "./params.js";
import { cast } from "../ops/cast.js";
import { multiply } from "../ops/elementwise.js";
import { applyTrainingOp } from "../variables/training.js";
import type { Variable } from "../variables/variable.js";
import { groupNamed, Hyper, Optimizer } from "./optimizer.js";

const adamSignature = signature(
  "compat.v1.train.AdamOptimizer",
  "Adam (Kingma & Ba), with TensorFlow 1's update.",
  [
    withDefault("learningRate", HYPER, 0.001, "The step size."),
    withDefault("beta1", HYPER, 0.9, "The decay rate of the first-moment estimates."),
    withDefault("beta2", HYPER, 0.999, "The decay rate of the second-moment estimates."),
    withDefault("epsilon", HYPER, 1e-8, "A small constant for numerical stability (TensorFlow 1's epsilon hat)."),
    USE_LOCKING,
    optimizerName("Adam"),
  ],
  { args: () => [0.01, 0.8, 0.9, 1e-7] },
);

/**
 * tf.compat.v1.train.AdamOptimizer(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, use_locking,
 * name), with TensorFlow 1's update ("epsilon hat"):
 *   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
 *   var -= lr_t * m / (sqrt(v) + epsilon)
 * beta1^t and beta2^t live in the non-slot variables "beta1_power" and "beta2_power" (multiplied by beta1,
 * beta2 after every step); m and v are the slots "W/Adam" and "W/Adam_1".
 */
export class AdamOptimizer extends Optimizer {
  readonly #learningRate: Hyper;
  readonly #beta1: Hyper;
  readonly #beta2: Hyper;
  readonly #epsilon: Hyper;
  #lr: number | Tensor | Variable = 0;
  #b1: number | Tensor | Variable = 0;
  #b2: number | Tensor | Variable = 0;
  #eps: number | Tensor | Variable = 0;

  constructor(...args: ArgsOf<typeof adamSignature>) {
    const [learningRate, beta1, beta2, epsilon, useLocking, name] = parseArgs(adamSignature, args);
    super(useLocking, name);
    this.#learningRate = learningRate;
    this.#beta1 = beta1;
    this.#beta2 = beta2;
    this.#epsilon = epsilon;
  }

  /** [beta1_power, beta2_power] of the current graph (or of eager execution). */
  getBetaAccumulators(): [Variable | null, Variable | null] {
    return [this.getNonSlotVariable("beta1_power"), this.getNonSlotVariable("beta2_power")];
  }

  protected override createSlots(varList: readonly Variable[]): void {
    // TensorFlow colocates the beta powers with the variable first by name.
    const first = [...varList].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))[0];
    this.createNonSlotVariable(this.#beta1, "beta1_power", first);
    this.createNonSlotVariable(this.#beta2, "beta2_power", first);
    for (const v of varList) {
      this.zerosSlot(v, "m", this.getName());
      this.zerosSlot(v, "v", this.getName());
    }
  }

  protected override prepare(): void {
    this.#lr = this.prepareHyper(this.#learningRate, "learning_rate");
    this.#b1 = this.prepareHyper(this.#beta1, "beta1");
    this.#b2 = this.prepareHyper(this.#beta2, "beta2");
    this.#eps = this.prepareHyper(this.#epsilon, "epsilon");
  }

  protected override applyDense(grad: Tensor, v: Variable) {
    const [b1p, b2p] = this.getBetaAccumulators();
    const m = this.getSlot(v, "m")!;
    const vs = this.getSlot(v, "v")!;
    const b1Power = cast(b1p!.value(), v.dtype);
    const b2Power = cast(b2p!.value(), v.dtype);
    const lr = this.hyper(this.#lr, v);
    const b1 = this.hyper(this.#b1, v);
    const b2 = this.hyper(this.#b2, v);
    const eps = this.hyper(this.#eps, v);
    return applyTrainingOp("ApplyAdam", [v, m, vs], [b1Power, b2Power, lr, b1, b2, eps, grad]);
  }

  /** After every variable's update: beta1_power *= beta1, beta2_power *= beta2. */
  protected override finish(updateOps: readonly Operation[], nameScope: string): Operation | null {
    const [b1p, b2p] = this.getBetaAccumulators();
    const powers = controlDependencies(updateOps, () => [
      b1p!.assign(multiply(b1p!.value(), this.hyper(this.#b1, b1p!)), { name: "update_beta1" }),
      b2p!.assign(multiply(b2p!.value(), this.hyper(this.#b2, b2p!)), { name: "update_beta2" }),
    ]);
    return groupNamed([...updateOps, ...powers], nameScope);
  }
}
declare(AdamOptimizer, adamSignature);
