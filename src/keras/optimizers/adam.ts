import type { Tensor } from "../../core/tensor.js";
import { ArgsOf, declare, K, parseArgs, signature, withDefault } from "../../core/signature.js";
import { add, divide, maximum, multiply, pow, sqrt, square, subtract } from "../../ops/elementwise.js";
import { constant } from "../../ops/creation.js";
import type { Variable } from "../../variables/variable.js";
import { CLIP_KWARGS, LEARNING_RATE, Optimizer, OPTIMIZER_KWARGS, optimizerArgs, optimizerName, readVar, type StepContext } from "./optimizer.js";

const ADAM_PARAMS = [
  withDefault("beta1", K.number, 0.9, "The decay rate of the first-moment estimates."),
  withDefault("beta2", K.number, 0.999, "The decay rate of the second-moment estimates."),
  withDefault("epsilon", K.number, 1e-7, "A small constant for numerical stability (added to sqrt(v), Keras's epsilon hat)."),
  withDefault("amsgrad", K.boolean, false, "Use the maximum of past second moments (AMSGrad)."),
] as const;

const adamSignature = signature(
  "keras.optimizers.Adam",
  "Adam (Kingma & Ba), Keras's update.",
  [
    withDefault("learningRate", LEARNING_RATE, 0.001, "The step size (a number, a schedule or a variable)."),
    ...ADAM_PARAMS,
    ...OPTIMIZER_KWARGS,
    optimizerName("Adam"),
  ],
  { args: () => [0.01, 0.8, 0.9, 1e-6, true] },
);

/**
 * tf.keras.optimizers.Adam(learningRate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-7, amsgrad=false, ...).
 * Keras (optimizer_v2 and Keras 3 alike) uses the "epsilon hat" form of the paper's section 2, which is
 * TensorFlow 1's ApplyAdam exactly, so the fused op runs it:
 *   t = iterations + 1;  alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m += (g - m) (1 - beta1);  v += (g² - v) (1 - beta2);  var -= alpha m / (sqrt(v) + epsilon)
 * Only the default epsilon differs from TF1's (1e-7, not 1e-8). AMSGrad keeps vhat = max(vhat, v) and
 * divides by sqrt(vhat) (composed ops).
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  constructor(...args: ArgsOf<typeof adamSignature>) {
    const [learningRate, beta1, beta2, epsilon, amsgrad, ...kw] = parseArgs(adamSignature, args);
    super(optimizerArgs(learningRate, kw, "Adam"));
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.amsgrad = amsgrad;
  }
  protected override checkpointHyperFields(): Record<string, string> {
    return { beta_1: "beta1", beta_2: "beta2" };
  }
  protected override buildSlots(v: Variable): void {
    this.addSlot(v, "m");
    this.addSlot(v, "v");
    if (this.amsgrad) this.addSlot(v, "vhat");
  }
  protected override updateStep(grad: Tensor, v: Variable, step: StepContext): void {
    const dt = v.dtype;
    const lr = step.lr(dt);
    const b1p = step.cached("beta1_power", dt, () => pow(constant(this.beta1, { dtype: dt }), step.step(dt)));
    const b2p = step.cached("beta2_power", dt, () => pow(constant(this.beta2, { dtype: dt }), step.step(dt)));
    const m = this.getSlot(v, "m")!;
    const s = this.getSlot(v, "v")!;
    if (!this.amsgrad) {
      this.fused("ApplyAdam", [v, m, s], [b1p, b2p, lr, this.beta1, this.beta2, this.epsilon, grad], { use_nesterov: false });
      return;
    }
    const alpha = step.cached("alpha", dt, () => divide(multiply(lr, sqrt(subtract(1, b2p))), subtract(1, b1p)));
    const mNew = this.assign(m, add(readVar(m), multiply(subtract(grad, readVar(m)), 1 - this.beta1)));
    const vNew = this.assign(s, add(readVar(s), multiply(subtract(square(grad), readVar(s)), 1 - this.beta2)));
    const vhat = this.assign(this.getSlot(v, "vhat")!, maximum(readVar(this.getSlot(v, "vhat")!), vNew));
    this.assignSub(v, divide(multiply(mNew, alpha), add(sqrt(vhat), this.epsilon)));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}
declare(Adam, adamSignature);

const adamwSignature = signature(
  "keras.optimizers.AdamW",
  "Adam with decoupled weight decay (Loshchilov & Hutter).",
  [
    withDefault("learningRate", LEARNING_RATE, 0.001, "The step size (a number, a schedule or a variable)."),
    withDefault("weightDecay", K.number, 0.004, "Decoupled weight decay: var -= var * weightDecay * lr before each update."),
    ...ADAM_PARAMS,
    ...CLIP_KWARGS,
    optimizerName("AdamW"),
  ],
  { args: () => [0.01, 0.1, 0.8, 0.9, 1e-6, true] },
);

/** tf.keras.optimizers.AdamW(learningRate=0.001, weightDecay=0.004, beta1, beta2, epsilon, amsgrad, ...): Adam after var -= var * weightDecay * lr. */
export class AdamW extends Adam {
  constructor(...args: ArgsOf<typeof adamwSignature>) {
    const [learningRate, weightDecay, beta1, beta2, epsilon, amsgrad, clipnorm, clipvalue, globalClipnorm, name] = parseArgs(adamwSignature, args);
    super(learningRate, beta1, beta2, epsilon, amsgrad, { weightDecay, clipnorm, clipvalue, globalClipnorm, name: name ?? "AdamW" } as never);
  }
}
declare(AdamW, adamwSignature);
