import type { Tensor } from "../core/tensor.js";
import { InvalidArgumentError } from "../core/errors.js";
import { ArgsOf, declare, K, param, parseArgs, signature, withDefault } from "../core/signature.js";
import { HYPER, optimizerName, USE_LOCKING } from "./params.js";
import { constant, fill } from "../ops/creation.js";
import { shape } from "../ops/shape.js";
import { divide, multiply, sqrt, square } from "../ops/elementwise.js";
import type { Variable } from "../variables/variable.js";
import { assignAddT, assignSubT, Hyper, Optimizer } from "./optimizer.js";

const adagradSignature = signature(
  "compat.v1.train.AdagradOptimizer",
  "Adagrad: each variable's step shrinks with its accumulated squared gradients.",
  [
    param("learningRate", HYPER, "The step size."),
    withDefault("initialAccumulatorValue", K.number, 0.1, "The accumulators' starting value (positive)."),
    USE_LOCKING,
    optimizerName("Adagrad"),
  ],
  { args: () => [0.01, 0.2] },
);

/**
 * tf.compat.v1.train.AdagradOptimizer(learning_rate, initial_accumulator_value=0.1, use_locking, name):
 * accum += g^2; var -= lr * g / sqrt(accum). The accumulator is the slot "accumulator" ("W/Adagrad").
 */
export class AdagradOptimizer extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly #learningRate: Hyper;
  #lr: number | Tensor | Variable = 0;

  constructor(...args: ArgsOf<typeof adagradSignature>) {
    const [learningRate, init, useLocking, name] = parseArgs(adagradSignature, args);
    if (!(init > 0)) throw new InvalidArgumentError(`initial_accumulator_value must be positive: ${init}`);
    super(useLocking, name);
    this.#learningRate = learningRate;
    this.initialAccumulatorValue = init;
  }

  protected override createSlots(varList: readonly Variable[]): void {
    const init = this.initialAccumulatorValue;
    for (const v of varList) {
      this.getOrMakeSlotWithInitializer(
        v,
        (shp, dtype) => constant(init, { dtype, shape: shp }),
        "accumulator",
        this.getName(),
        () => fill(shape(v.initialValue), constant(init, { dtype: v.dtype })),
      );
    }
  }

  protected override prepare(): void {
    this.#lr = this.prepareHyper(this.#learningRate, "learning_rate");
  }

  protected override applyDense(grad: Tensor, v: Variable) {
    const acc = this.getSlot(v, "accumulator")!;
    const accT = assignAddT(acc, square(grad));
    return assignSubT(v, divide(multiply(grad, this.hyper(this.#lr, v)), sqrt(accT)));
  }
}
declare(AdagradOptimizer, adagradSignature);
