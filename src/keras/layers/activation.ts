/** The activation layers: ReLU, Softmax, LeakyReLU and ELU (Keras's layers/activation). */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import { declare, K, kind, optional, parseArgs, signature, withDefault, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { cast } from "../../ops/cast.js";
import { convertToTensor } from "../../ops/creation.js";
import { add, exp, multiply, realdiv, subtract } from "../../ops/elementwise.js";
import { reduceMax, reduceSum } from "../../ops/reduce.js";
import { softmax } from "../../ops/softmax.js";
import { stopGradient } from "../../ops/movement.js";
import { elu, leakyRelu, relu } from "../activations.js";
import { type CallOptions, LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import { oneTensor, single } from "./utils.js";

const RELU = signature(
  "keras.layers.ReLU",
  "The rectified linear unit: x above threshold, negativeSlope * (x - threshold) below, at most maxValue.",
  [
    optional("maxValue", K.number, "The saturation value (none by default)."),
    withDefault("negativeSlope", K.number, 0, "The slope below the threshold."),
    withDefault("threshold", K.number, 0, "The threshold."),
    ...LAYER_KWARGS,
  ],
  { args: () => [6, 0, 0] },
);
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  constructor(...args: CallArgs<typeof RELU.params>) {
    const p = parseArgs(RELU, args);
    super(layerArgs(p));
    const [maxValue, negativeSlope, threshold] = p;
    if (maxValue !== undefined && maxValue !== null && maxValue < 0)
      throw new InvalidArgumentError(`ReLU: max_value of a ReLU layer cannot be a negative value. Received: ${maxValue}`);
    if (negativeSlope < 0) throw new InvalidArgumentError(`ReLU: negative_slope of a ReLU layer cannot be a negative value. Received: ${negativeSlope}`);
    this.maxValue = maxValue ?? null;
    this.negativeSlope = negativeSlope;
    this.threshold = threshold;
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO): Tensor {
    return relu(oneTensor(this, inputs), this.negativeSlope, this.maxValue ?? undefined, this.threshold);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}
declare(ReLU, RELU);

const SOFTMAX = signature(
  "keras.layers.Softmax",
  "Softmax along an axis; masked positions (mask false) get probability 0.",
  [withDefault("axis", kind<number | number[]>("number | number[]"), -1, "The axis (or axes) normalized over."), ...LAYER_KWARGS],
  { args: () => [-1] },
);
export class Softmax extends Layer {
  readonly axis: number | number[];
  constructor(...args: CallArgs<typeof SOFTMAX.params>) {
    const p = parseArgs(SOFTMAX, args);
    super(layerArgs(p));
    this.axis = p[0];
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO, options: CallOptions = {}): Tensor {
    let x = oneTensor(this, inputs);
    const mask = options.mask;
    if (mask !== undefined && mask !== null && !Array.isArray(mask)) {
      // As Keras: a large negative number where the mask is false, so those positions get ~0.
      const m = cast(mask as Tensor, x.dtype);
      const big = x.dtype === "float16" ? -65500 : -1e9;
      x = add(x, multiply(subtract(convertToTensor(1, { dtype: x.dtype }), m), convertToTensor(big, { dtype: x.dtype })));
    }
    if (typeof this.axis === "number") return softmax(x, this.axis);
    // Several axes: exp(x - max) / sum(exp(x - max)) over them.
    const e = exp(subtract(x, stopGradient(reduceMax(x, this.axis, true))));
    return realdiv(e, reduceSum(e, this.axis, true));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
declare(Softmax, SOFTMAX);

const LEAKY_RELU = signature(
  "keras.layers.LeakyReLU",
  "x for x > 0, alpha * x otherwise.",
  [withDefault("alpha", K.number, 0.3, "The slope of the negative part."), ...LAYER_KWARGS],
  {
    args: () => [0.1],
  },
);
export class LeakyReLU extends Layer {
  readonly alpha: number;
  constructor(...args: CallArgs<typeof LEAKY_RELU.params>) {
    const p = parseArgs(LEAKY_RELU, args);
    super(layerArgs(p));
    this.alpha = p[0];
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO): Tensor {
    return leakyRelu(oneTensor(this, inputs), this.alpha);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}
declare(LeakyReLU, LEAKY_RELU);

const ELU_SIG = signature(
  "keras.layers.ELU",
  "x for x > 0, alpha * (exp(x) - 1) otherwise.",
  [withDefault("alpha", K.number, 1, "The scale of the negative part."), ...LAYER_KWARGS],
  {
    args: () => [0.5],
  },
);
export class ELU extends Layer {
  readonly alpha: number;
  constructor(...args: CallArgs<typeof ELU_SIG.params>) {
    const p = parseArgs(ELU_SIG, args);
    super(layerArgs(p));
    this.alpha = p[0];
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO): Tensor {
    return elu(oneTensor(this, inputs), this.alpha);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}
declare(ELU, ELU_SIG);
