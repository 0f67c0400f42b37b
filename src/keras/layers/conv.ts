/**
 * The convolution layers: Conv1D, Conv2D, Conv2DTranspose and DepthwiseConv2D (Keras's layers/convolutional).
 *
 * Each computes conv -> BiasAdd -> activation with the engine's convolution ops (channels_last by default,
 * channels_first passed to the ops as NCW/NCHW), so graph mode fuses the bias and activation elementwise.
 */
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import type { Dim, Shape } from "../../core/shape.js";
import { declare, K, optional, param, parseArgs, signature, withDefault, type AnyParam, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import type { TensorLike } from "../../core/tensor_like.js";
import { conv1d, conv2d, conv2dTranspose, depthwiseConv2d } from "../../ops/conv.js";
import { concat, pad, slice } from "../../ops/movement.js";
import { biasAdd } from "../../ops/norm.js";
import { currentExecutor } from "../../ops/executor.js";
import { shape as shapeOp } from "../../ops/shape.js";
import type { Variable } from "../../variables/variable.js";
import { type ActivationArg, type ActivationFn, get as getActivation, serialize as serializeActivation } from "../activations.js";
import { type ConstraintArg, get as getConstraint } from "../constraints.js";
import { type InitializerArg, get as getInitializer } from "../initializers.js";
import { type RegularizerArg, get as getRegularizer } from "../regularizers.js";
import { LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import {
  ACTIVATION,
  CONSTRAINT,
  INITIALIZER,
  REGULARIZER,
  asLayerDType,
  checkInput,
  convOutputLength,
  DATA_FORMAT,
  type DataFormat,
  deconvOutputLength,
  INT_OR_TUPLE,
  normDataFormat,
  normPadding,
  normTuple,
  oneTensor,
  opFormat,
  type Padding,
  PADDING,
  single,
} from "./utils.js";

/** The parameters after the kernel's own (Keras's Conv.__init__ order from activation on). */
const tail = (kernel: "kernel" | "depthwise") =>
  [
    optional("activation", ACTIVATION, "The activation (a name, a function, or none: linear)."),
    withDefault("useBias", K.boolean, true, "Whether to add a bias."),
    withDefault(`${kernel}Initializer`, INITIALIZER, "glorot_uniform", "The kernel's initializer."),
    withDefault("biasInitializer", INITIALIZER, "zeros", "The bias's initializer."),
    optional(`${kernel}Regularizer`, REGULARIZER, "A penalty on the kernel."),
    optional("biasRegularizer", REGULARIZER, "A penalty on the bias."),
    optional(`${kernel}Constraint`, CONSTRAINT, "A projection of the kernel after each update."),
    optional("biasConstraint", CONSTRAINT, "A projection of the bias after each update."),
  ] as const;

interface WeightArgs {
  activation: ActivationArg | undefined;
  useBias: boolean;
  kernelInitializer: InitializerArg;
  biasInitializer: InitializerArg;
  kernelRegularizer: RegularizerArg | undefined;
  biasRegularizer: RegularizerArg | undefined;
  kernelConstraint: ConstraintArg | undefined;
  biasConstraint: ConstraintArg | undefined;
}
function weightArgs(t: readonly unknown[]): WeightArgs {
  const [activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, kernelConstraint, biasConstraint] = t as [
    ActivationArg | undefined,
    boolean,
    InitializerArg,
    InitializerArg,
    RegularizerArg | undefined,
    RegularizerArg | undefined,
    ConstraintArg | undefined,
    ConstraintArg | undefined,
  ];
  return { activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, kernelConstraint, biasConstraint };
}

interface WindowArgs {
  kernelSize: number[];
  strides: number[];
  padding: Padding;
  dataFormat: DataFormat;
  dilationRate: number[];
}

/** What the convolution layers share: window arguments, the kernel and bias, the bias add and activation. */
abstract class Conv extends Layer {
  readonly rank: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: Padding;
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  kernel!: Variable;
  bias!: Variable | null;
  protected readonly w: WeightArgs;

  constructor(rank: number, window: WindowArgs, w: WeightArgs, kw: readonly unknown[]) {
    super(layerArgs(kw));
    this.rank = rank;
    this.kernelSize = window.kernelSize;
    this.strides = window.strides;
    this.padding = window.padding;
    this.dataFormat = window.dataFormat;
    this.dilationRate = window.dilationRate;
    this.w = w;
    this.activation = getActivation(w.activation ?? null);
    this.useBias = w.useBias;
  }

  protected get channelAxis(): number {
    return this.dataFormat === "channels_first" ? 1 : -1;
  }

  /** The input's channel count, checked (rank + 2 dims, a known channel axis). */
  protected inputChannels(inputShape: Shape | Shape[]): number {
    const s = single(this, inputShape);
    checkInput(this, s, { ndim: this.rank + 2 });
    const c = s[this.channelAxis < 0 ? s.length - 1 : 1];
    if (c === null) throw new InvalidArgumentError(`The channel dimension of the inputs to layer "${this.name}" should be defined. Found None.`);
    return c;
  }

  protected addKernelAndBias(kernelShape: number[], biasSize: number): void {
    const w = this.w;
    this.kernel = this.addWeight(this instanceof DepthwiseConv2D ? "depthwise_kernel" : "kernel", {
      shape: kernelShape,
      initializer: getInitializer(w.kernelInitializer)!,
      regularizer: getRegularizer(w.kernelRegularizer ?? null),
      constraint: getConstraint(w.kernelConstraint ?? null),
    });
    this.bias = this.useBias
      ? this.addWeight("bias", {
          shape: [biasSize],
          initializer: getInitializer(w.biasInitializer)!,
          regularizer: getRegularizer(w.biasRegularizer ?? null),
          constraint: getConstraint(w.biasConstraint ?? null),
        })
      : null;
  }

  /** conv -> BiasAdd -> activation. */
  protected finish(y: Tensor): Tensor {
    const b = this.bias ? biasAdd(y, this.bias, this.dataFormat === "channels_first" ? "NCHW" : "NHWC") : y;
    return this.activation(b);
  }

  /** The spatial output dims of the window. */
  protected spatialOut(s: readonly Dim[]): Dim[] {
    const spatial = this.dataFormat === "channels_first" ? s.slice(2) : s.slice(1, -1);
    return spatial.map((d, i) =>
      convOutputLength(d, this.kernelSize[i], this.padding === "causal" ? "valid" : this.padding, this.strides[i], this.dilationRate[i]),
    );
  }
  protected withChannels(s: readonly Dim[], spatial: Dim[], channels: number): Shape {
    return this.dataFormat === "channels_first" ? [s[0], channels, ...spatial] : [s[0], ...spatial, channels];
  }

  protected windowConfig(): Record<string, unknown> {
    const w = this.w;
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      activation: serializeActivation(w.activation ?? null),
      useBias: this.useBias,
      biasInitializer: w.biasInitializer,
      biasRegularizer: w.biasRegularizer ?? null,
      biasConstraint: w.biasConstraint ?? null,
    };
  }
  protected kernelConfig(prefix: "kernel" | "depthwise"): Record<string, unknown> {
    return {
      [`${prefix}Initializer`]: this.w.kernelInitializer,
      [`${prefix}Regularizer`]: this.w.kernelRegularizer ?? null,
      [`${prefix}Constraint`]: this.w.kernelConstraint ?? null,
    };
  }
}

const filtersParams = (n: number, paddings: string) =>
  [
    param("filters", K.int, "The number of output channels."),
    param("kernelSize", INT_OR_TUPLE, `The window size (an int or ${n} ints).`),
    withDefault("strides", INT_OR_TUPLE, 1, "The window step."),
    withDefault("padding", PADDING, "valid", paddings),
    optional("dataFormat", DATA_FORMAT, "channels_last (default) or channels_first."),
    withDefault("dilationRate", INT_OR_TUPLE, 1, "The dilation rate (atrous convolution)."),
    withDefault("groups", K.int, 1, "The number of channel groups (only 1 is supported)."),
  ] as const;

function window(
  layer: string,
  n: number,
  kernelSize: number | readonly number[],
  strides: number | readonly number[],
  padding: string,
  dataFormat: string | undefined,
  dilationRate: number | readonly number[],
  paddings: readonly Padding[] = ["valid", "same"],
): WindowArgs {
  const w = {
    kernelSize: normTuple(layer, "kernel_size", kernelSize, n),
    strides: normTuple(layer, "strides", strides, n),
    padding: normPadding(layer, padding, paddings),
    dataFormat: normDataFormat(layer, dataFormat),
    dilationRate: normTuple(layer, "dilation_rate", dilationRate, n),
  };
  if (w.strides.some((s) => s > 1) && w.dilationRate.some((d) => d > 1)) {
    throw new InvalidArgumentError(
      `${layer}: \`strides > 1\` not supported in conjunction with \`dilation_rate > 1\`. Received: strides=[${w.strides}] and dilation_rate=[${w.dilationRate}]`,
    );
  }
  return w;
}
function checkFilters(layer: string, filters: number, groups: number): void {
  if (!(Number.isInteger(filters) && filters > 0))
    throw new InvalidArgumentError(`${layer}: invalid value for argument \`filters\`. Expected a strictly positive value. Received filters=${filters}.`);
  if (groups !== 1) throw new UnimplementedError(`${layer}: groups=${groups} is not supported yet (only 1)`);
}

// ---------------------------------------------------------------- Conv2D

const CONV2D = signature(
  "keras.layers.Conv2D",
  "2-D convolution: activation(conv2d(input, kernel) + bias).",
  [...filtersParams(2, '"valid" (no padding) or "same" (output size ceil(input / stride)).'), ...tail("kernel"), ...LAYER_KWARGS],
  { args: () => [2, 3, 1, "same", undefined, 1, 1, "relu"] },
);
export class Conv2D extends Conv {
  readonly filters: number;
  constructor(...args: CallArgs<typeof CONV2D.params>) {
    const p = parseArgs(CONV2D, args);
    const [filters, kernelSize, strides, padding, dataFormat, dilationRate, groups] = p;
    checkFilters("Conv2D", filters, groups);
    super(2, window("Conv2D", 2, kernelSize, strides, padding, dataFormat, dilationRate), weightArgs(p.slice(7, 15)), p);
    this.filters = filters;
  }
  override build(inputShape: Shape | Shape[]): void {
    const c = this.inputChannels(inputShape);
    this.addKernelAndBias([...this.kernelSize, c, this.filters], this.filters);
    this.built = true;
  }
  override call(inputs: LayerIO): Tensor {
    const x = asLayerDType(oneTensor(this, inputs), this.computeDtype);
    checkInput(this, x.shape, { ndim: 4, axes: { [this.channelAxis]: this.kernel.shape![2]! } });
    const y = conv2d(x, this.kernel, this.strides, this.padding.toUpperCase(), opFormat(this.dataFormat, 2), this.dilationRate);
    return this.finish(y);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    checkInput(this, s, this.built ? { ndim: 4, axes: { [this.channelAxis]: this.kernel.shape![2]! } } : { ndim: 4 });
    return this.withChannels(s, this.spatialOut(s), this.filters);
  }
  override getConfig(): Record<string, unknown> {
    return { ...this.windowConfig(), filters: this.filters, groups: 1, ...this.kernelConfig("kernel") };
  }
}
declare(Conv2D, CONV2D);

// ---------------------------------------------------------------- Conv1D

const CONV1D = signature(
  "keras.layers.Conv1D",
  "1-D convolution over steps: activation(conv1d(input, kernel) + bias).",
  [...filtersParams(1, '"valid", "same" or "causal" (output t sees inputs up to t).'), ...tail("kernel"), ...LAYER_KWARGS],
  { args: () => [2, 3, 1, "causal"] },
);
export class Conv1D extends Conv {
  readonly filters: number;
  constructor(...args: CallArgs<typeof CONV1D.params>) {
    const p = parseArgs(CONV1D, args);
    const [filters, kernelSize, strides, padding, dataFormat, dilationRate, groups] = p;
    checkFilters("Conv1D", filters, groups);
    super(1, window("Conv1D", 1, kernelSize, strides, padding, dataFormat, dilationRate, ["valid", "same", "causal"]), weightArgs(p.slice(7, 15)), p);
    if (this.padding === "causal" && this.dataFormat === "channels_first")
      throw new InvalidArgumentError('Conv1D: causal padding is only supported with data_format "channels_last"');
    this.filters = filters;
  }
  override build(inputShape: Shape | Shape[]): void {
    const c = this.inputChannels(inputShape);
    this.addKernelAndBias([this.kernelSize[0], c, this.filters], this.filters);
    this.built = true;
  }
  override call(inputs: LayerIO): Tensor {
    let x = asLayerDType(oneTensor(this, inputs), this.computeDtype);
    checkInput(this, x.shape, { ndim: 3, axes: { [this.channelAxis]: this.kernel.shape![1]! } });
    let padding = this.padding.toUpperCase();
    if (this.padding === "causal") {
      // Keras: pad dilation * (kernel - 1) steps in front, then a VALID convolution.
      x = pad(x, [
        [0, 0],
        [this.dilationRate[0] * (this.kernelSize[0] - 1), 0],
        [0, 0],
      ]);
      padding = "VALID";
    }
    const y = conv1d(x, this.kernel, this.strides[0], padding, opFormat(this.dataFormat, 1), this.dilationRate[0]);
    return this.finish(y);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    checkInput(this, s, { ndim: 3 });
    if (this.padding === "causal") {
      const len = s[1] === null ? null : Math.floor((s[1] + this.strides[0] - 1) / this.strides[0]);
      return [s[0], len, this.filters];
    }
    return this.withChannels(s, this.spatialOut(s), this.filters);
  }
  override getConfig(): Record<string, unknown> {
    return { ...this.windowConfig(), filters: this.filters, groups: 1, ...this.kernelConfig("kernel") };
  }
}
declare(Conv1D, CONV1D);

// ---------------------------------------------------------------- Conv2DTranspose

const CONV2D_T_HEAD = [
  param("filters", K.int, "The number of output channels."),
  param("kernelSize", INT_OR_TUPLE, "The window size (an int or 2 ints)."),
  withDefault("strides", INT_OR_TUPLE, 1, "The upsampling step."),
  withDefault("padding", PADDING, "valid", '"valid" or "same".'),
  optional("outputPadding", INT_OR_TUPLE, "Extra rows and columns on the output's far side (less than the stride); absent: inferred."),
  optional("dataFormat", DATA_FORMAT, "channels_last (default) or channels_first."),
  withDefault("dilationRate", INT_OR_TUPLE, 1, "The dilation rate."),
] as const satisfies readonly AnyParam[];
const CONV2D_T = signature(
  "keras.layers.Conv2DTranspose",
  'Transposed 2-D convolution (the gradient of Conv2D with respect to its input; a "deconvolution").',
  [...CONV2D_T_HEAD, ...tail("kernel"), ...LAYER_KWARGS],
  { args: () => [2, 3, 2, "same"] },
);
export class Conv2DTranspose extends Conv {
  readonly filters: number;
  readonly outputPadding: number[] | null;
  constructor(...args: CallArgs<typeof CONV2D_T.params>) {
    const p = parseArgs(CONV2D_T, args);
    const [filters, kernelSize, strides, padding, outputPadding, dataFormat, dilationRate] = p;
    checkFilters("Conv2DTranspose", filters, 1);
    super(2, window("Conv2DTranspose", 2, kernelSize, strides, padding, dataFormat, dilationRate), weightArgs(p.slice(7, 15)), p);
    this.filters = filters;
    this.outputPadding = outputPadding === undefined ? null : normTuple("Conv2DTranspose", "output_padding", outputPadding, 2);
    this.outputPadding?.forEach((op, i) => {
      if (op >= this.strides[i]) {
        throw new InvalidArgumentError(
          `Conv2DTranspose: strides must be greater than output padding. Received strides=[${this.strides}], output_padding=[${this.outputPadding}].`,
        );
      }
    });
  }
  override build(inputShape: Shape | Shape[]): void {
    const c = this.inputChannels(inputShape);
    // [h, w, out, in]: the transposed convolution's filter layout.
    this.addKernelAndBias([...this.kernelSize, this.filters, c], this.filters);
    this.built = true;
  }
  #spatial(s: readonly Dim[]): Dim[] {
    const spatial = this.dataFormat === "channels_first" ? s.slice(2) : s.slice(1, -1);
    return spatial.map((d, i) =>
      deconvOutputLength(d, this.kernelSize[i], this.padding, this.outputPadding?.[i] ?? null, this.strides[i], this.dilationRate[i]),
    );
  }
  override call(inputs: LayerIO): Tensor {
    const x = asLayerDType(oneTensor(this, inputs), this.computeDtype);
    checkInput(this, x.shape, { ndim: 4, axes: { [this.channelAxis]: this.kernel.shape![3]! } });
    const s = x.shape!;
    const spatial = this.#spatial(s);
    let outShape: TensorLike;
    if (spatial.every((d) => d !== null) && s[0] !== null) outShape = new Int32Array(this.withChannels(s, spatial, this.filters) as number[]);
    else {
      if (spatial.some((d) => d === null)) throw new UnimplementedError(`Conv2DTranspose "${this.name}": unknown spatial dimensions in input shape [${s}]`);
      const rest = this.dataFormat === "channels_first" ? [this.filters, ...(spatial as number[])] : [...(spatial as number[]), this.filters];
      outShape = concat([slice(shapeOp(x), [0], [1]), new Int32Array(rest)], 0);
    }
    const y = conv2dTranspose(x, this.kernel, outShape, this.strides, this.padding.toUpperCase(), opFormat(this.dataFormat, 2), this.dilationRate);
    // A shape computed at run time hides the static one from inference: give it back (Tensor.set_shape).
    if (!(outShape instanceof Int32Array)) currentExecutor().refineShape(y, this.withChannels(s, spatial, this.filters));
    return this.finish(y);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    checkInput(this, s, { ndim: 4 });
    return this.withChannels(s, this.#spatial(s), this.filters);
  }
  override getConfig(): Record<string, unknown> {
    return { ...this.windowConfig(), filters: this.filters, outputPadding: this.outputPadding, ...this.kernelConfig("kernel") };
  }
}
declare(Conv2DTranspose, CONV2D_T);

// ---------------------------------------------------------------- DepthwiseConv2D

const DEPTHWISE = signature(
  "keras.layers.DepthwiseConv2D",
  "Depthwise 2-D convolution: each input channel convolved with its own depthMultiplier filters.",
  [
    param("kernelSize", INT_OR_TUPLE, "The window size (an int or 2 ints)."),
    withDefault("strides", INT_OR_TUPLE, 1, "The window step."),
    withDefault("padding", PADDING, "valid", '"valid" or "same".'),
    withDefault("depthMultiplier", K.int, 1, "The output channels per input channel."),
    optional("dataFormat", DATA_FORMAT, "channels_last (default) or channels_first."),
    withDefault("dilationRate", INT_OR_TUPLE, 1, "The dilation rate."),
    ...tail("depthwise"),
    ...LAYER_KWARGS,
  ],
  { args: () => [3, 1, "same", 2] },
);
export class DepthwiseConv2D extends Conv {
  readonly depthMultiplier: number;
  constructor(...args: CallArgs<typeof DEPTHWISE.params>) {
    const p = parseArgs(DEPTHWISE, args);
    const [kernelSize, strides, padding, depthMultiplier, dataFormat, dilationRate] = p;
    super(2, window("DepthwiseConv2D", 2, kernelSize, strides, padding, dataFormat, dilationRate), weightArgs(p.slice(6, 14)), p);
    this.depthMultiplier = depthMultiplier;
  }
  override build(inputShape: Shape | Shape[]): void {
    const c = this.inputChannels(inputShape);
    this.addKernelAndBias([...this.kernelSize, c, this.depthMultiplier], c * this.depthMultiplier);
    this.built = true;
  }
  override call(inputs: LayerIO): Tensor {
    const x = asLayerDType(oneTensor(this, inputs), this.computeDtype);
    checkInput(this, x.shape, { ndim: 4, axes: { [this.channelAxis]: this.kernel.shape![2]! } });
    const y = depthwiseConv2d(x, this.kernel, this.strides, this.padding.toUpperCase(), opFormat(this.dataFormat, 2), this.dilationRate);
    return this.finish(y);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    checkInput(this, s, { ndim: 4 });
    const c = s[this.dataFormat === "channels_first" ? 1 : 3];
    return this.withChannels(s, this.spatialOut(s), c === null ? (null as unknown as number) : c * this.depthMultiplier);
  }
  override getConfig(): Record<string, unknown> {
    return { ...this.windowConfig(), depthMultiplier: this.depthMultiplier, ...this.kernelConfig("depthwise") };
  }
}
declare(DepthwiseConv2D, DEPTHWISE);
