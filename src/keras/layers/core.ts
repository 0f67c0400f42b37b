/**
 * The core layers: Dense, Activation, Dropout, Masking and Lambda (Keras's layers/core).
 *
 * Dense computes MatMul -> BiasAdd -> activation, the pattern the graph runtime's matmul epilogue
 * (runtime/epilogue.ts) fuses into one product when the activation is relu or none.
 */
import { InvalidArgumentError } from "../../core/errors.js";
import type { Shape } from "../../core/shape.js";
import { K, declare, kind, optional, param, parseArgs, signature, withDefault, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { cast } from "../../ops/cast.js";
import { convertToTensor } from "../../ops/creation.js";
import { multiply, notEqual } from "../../ops/elementwise.js";
import { matmul } from "../../ops/matmul.js";
import { concat, reshape, slice } from "../../ops/movement.js";
import { biasAdd, dropout } from "../../ops/norm.js";
import { reduceAny } from "../../ops/reduce.js";
import { shape as shapeOp } from "../../ops/shape.js";
import { placeholder } from "../../graph/state_ops.js";
import { Graph } from "../../graph/graph.js";
import type { Variable } from "../../variables/variable.js";
import { type ActivationArg, type ActivationFn, get as getActivation, serialize as serializeActivation } from "../activations.js";
import { type ConstraintArg, get as getConstraint } from "../constraints.js";
import { type InitializerArg, get as getInitializer } from "../initializers.js";
import { type RegularizerArg, get as getRegularizer } from "../regularizers.js";
import { type CallOptions, LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import { ACTIVATION, asLayerDType, CONSTRAINT, checkInput, INITIALIZER, oneTensor, REGULARIZER, SHAPE, single } from "./utils.js";

// ---------------------------------------------------------------- Dense

const DENSE = signature(
  "keras.layers.Dense",
  "A densely connected layer: activation(dot(input, kernel) + bias).",
  [
    param("units", K.int, "The number of outputs."),
    optional("activation", ACTIVATION, "The activation (a name, a function, or none: linear)."),
    withDefault("useBias", K.boolean, true, "Whether to add a bias."),
    withDefault("kernelInitializer", INITIALIZER, "glorot_uniform", "The kernel's initializer."),
    withDefault("biasInitializer", INITIALIZER, "zeros", "The bias's initializer."),
    optional("kernelRegularizer", REGULARIZER, "A penalty on the kernel."),
    optional("biasRegularizer", REGULARIZER, "A penalty on the bias."),
    optional("kernelConstraint", CONSTRAINT, "A projection of the kernel after each update."),
    optional("biasConstraint", CONSTRAINT, "A projection of the bias after each update."),
    ...LAYER_KWARGS,
  ],
  {
    args: () => [
      4,
      "relu",
      true,
      "glorot_uniform",
      "zeros",
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      "dense_ex",
    ],
  },
);
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerArg;
  readonly biasInitializer: InitializerArg;
  readonly kernelRegularizer: RegularizerArg | null;
  readonly biasRegularizer: RegularizerArg | null;
  readonly kernelConstraint: ConstraintArg | null;
  readonly biasConstraint: ConstraintArg | null;
  kernel!: Variable;
  bias!: Variable | null;
  readonly #activationArg: ActivationArg;

  constructor(...args: CallArgs<typeof DENSE.params>) {
    const p = parseArgs(DENSE, args);
    super(layerArgs(p));
    const [units, activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, kernelConstraint, biasConstraint] = p;
    if (!(Number.isInteger(units) && units > 0))
      throw new InvalidArgumentError(`Dense: received an invalid value for \`units\`, expected a positive integer. Received: units=${units}`);
    this.units = units;
    this.#activationArg = activation ?? null;
    this.activation = getActivation(activation ?? null);
    this.useBias = useBias;
    this.kernelInitializer = kernelInitializer;
    this.biasInitializer = biasInitializer;
    this.kernelRegularizer = kernelRegularizer ?? null;
    this.biasRegularizer = biasRegularizer ?? null;
    this.kernelConstraint = kernelConstraint ?? null;
    this.biasConstraint = biasConstraint ?? null;
    this.supportsMasking = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = single(this, inputShape);
    checkInput(this, s, { minNdim: 2 });
    const last = s[s.length - 1];
    if (last === null)
      throw new InvalidArgumentError(`The last dimension of the inputs to a Dense layer should be defined. Found None. Full input shape received: ${s}`);
    this.kernel = this.addWeight("kernel", {
      shape: [last, this.units],
      initializer: getInitializer(this.kernelInitializer)!,
      regularizer: getRegularizer(this.kernelRegularizer),
      constraint: getConstraint(this.kernelConstraint),
    });
    this.bias = this.useBias
      ? this.addWeight("bias", {
          shape: [this.units],
          initializer: getInitializer(this.biasInitializer)!,
          regularizer: getRegularizer(this.biasRegularizer),
          constraint: getConstraint(this.biasConstraint),
        })
      : null;
    this.built = true;
  }

  override call(inputs: LayerIO): Tensor {
    const x = asLayerDType(oneTensor(this, inputs), this.computeDtype);
    const inDim = this.kernel.shape![0]!;
    checkInput(this, x.shape, { minNdim: 2, axes: { [-1]: inDim } });
    if (x.rank === 2) return this.#dense(x);
    // Keras's tensordot over the last axis: [..., in] -> [-1, in] -> [..., units].
    const outer = x.shape!.slice(0, -1);
    const target =
      outer.filter((d) => d === null).length <= 1
        ? new Int32Array([...outer.map((d) => d ?? -1), this.units])
        : concat([slice(shapeOp(x), [0], [outer.length]), new Int32Array([this.units])], 0);
    return reshape(this.#dense(reshape(x, new Int32Array([-1, inDim]))), target);
  }

  /** MatMul -> BiasAdd -> activation on a matrix: the pattern of the runtime's matmul epilogue. */
  #dense(x: Tensor): Tensor {
    const y = matmul(x, this.kernel);
    return this.activation(this.bias ? biasAdd(y, this.bias) : y);
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    checkInput(this, s, this.built ? { minNdim: 2, axes: { [-1]: this.kernel.shape![0]! } } : { minNdim: 2 });
    return [...s.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: serializeActivation(this.#activationArg),
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
      biasRegularizer: this.biasRegularizer,
      kernelConstraint: this.kernelConstraint,
      biasConstraint: this.biasConstraint,
    };
  }
}
declare(Dense, DENSE);

// ---------------------------------------------------------------- Activation

const ACTIVATION_SIG = signature(
  "keras.layers.Activation",
  "Applies an activation function.",
  [param("activation", ACTIVATION, "A name (relu, softmax, ...) or a function."), ...LAYER_KWARGS],
  { args: () => ["relu", undefined, undefined, undefined, undefined, "activation_ex"] },
);
export class Activation extends Layer {
  readonly activation: ActivationFn;
  readonly #activationArg: ActivationArg;
  constructor(...args: CallArgs<typeof ACTIVATION_SIG.params>) {
    const p = parseArgs(ACTIVATION_SIG, args);
    super(layerArgs(p));
    this.#activationArg = p[0];
    this.activation = getActivation(p[0]);
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO): Tensor {
    return this.activation(oneTensor(this, inputs));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: serializeActivation(this.#activationArg) };
  }
}
declare(Activation, ACTIVATION_SIG);

// ---------------------------------------------------------------- Dropout

const DROPOUT = signature(
  "keras.layers.Dropout",
  "Zeroes inputs with probability rate in training (scaling the rest by 1 / (1 - rate)); the identity otherwise.",
  [
    param("rate", K.number, "The fraction of inputs to drop, in [0, 1]."),
    optional("noiseShape", SHAPE, "The shape of the drop mask, broadcast to the input (null dims: the input's)."),
    optional("seed", K.int, "The seed of the drop mask."),
    ...LAYER_KWARGS,
  ],
  { args: () => [0.5, undefined, 3, undefined, undefined, undefined, undefined, "dropout_ex"] },
);
export class Dropout extends Layer {
  readonly rate: number;
  readonly noiseShape: readonly (number | null)[] | null;
  readonly seed: number | null;
  constructor(...args: CallArgs<typeof DROPOUT.params>) {
    const p = parseArgs(DROPOUT, args);
    super(layerArgs(p));
    const [rate, noiseShape, seed] = p;
    if (!(rate >= 0 && rate <= 1))
      throw new InvalidArgumentError(`Dropout: invalid value received for argument \`rate\`. Expected a float value between 0 and 1. Received: rate=${rate}`);
    this.rate = rate;
    this.noiseShape = noiseShape ?? null;
    this.seed = seed ?? null;
    this.supportsMasking = true;
  }
  override call(inputs: LayerIO, options: CallOptions = {}): Tensor {
    const x = oneTensor(this, inputs);
    if (!options.training || this.rate === 0) return x;
    if (this.rate === 1) return multiply(x, convertToTensor(0, { dtype: x.dtype }));
    return dropout(x, this.rate, this.noiseShape ?? undefined, this.seed ?? undefined);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape, seed: this.seed };
  }
}
declare(Dropout, DROPOUT);

// ---------------------------------------------------------------- Masking

const MASKING = signature(
  "keras.layers.Masking",
  "Masks time steps whose features all equal maskValue (zeroes them and passes a mask on).",
  [withDefault("maskValue", K.number, 0, "The value that marks a padded step."), ...LAYER_KWARGS],
  { args: () => [0, undefined, undefined, undefined, undefined, "masking_ex"] },
);
export class Masking extends Layer {
  readonly maskValue: number;
  constructor(...args: CallArgs<typeof MASKING.params>) {
    const p = parseArgs(MASKING, args);
    super(layerArgs(p));
    this.maskValue = p[0];
    this.supportsMasking = true;
  }
  #keep(x: Tensor, keepdims: boolean): Tensor {
    return reduceAny(notEqual(x, convertToTensor(this.maskValue, { dtype: x.dtype })), -1, keepdims);
  }
  override call(inputs: LayerIO): Tensor {
    const x = oneTensor(this, inputs);
    return multiply(x, cast(this.#keep(x, true), x.dtype));
  }
  override computeMask(inputs: LayerIO): Tensor {
    return this.#keep(oneTensor(this, inputs), false);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return single(this, inputShape);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}
declare(Masking, MASKING);

// ---------------------------------------------------------------- Lambda

type LambdaFn = (x: Tensor | Tensor[], ...rest: unknown[]) => Tensor | Tensor[];
const LAMBDA = signature(
  "keras.layers.Lambda",
  "Wraps a function of tensors as a layer (no weights).",
  [
    param("function", kind<LambdaFn>("(x, ...arguments) => Tensor"), "The function."),
    optional(
      "outputShape",
      kind<readonly (number | null)[] | ((s: Shape | Shape[]) => Shape)>("Shape | (inputShape) => Shape"),
      "The output shape without the batch dimension, or a function of the input shape; absent: found by tracing the function.",
    ),
    optional(
      "mask",
      kind<Tensor | ((inputs: LayerIO, mask: unknown) => Tensor | null)>("Tensor | (inputs, mask) => Tensor"),
      "The output mask, or a function of the inputs and the mask.",
    ),
    optional("arguments", kind<Record<string, unknown>>("Record<string, unknown>"), "Keyword arguments passed to the function as one object after the inputs."),
    ...LAYER_KWARGS,
  ],
  { args: (tf) => [(x: unknown) => tf.square(x), undefined, undefined, undefined, undefined, undefined, undefined, undefined, "lambda_ex"] },
);
export class Lambda extends Layer {
  readonly function: LambdaFn;
  readonly outputShape: readonly (number | null)[] | ((s: Shape | Shape[]) => Shape) | null;
  readonly mask: Tensor | ((inputs: LayerIO, mask: unknown) => Tensor | null) | null;
  readonly functionArguments: Record<string, unknown> | null;
  constructor(...args: CallArgs<typeof LAMBDA.params>) {
    const p = parseArgs(LAMBDA, args);
    super(layerArgs(p));
    const [fn, outputShape, mask, argumentsArg] = p;
    if (typeof fn !== "function") throw new InvalidArgumentError(`Lambda: \`function\` must be a function, received ${String(fn)}`);
    this.function = fn;
    this.outputShape = outputShape ?? null;
    this.mask = mask ?? null;
    this.functionArguments = argumentsArg ?? null;
    this.supportsMasking = mask !== undefined && mask !== null;
  }
  override call(inputs: LayerIO): Tensor | Tensor[] {
    const x = (Array.isArray(inputs) ? [...inputs] : inputs) as Tensor | Tensor[];
    return this.functionArguments ? this.function(x, this.functionArguments) : this.function(x);
  }
  override computeMask(inputs: LayerIO, mask: CallOptions["mask"]) {
    if (this.mask === null) return null;
    return typeof this.mask === "function" ? this.mask(inputs, mask) : this.mask;
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    if (typeof this.outputShape === "function") return this.outputShape(inputShape);
    if (this.outputShape !== null) {
      const first = Array.isArray(inputShape) && inputShape.length > 0 && Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape);
      return [first?.[0] ?? null, ...this.outputShape];
    }
    // As Keras: run the function on placeholders of the input's shape in a scratch graph.
    const g = new Graph();
    return g.asDefault(() => {
      const isList = Array.isArray(inputShape) && inputShape.length > 0 && Array.isArray(inputShape[0]);
      const mk = (s: Shape) => placeholder(this.computeDtype, s);
      const ins = isList ? (inputShape as Shape[]).map(mk) : mk(inputShape as Shape);
      const out = this.call(ins);
      return Array.isArray(out) ? out.map((t) => t.shape) : out.shape;
    });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), function: this.function, outputShape: this.outputShape, mask: this.mask, arguments: this.functionArguments };
  }
}
declare(Lambda, LAMBDA);
