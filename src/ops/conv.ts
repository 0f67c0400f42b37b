import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { Attrs } from "../core/schema/types.js";
import { channelsFirst, FORMATS } from "../core/geometry/window.js";
import { defineFunction, K, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1 } from "./dispatch.js";
import { defineGradients, GradFn, GradOp } from "./registry.js";
import { dropAxis, expandAxis, fullList, INT_OR_LIST, type IntOrList, PADDING, type Padding, paddingAttrs, refine, shapeOf, toTensor } from "./window_args.js";

/**
 * Gradients of the convolutions (rows and shape functions in core/schema/conv.ts) and the tf.nn
 * convolution functions.
 */

function defineConvGradients<F extends "Conv2D" | "DepthwiseConv2dNative">(fwd: F): void {
  const bi = `${fwd}BackpropInput` as const;
  const bf = `${fwd}BackpropFilter` as const;
  const grads: { [K in F | typeof bi | typeof bf]: GradFn } = {
    [fwd]: (op: GradOp, [dy]: readonly Tensor[]) => {
      const [x, f] = op.inputs;
      // The input gradient of a network's first layer is rarely wanted: skip it when nothing needs it.
      const dx = op.needsGradient?.[0] === false ? null : refine(execute1(bi, [shapeOf(x), f, dy], op.attrs), x);
      const df = op.needsGradient?.[1] === false ? null : refine(execute1(bf, [x, shapeOf(f), dy], op.attrs), f);
      return [dx, df];
    },
    [bi]: (op: GradOp, [g]: readonly Tensor[]) => {
      const [, f, dy] = op.inputs;
      return [null, refine(execute1(bf, [g, shapeOf(f), dy], op.attrs), f), execute1(fwd, [g, f], op.attrs)];
    },
    [bf]: (op: GradOp, [g]: readonly Tensor[]) => {
      const [x, , dy] = op.inputs;
      return [refine(execute1(bi, [shapeOf(x), g, dy], op.attrs), x), null, execute1(fwd, [x, g], op.attrs)];
    },
  } as { [K in F | typeof bi | typeof bf]: GradFn };
  defineGradients(grads);
}
defineConvGradients("Conv2D");
defineConvGradients("DepthwiseConv2dNative");

// ---------------------------------------------------------------- convolutions

function convAttrs(op: string, a: { strides?: IntOrList; padding?: Padding; dataFormat?: string; dilations?: IntOrList }, nSpatial: number, fmtOp = op): Attrs {
  const rank = nSpatial + 2;
  const dataFormat = a.dataFormat ?? FORMATS[rank][0];
  const cf = channelsFirst(fmtOp, dataFormat, rank);
  if (a.strides === undefined) throw new InvalidArgumentError(`${op}: strides is required`);
  return {
    strides: fullList(op, "strides", a.strides, nSpatial, cf),
    ...paddingAttrs(op, a.padding, rank),
    data_format: dataFormat,
    dilations: fullList(op, "dilations", a.dilations, nSpatial, cf),
  };
}

/**
 * tf.nn.conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name): input
 * [batch, in_height, in_width, in_channels] (NHWC) or [batch, in_channels, in_height, in_width] (NCHW),
 * filters [filter_height, filter_width, in_channels, out_channels].
 */
export const conv2d = defineFunction(
  signature(
    "nn.conv2d",
    "2-D convolution (cross-correlation) of NHWC or NCHW input with [h, w, in, out] filters.",
    [
      param("input", T.tensor, "The input tensor."),
      param("filters", T.tensor, "The filters."),
      param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."),
      param("padding", PADDING, '"SAME", "VALID", or explicit [before, after] pairs per dimension.'),
      optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."),
      optional("dilations", INT_OR_LIST, "The dilation rate per spatial dimension (default 1)."),
      NAME,
    ],
    {
      args: () => [
        [
          [
            [[1], [2], [3]],
            [[4], [5], [6]],
            [[7], [8], [9]],
          ],
        ],
        [
          [[[1]], [[0]]],
          [[[0]], [[1]]],
        ],
        1,
        "VALID",
      ],
    },
  ),
  (input, filters, stridesArg, paddingArg, dataFormatArg, dilationsArg, nameArg): Tensor => {
    const a = { strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, dilations: dilationsArg, name: nameArg };
    return execute1("Conv2D", [input, filters], convAttrs("Conv2D", a, 2), a.name);
  },
);

/**
 * tf.nn.conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",
 * dilations=None, name): the gradient of conv2d with respect to its input (op Conv2DBackpropInput);
 * filters are [height, width, output_channels, in_channels].
 */
export const conv2dTranspose = defineFunction(
  signature(
    "nn.conv2d_transpose",
    'The gradient of conv2d with respect to its input (a "deconvolution").',
    [
      param("input", T.tensor, "The input tensor."),
      param("filters", T.tensor, "The filters, [h, w, output_channels, in_channels]."),
      param("outputShape", T.tensor, "The shape of the result."),
      param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."),
      withDefault("padding", PADDING, "SAME", '"SAME", "VALID", or explicit pairs.'),
      optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."),
      optional("dilations", INT_OR_LIST, "The dilation rate per spatial dimension (default 1)."),
      NAME,
    ],
    {
      args: () => [
        [
          [
            [[1], [2]],
            [[3], [4]],
          ],
        ],
        [[[[1]]]],
        [1, 2, 2, 1],
        1,
        "SAME",
      ],
    },
  ),
  (input, filters, outputShapeArg, stridesArg, paddingArg, dataFormatArg, dilationsArg, nameArg): Tensor => {
    const a = { outputShape: outputShapeArg, strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, dilations: dilationsArg, name: nameArg };
    if (a.outputShape === undefined) throw new InvalidArgumentError("conv2d_transpose: output_shape is required");
    const os = Array.isArray(a.outputShape) ? new Int32Array(a.outputShape as number[]) : a.outputShape;
    const attrs = convAttrs("Conv2DBackpropInput", { ...a, padding: a.padding ?? "SAME" }, 2);
    return execute1("Conv2DBackpropInput", [os, filters, input], attrs, a.name ?? "conv2d_transpose");
  },
);

/**
 * tf.nn.depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name):
 * filter [h, w, in_channels, channel_multiplier]; output channels in_channels * channel_multiplier
 * (op DepthwiseConv2dNative, which takes dilations directly).
 */
export const depthwiseConv2d = defineFunction(
  signature(
    "nn.depthwise_conv2d",
    "Depthwise 2-D convolution: each input channel convolved with its own filters.",
    [
      param("input", T.tensor, "The input tensor."),
      param("filter", T.tensor, "The filter, [h, w, in_channels, channel_multiplier]."),
      param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."),
      param("padding", PADDING, '"SAME", "VALID", or explicit [before, after] pairs per dimension.'),
      optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."),
      optional("dilations", INT_OR_LIST, "The dilation rate per spatial dimension (default 1)."),
      NAME,
    ],
    {
      args: () => [
        [
          [
            [[1], [2], [3]],
            [[4], [5], [6]],
            [[7], [8], [9]],
          ],
        ],
        [[[[2]]]],
        1,
        "SAME",
      ],
    },
  ),
  (input, filter, stridesArg, paddingArg, dataFormatArg, dilationsArg, nameArg): Tensor => {
    const a = { strides: stridesArg, padding: paddingArg, dataFormat: dataFormatArg, dilations: dilationsArg, name: nameArg };
    return execute1("DepthwiseConv2dNative", [input, filter], convAttrs("DepthwiseConv2dNative", a, 2), a.name ?? "depthwise");
  },
);

/**
 * tf.nn.conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name): as in TensorFlow,
 * a conv2d over a height-1 image: the input gets a unit axis (ExpandDims), filters [w, in, out] become
 * [1, w, in, out], and the unit axis is removed from the result.
 */
export const conv1d = defineFunction(
  signature(
    "nn.conv1d",
    "1-D convolution of NWC or NCW input with [w, in, out] filters.",
    [
      param("input", T.tensor, "The input tensor."),
      param("filters", T.tensor, "The filters."),
      param("stride", INT_OR_LIST, "The window step (1 or 3 values)."),
      param("padding", PADDING, '"SAME", "VALID", or explicit [before, after] pairs per dimension.'),
      optional("dataFormat", K.string, "The layout: NWC (channels last, the default) or channels first."),
      optional("dilations", INT_OR_LIST, "The dilation rate per spatial dimension (default 1)."),
      NAME,
    ],
    { args: () => [[[[1], [2], [3]]], [[[1]], [[1]]], 1, "VALID"] },
  ),
  (input, filters, strideArg, paddingArg, dataFormatArg, dilationsArg, nameArg): Tensor => {
    const a = { stride: strideArg, padding: paddingArg, dataFormat: dataFormatArg, dilations: dilationsArg, name: nameArg };
    const fmt = a.dataFormat ?? "NWC";
    const cf = channelsFirst("conv1d", fmt, 3);
    const one = (v: IntOrList | undefined, what: string): number => {
      if (v === undefined) return 1;
      const l = typeof v === "number" ? [v] : Array.from(v);
      if (l.length === 1) return l[0];
      if (l.length === 3) return cf ? l[2] : l[1];
      throw new InvalidArgumentError(`conv1d: ${what} should be of length 1 or 3, got [${l}]`);
    };
    if (a.stride === undefined) throw new InvalidArgumentError("conv1d: stride is required");
    const s = one(a.stride, "stride");
    const d = one(a.dilations, "dilations");
    let padding: Padding | undefined = a.padding;
    if (Array.isArray(padding)) {
      if (padding.length !== 3) throw new InvalidArgumentError(`conv1d: explicit padding must be 3 pairs, got ${JSON.stringify(padding)}`);
      padding = cf ? ([[0, 0], [0, 0], ...padding.slice(1)] as [number, number][]) : ([padding[0], [0, 0], ...padding.slice(1)] as [number, number][]);
    }
    const x = toTensor(input);
    const f = toTensor(filters, x.dtype);
    const spatialStart = cf ? 2 : 1;
    const x4 = expandAxis(x, spatialStart);
    const f4 = expandAxis(f, 0);
    const y = execute1(
      "Conv2D",
      [x4, f4],
      convAttrs("Conv2D", { strides: [1, s], padding, dataFormat: cf ? "NCHW" : "NHWC", dilations: [1, d] }, 2),
      a.name ? `${a.name}/Conv2D` : undefined,
    );
    return dropAxis(y, spatialStart, a.name);
  },
);
