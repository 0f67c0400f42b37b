/**
 * The pooling layers: MaxPooling1D/2D, AveragePooling1D/2D (the engine's MaxPool and AvgPool ops) and
 * GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D (a mean or max over the spatial axes).
 */
import type { Dim, Shape } from "../../core/shape.js";
import { declare, K, optional, parseArgs, signature, withDefault, type CallArgs } from "../../core/signature.js";
import type { Tensor } from "../../core/tensor.js";
import { avgPool1d, avgPool2d, maxPool1d, maxPool2d } from "../../ops/pool.js";
import { reduceMax, reduceMean } from "../../ops/reduce.js";
import { LAYER_KWARGS, Layer, type LayerIO, layerArgs } from "../engine/layer.js";
import {
  checkInput,
  convOutputLength,
  DATA_FORMAT,
  type DataFormat,
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

const poolParams = (n: number) =>
  [
    withDefault("poolSize", INT_OR_TUPLE, 2, `The window size (an int or ${n} ints).`),
    optional("strides", INT_OR_TUPLE, "The window step; absent: poolSize."),
    withDefault("padding", PADDING, "valid", '"valid" or "same".'),
    optional("dataFormat", DATA_FORMAT, "channels_last (default) or channels_first."),
    ...LAYER_KWARGS,
  ] as const;

/** A pooling layer of 1 or 2 spatial dimensions. */
abstract class Pooling extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: Padding;
  readonly dataFormat: DataFormat;
  protected abstract readonly nSpatial: 1 | 2;

  constructor(n: number, layer: string, parsed: readonly unknown[]) {
    super(layerArgs(parsed));
    const [poolSize, strides, padding, dataFormat] = parsed as [number | number[], number | number[] | undefined, string, string | undefined];
    this.poolSize = normTuple(layer, "pool_size", poolSize, n);
    this.strides = strides === undefined || strides === null ? this.poolSize : normTuple(layer, "strides", strides, n);
    this.padding = normPadding(layer, padding);
    this.dataFormat = normDataFormat(layer, dataFormat);
  }
  protected abstract pool(x: Tensor, format: string): Tensor;

  override call(inputs: LayerIO): Tensor {
    const x = oneTensor(this, inputs);
    checkInput(this, x.shape, { ndim: this.nSpatial + 2 });
    return this.pool(x, opFormat(this.dataFormat, this.nSpatial));
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    checkInput(this, s, { ndim: this.nSpatial + 2 });
    const cf = this.dataFormat === "channels_first";
    const spatial = (cf ? s.slice(2) : s.slice(1, -1)).map((d, i) => convOutputLength(d, this.poolSize[i], this.padding, this.strides[i]));
    return cf ? [s[0], s[1], ...spatial] : [s[0], ...spatial, s[s.length - 1]];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat };
  }
}

const MAX_POOLING_2D = signature("keras.layers.MaxPooling2D", "2-D max pooling.", poolParams(2), { args: () => [2, 2, "valid"] });
export class MaxPooling2D extends Pooling {
  protected readonly nSpatial = 2;
  constructor(...args: CallArgs<typeof MAX_POOLING_2D.params>) {
    super(2, "MaxPooling2D", parseArgs(MAX_POOLING_2D, args));
  }
  protected pool(x: Tensor, format: string): Tensor {
    return maxPool2d(x, this.poolSize, this.strides, this.padding.toUpperCase(), format);
  }
}
declare(MaxPooling2D, MAX_POOLING_2D);

const AVERAGE_POOLING_2D = signature("keras.layers.AveragePooling2D", "2-D average pooling.", poolParams(2), { args: () => [2, 2, "valid"] });
export class AveragePooling2D extends Pooling {
  protected readonly nSpatial = 2;
  constructor(...args: CallArgs<typeof AVERAGE_POOLING_2D.params>) {
    super(2, "AveragePooling2D", parseArgs(AVERAGE_POOLING_2D, args));
  }
  protected pool(x: Tensor, format: string): Tensor {
    return avgPool2d(x, this.poolSize, this.strides, this.padding.toUpperCase(), format);
  }
}
declare(AveragePooling2D, AVERAGE_POOLING_2D);

const MAX_POOLING_1D = signature("keras.layers.MaxPooling1D", "1-D max pooling over steps.", poolParams(1), { args: () => [2, 1, "same"] });
export class MaxPooling1D extends Pooling {
  protected readonly nSpatial = 1;
  constructor(...args: CallArgs<typeof MAX_POOLING_1D.params>) {
    super(1, "MaxPooling1D", parseArgs(MAX_POOLING_1D, args));
  }
  protected pool(x: Tensor, format: string): Tensor {
    return maxPool1d(x, this.poolSize[0], this.strides[0], this.padding.toUpperCase(), format);
  }
}
declare(MaxPooling1D, MAX_POOLING_1D);

const AVERAGE_POOLING_1D = signature("keras.layers.AveragePooling1D", "1-D average pooling over steps.", poolParams(1), { args: () => [2, 1, "same"] });
export class AveragePooling1D extends Pooling {
  protected readonly nSpatial = 1;
  constructor(...args: CallArgs<typeof AVERAGE_POOLING_1D.params>) {
    super(1, "AveragePooling1D", parseArgs(AVERAGE_POOLING_1D, args));
  }
  protected pool(x: Tensor, format: string): Tensor {
    return avgPool1d(x, this.poolSize[0], this.strides[0], this.padding.toUpperCase(), format);
  }
}
declare(AveragePooling1D, AVERAGE_POOLING_1D);

// ---------------------------------------------------------------- global pooling

const globalParams = [
  optional("dataFormat", DATA_FORMAT, "channels_last (default) or channels_first."),
  withDefault("keepdims", K.boolean, false, "Keep the spatial axes with size 1."),
  ...LAYER_KWARGS,
] as const;

abstract class GlobalPooling extends Layer {
  readonly dataFormat: DataFormat;
  readonly keepdims: boolean;
  protected abstract readonly nSpatial: 1 | 2;
  constructor(layer: string, parsed: readonly unknown[]) {
    super(layerArgs(parsed));
    const [dataFormat, keepdims] = parsed as [string | undefined, boolean];
    this.dataFormat = normDataFormat(layer, dataFormat);
    this.keepdims = keepdims;
  }
  protected get axes(): number[] {
    return Array.from({ length: this.nSpatial }, (_, i) => (this.dataFormat === "channels_first" ? 2 + i : 1 + i));
  }
  protected abstract reduce(x: Tensor): Tensor;
  override call(inputs: LayerIO): Tensor {
    const x = oneTensor(this, inputs);
    checkInput(this, x.shape, { ndim: this.nSpatial + 2 });
    return this.reduce(x);
  }
  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = single(this, inputShape);
    checkInput(this, s, { ndim: this.nSpatial + 2 });
    const axes = new Set(this.axes);
    if (this.keepdims) return s.map((d, i): Dim => (axes.has(i) ? 1 : d));
    return s.filter((_, i) => !axes.has(i));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}

const GLOBAL_AVERAGE_POOLING2D = signature("keras.layers.GlobalAveragePooling2D", "The mean over the two spatial axes.", globalParams, {
  args: () => ["channels_last", true],
});
export class GlobalAveragePooling2D extends GlobalPooling {
  protected readonly nSpatial = 2;
  constructor(...args: CallArgs<typeof GLOBAL_AVERAGE_POOLING2D.params>) {
    super("GlobalAveragePooling2D", parseArgs(GLOBAL_AVERAGE_POOLING2D, args));
  }
  protected reduce(x: Tensor): Tensor {
    return reduceMean(x, this.axes, this.keepdims);
  }
}
declare(GlobalAveragePooling2D, GLOBAL_AVERAGE_POOLING2D);

const GLOBAL_MAX_POOLING2D = signature("keras.layers.GlobalMaxPooling2D", "The maximum over the two spatial axes.", globalParams, {
  args: () => ["channels_last", true],
});
export class GlobalMaxPooling2D extends GlobalPooling {
  protected readonly nSpatial = 2;
  constructor(...args: CallArgs<typeof GLOBAL_MAX_POOLING2D.params>) {
    super("GlobalMaxPooling2D", parseArgs(GLOBAL_MAX_POOLING2D, args));
  }
  protected reduce(x: Tensor): Tensor {
    return reduceMax(x, this.axes, this.keepdims);
  }
}
declare(GlobalMaxPooling2D, GLOBAL_MAX_POOLING2D);

const GLOBAL_AVERAGE_POOLING1D = signature("keras.layers.GlobalAveragePooling1D", "The mean over the steps.", globalParams, {
  args: () => ["channels_last", true],
});
export class GlobalAveragePooling1D extends GlobalPooling {
  protected readonly nSpatial = 1;
  constructor(...args: CallArgs<typeof GLOBAL_AVERAGE_POOLING1D.params>) {
    super("GlobalAveragePooling1D", parseArgs(GLOBAL_AVERAGE_POOLING1D, args));
  }
  protected reduce(x: Tensor): Tensor {
    return reduceMean(x, this.axes, this.keepdims);
  }
}
declare(GlobalAveragePooling1D, GLOBAL_AVERAGE_POOLING1D);

const GLOBAL_MAX_POOLING1D = signature("keras.layers.GlobalMaxPooling1D", "The maximum over the steps.", globalParams, { args: () => ["channels_last", true] });
export class GlobalMaxPooling1D extends GlobalPooling {
  protected readonly nSpatial = 1;
  constructor(...args: CallArgs<typeof GLOBAL_MAX_POOLING1D.params>) {
    super("GlobalMaxPooling1D", parseArgs(GLOBAL_MAX_POOLING1D, args));
  }
  protected reduce(x: Tensor): Tensor {
    return reduceMax(x, this.axes, this.keepdims);
  }
}
declare(GlobalMaxPooling1D, GLOBAL_MAX_POOLING1D);
