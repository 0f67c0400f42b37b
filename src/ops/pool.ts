import { InvalidArgumentError } from "../core/errors.js";
import { shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import type { Attrs } from "../core/schema/types.js";
import { channelsFirst, FORMATS } from "../core/geometry/window.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, type Example, K, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute, execute1 } from "./dispatch.js";
import { defineGradients, GradFn, GradOp } from "./registry.js";
import { zerosLike } from "./creation.js";
import { dropAxis, expandAxis, fullList, INT_OR_LIST, type IntOrList, PADDING, type Padding, paddingAttrs, refine, shapeOf, toTensor } from "./window_args.js";

/**
 * Gradients of the pooling ops (rows and shape functions in core/schema/pool.ts) and the tf.nn pooling
 * functions.
 */

function definePoolGradients<M extends "MaxPool" | "MaxPool3D", A extends "AvgPool" | "AvgPool3D">(max: M, avg: A): void {
  const maxGrad = `${max}Grad` as const;
  const maxGradGrad = `${max}GradGrad` as const;
  const avgGrad = `${avg}Grad` as const;
  defineGradients({
    [max]: (op: GradOp, [dy]: readonly Tensor[]) => [execute1(maxGrad, [op.inputs[0], op.outputs[0], dy], op.attrs)],
    [maxGrad]: (op: GradOp, [g]: readonly Tensor[]) => [
      zerosLike(op.inputs[0]),
      zerosLike(op.inputs[1]),
      execute1(maxGradGrad, [op.inputs[0], op.inputs[1], g], op.attrs),
    ],
    [maxGradGrad]: (op: GradOp, [g]: readonly Tensor[]) => [
      zerosLike(op.inputs[0]),
      zerosLike(op.inputs[1]),
      execute1(maxGrad, [op.inputs[0], op.inputs[1], g], op.attrs),
    ],
    [avg]: (op: GradOp, [dy]: readonly Tensor[]) => [refine(execute1(avgGrad, [shapeOf(op.inputs[0]), dy], op.attrs), op.inputs[0])],
    [avgGrad]: (op: GradOp, [g]: readonly Tensor[]) => [null, execute1(avg, [g], op.attrs)],
  } as { [K in M | A | typeof maxGrad | typeof maxGradGrad | typeof avgGrad]: GradFn });
}
definePoolGradients("MaxPool", "AvgPool");
definePoolGradients("MaxPool3D", "AvgPool3D");

defineGradients({
  MaxPoolWithArgmax: (op, [dy]) => [execute1("MaxPoolGradWithArgmax", [op.inputs[0], dy, op.outputs[1]], op.attrs)],
  MaxPoolGradWithArgmax: (op, [g]) => [zerosLike(op.inputs[0]), execute1("MaxPoolGradGradWithArgmax", [op.inputs[0], g, op.inputs[2]], op.attrs), null],
  MaxPoolGradGradWithArgmax: (op, [g]) => [zerosLike(op.inputs[0]), execute1("MaxPoolGradWithArgmax", [op.inputs[0], g, op.inputs[2]], op.attrs), null],
});

// ---------------------------------------------------------------- pooling

interface PoolOptions {
  ksize?: IntOrList;
  strides?: IntOrList;
  padding?: Padding;
  dataFormat?: string;
  name?: string;
}
const POOL_EXAMPLE = {
  args: () => [
    [
      [
        [[1], [2], [3]],
        [[4], [5], [6]],
        [[7], [8], [9]],
      ],
    ],
    2,
    1,
    "VALID",
  ],
};
const poolParams = (df: string) =>
  [
    param("input", T.tensor, "The input tensor."),
    param("ksize", INT_OR_LIST, "The window size per spatial dimension (1, N or N+2 values)."),
    param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."),
    param("padding", PADDING, '"SAME", "VALID", or explicit [before, after] pairs (2-D max pooling only).'),
    optional("dataFormat", K.string, `The layout: ${df} (channels last, the default) or channels first.`),
    NAME,
  ] as const;

function poolAttrs(op: string, a: PoolOptions, nSpatial: number): Attrs {
  const rank = nSpatial + 2;
  const dataFormat = a.dataFormat ?? FORMATS[rank][0];
  const cf = channelsFirst(op, dataFormat, rank);
  if (a.ksize === undefined) throw new InvalidArgumentError(`${op}: ksize is required`);
  if (a.strides === undefined) throw new InvalidArgumentError(`${op}: strides is required`);
  const p = paddingAttrs(op, a.padding, rank);
  // As in TensorFlow, only the 2-D max pool (op MaxPool) takes explicit paddings.
  if (p.padding === "EXPLICIT" && op !== "MaxPool") {
    throw new InvalidArgumentError(`${op}: padding must be "SAME" or "VALID"; explicit paddings are supported by 2-D max pooling only (use tf.pad and VALID)`);
  }
  const attrs = {
    ksize: fullList(op, "ksize", a.ksize, nSpatial, cf),
    strides: fullList(op, "strides", a.strides, nSpatial, cf),
    padding: p.padding,
    data_format: dataFormat,
  };
  return p.padding === "EXPLICIT" ? { ...attrs, explicit_paddings: p.explicit_paddings } : attrs;
}

/** A 1-D pool as TensorFlow runs it: a 2-D pool over a height-1 image. */
function pool1d(op2d: "MaxPool" | "AvgPool", input: TensorLike, a: PoolOptions, defaultName: string): Tensor {
  const fmt = a.dataFormat ?? "NWC";
  const cf = channelsFirst(defaultName, fmt, 3);
  const one = (v: IntOrList | undefined, what: string): number => {
    if (v === undefined) throw new InvalidArgumentError(`${defaultName}: ${what} is required`);
    const l = typeof v === "number" ? [v] : Array.from(v);
    if (l.length === 1) return l[0];
    if (l.length === 3) return cf ? l[2] : l[1];
    throw new InvalidArgumentError(`${defaultName}: ${what} should be of length 1 or 3, got [${l}]`);
  };
  const x = toTensor(input);
  const spatialStart = cf ? 2 : 1;
  const attrs = poolAttrs(
    op2d,
    { ksize: [1, one(a.ksize, "ksize")], strides: [1, one(a.strides, "strides")], padding: a.padding, dataFormat: cf ? "NCHW" : "NHWC" },
    2,
  );
  const y = execute1(op2d, [expandAxis(x, spatialStart)], attrs, a.name ? `${a.name}/${op2d}` : undefined);
  return dropAxis(y, spatialStart, a.name);
}

function poolNd(max: boolean) {
  const what = max ? "max" : "average";
  const sig = signature(max ? "nn.max_pool" : "nn.avg_pool", `1-, 2- or 3-D ${what} pooling, by the input's rank.`, poolParams("N...C"), POOL_EXAMPLE);
  return defineFunction(sig, (input, ksize, strides, padding, dataFormat, name): Tensor => {
    const a = { ksize, strides, padding, dataFormat, name };
    const x = toTensor(input);
    const rank = x.rank ?? (a.dataFormat ? a.dataFormat.length : null);
    if (rank === 3) return pool1d(max ? "MaxPool" : "AvgPool", x, a, max ? "max_pool1d" : "avg_pool1d");
    if (rank === 4) return execute1(max ? "MaxPool" : "AvgPool", [x], poolAttrs(max ? "MaxPool" : "AvgPool", a, 2), a.name);
    if (rank === 5) return execute1(max ? "MaxPool3D" : "AvgPool3D", [x], poolAttrs(max ? "MaxPool3D" : "AvgPool3D", a, 3), a.name);
    throw new InvalidArgumentError(
      `${max ? "max_pool" : "avg_pool"}: input must be of rank 3, 4 or 5 (N+2 for N spatial dims), got shape ${shapeStr(x.shape)}`,
    );
  });
}

/** tf.nn.max_pool(input, ksize, strides, padding, data_format=None, name): 1-, 2- or 3-D by the input's rank. */
export const maxPool = poolNd(true);
/** tf.nn.avg_pool(input, ksize, strides, padding, data_format=None, name): averages over in-bounds elements only. */
export const avgPool = poolNd(false);

/** A pool of one rank, as TensorFlow's max_pool2d, avg_pool2d, max_pool3d and avg_pool3d. */
function fixedRankPool(op: "MaxPool" | "AvgPool" | "MaxPool3D" | "AvgPool3D", pyName: string, doc: string, nSpatial: 2 | 3, example: Example) {
  const sig = signature(pyName, doc, poolParams(nSpatial === 2 ? "NHWC" : "NDHWC"), example);
  return defineFunction(
    sig,
    (input, ksize, strides, padding, dataFormat, name): Tensor =>
      execute1(op, [input], poolAttrs(op, { ksize, strides, padding, dataFormat, name }, nSpatial), name),
  );
}
/** tf.nn.max_pool2d(input, ksize, strides, padding, data_format="NHWC", name): op MaxPool. */
export const maxPool2d = fixedRankPool("MaxPool", "nn.max_pool2d", "2-D max pooling (op MaxPool).", 2, POOL_EXAMPLE);
/** tf.nn.avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name): op AvgPool. */
export const avgPool2d = fixedRankPool("AvgPool", "nn.avg_pool2d", "2-D average pooling (op AvgPool).", 2, POOL_EXAMPLE);
/** tf.nn.max_pool1d(input, ksize, strides, padding, data_format="NWC", name). */
export const maxPool1d = defineFunction(
  signature("nn.max_pool1d", "1-D max pooling (a 2-D pool over a height-1 image).", poolParams("NWC"), { args: () => [[[[1], [3], [2]]], 2, 1, "VALID"] }),
  (input, ksize, strides, padding, dataFormat, name) => pool1d("MaxPool", input, { ksize, strides, padding, dataFormat, name }, "max_pool1d"),
);
/** tf.nn.avg_pool1d(input, ksize, strides, padding, data_format="NWC", name). */
export const avgPool1d = defineFunction(
  signature("nn.avg_pool1d", "1-D average pooling (a 2-D pool over a height-1 image).", poolParams("NWC"), { args: () => [[[[1], [3], [2]]], 2, 1, "VALID"] }),
  (input, ksize, strides, padding, dataFormat, name) => pool1d("AvgPool", input, { ksize, strides, padding, dataFormat, name }, "avg_pool1d"),
);
const POOL3D_EXAMPLE = {
  args: () => [
    [
      [
        [
          [[1], [2]],
          [[3], [4]],
        ],
      ],
    ],
    1,
    1,
    "VALID",
  ],
};
/** tf.nn.max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name): op MaxPool3D. */
export const maxPool3d = fixedRankPool("MaxPool3D", "nn.max_pool3d", "3-D max pooling (op MaxPool3D).", 3, POOL3D_EXAMPLE);
/** tf.nn.avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name): op AvgPool3D. */
export const avgPool3d = fixedRankPool("AvgPool3D", "nn.avg_pool3d", "3-D average pooling (op AvgPool3D).", 3, POOL3D_EXAMPLE);

/**
 * tf.nn.max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC", output_dtype=int64,
 * include_batch_in_index=False, name) -> [output, argmax]. argmax is the flattened index of each maximum,
 * ((b * height + y) * width + x) * channels + c, with the b term only when include_batch_in_index.
 */
export const maxPoolWithArgmax = defineFunction(
  signature(
    "nn.max_pool_with_argmax",
    "2-D max pooling and the flattened index of each maximum.",
    [
      param("input", T.tensor, "The input tensor."),
      param("ksize", INT_OR_LIST, "The window size per spatial dimension (1, N or N+2 values)."),
      param("strides", INT_OR_LIST, "The window step per spatial dimension (1, N or N+2 values)."),
      param("padding", PADDING, '"SAME", "VALID", or explicit [before, after] pairs per dimension.'),
      optional("dataFormat", K.string, "The layout: NHWC (channels last, the default) or channels first."),
      withDefault("outputDtype", T.dtype, "int64", "The dtype of the indices: int64 or int32."),
      withDefault("includeBatchInIndex", K.boolean, false, "Include the batch in the flattened index."),
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
        2,
        1,
        "VALID",
      ],
    },
  ),
  (input, ksizeArg, stridesArg, paddingArg, dataFormatArg, outputDtypeArg, includeBatchInIndexArg, nameArg): [Tensor, Tensor] => {
    const a = {
      ksize: ksizeArg,
      strides: stridesArg,
      padding: paddingArg,
      dataFormat: dataFormatArg,
      outputDtype: outputDtypeArg,
      includeBatchInIndex: includeBatchInIndexArg,
      name: nameArg,
    };
    if ((a.dataFormat ?? "NHWC") !== "NHWC") throw new InvalidArgumentError(`max_pool_with_argmax: data_format must be NHWC, got '${a.dataFormat}'`);
    const od = a.outputDtype ?? "int64";
    if (od !== "int64" && od !== "int32") throw new InvalidArgumentError(`max_pool_with_argmax: output_dtype must be int32 or int64, got ${od}`);
    const { ksize, strides, padding } = poolAttrs("MaxPoolWithArgmax", a, 2);
    const outs = execute(
      "MaxPoolWithArgmax",
      [input],
      { ksize, strides, padding, Targmax: od, include_batch_in_index: a.includeBatchInIndex ?? false },
      a.name,
    );
    return [outs[0], outs[1]];
  },
);
