import { isFloating } from "../core/dtype.js";
import { InvalidArgumentError, UnimplementedError } from "../core/errors.js";
import { shapeStr } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { biasFormat } from "../core/schema/norm.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute, execute1, isTensor } from "./dispatch.js";
import { defineGradients } from "./registry.js";
import { cast } from "./cast.js";
import { add, greaterEqual, maximum, multiply, realdiv, rsqrt, squaredDifference, square, subtract } from "./elementwise.js";
import { reduceMean, reduceSum } from "./reduce.js";
import { constant, convertToTensor } from "./creation.js";
import { reshape, stopGradient } from "./movement.js";
import { randomUniform } from "./random.js";
import { refine, shapeOf, toTensor } from "./window_args.js";

/**
 * Gradients of the normalisation ops (BiasAdd, FusedBatchNormV3, LRN; rows in core/schema/norm.ts) and
 * the tf.nn functions for bias, dropout, moments and normalization.
 */

defineGradients({
  BiasAdd: (op, [dy]) => [dy, execute1("BiasAddGrad", [dy], { data_format: op.attrs.data_format })],
  BiasAddGrad: (op, [g]) => {
    // The gradient of a channel sum spreads the channel vector back over every position.
    const x = op.inputs[0];
    const r = x.rank;
    if (r === null) throw new UnimplementedError("gradient of BiasAddGrad needs the rank of its input");
    const ax = biasFormat("BiasAddGrad", op.attrs, r) as number;
    const keep = Array.from({ length: r }, (_, i) => (i === ax ? -1 : 1));
    return [execute1("BroadcastTo", [reshape(g, new Int32Array(keep)), shapeOf(x)])];
  },
  FusedBatchNormV3: (op, [dy]) => {
    const training = op.attrs.is_training as boolean;
    const [x, scale] = op.inputs;
    const rs1 = training ? op.outputs[3] : op.inputs[3];
    const rs2 = training ? op.outputs[4] : op.inputs[4];
    const [dx, dscale, doffset] = execute("FusedBatchNormGradV3", [dy, x, scale, rs1, rs2, op.outputs[5]], {
      epsilon: op.attrs.epsilon,
      data_format: op.attrs.data_format,
      is_training: training,
    });
    return [dx, dscale, doffset, null, null];
  },
  LRN: (op, [dy]) => [execute1("LRNGrad", [dy, op.inputs[0], op.outputs[0]], op.attrs)],
});

// ---------------------------------------------------------------- bias, dropout, moments, normalization

/** tf.nn.bias_add(value, bias, data_format=None, name): bias along the last axis (N...C) or axis 1 (NC...). */
export const biasAdd = defineFunction(
  signature(
    "nn.bias_add",
    "Adds a bias vector along the channel axis.",
    [
      param("value", T.tensor, "A tensor."),
      param("bias", T.tensor, "A 1-D tensor of the channel count."),
      optional("dataFormat", K.string, "N...C (default) or NC...: where the channels are."),
      NAME,
    ],
    {
      args: () => [
        [
          [1, 2],
          [3, 4],
        ],
        [10, 20],
        "NHWC",
      ],
    },
  ),
  (value, bias, dataFormatArg, nameArg): Tensor => {
    const a = { dataFormat: dataFormatArg, name: nameArg };
    let fmt = "NHWC";
    if (a.dataFormat !== undefined) {
      if (a.dataFormat.startsWith("NC")) fmt = "NCHW";
      else if (!(a.dataFormat.startsWith("N") && a.dataFormat.endsWith("C"))) throw new InvalidArgumentError(`BiasAdd: Invalid data format '${a.dataFormat}'`);
    }
    return execute1("BiasAdd", [value, bias], { data_format: fmt }, a.name);
  },
);

/**
 * tf.nn.dropout(x, rate, noise_shape=None, seed=None, name) (TensorFlow 2): each element (or each
 * noise_shape slice) is zeroed with probability `rate`; kept ones are scaled by 1 / (1 - rate). A rate of
 * exactly 0 (a number) returns x itself, as TensorFlow does.
 */
export const dropout = defineFunction(
  signature(
    "nn.dropout",
    "Zeroes each element with probability rate and scales the rest by 1 / (1 - rate).",
    [
      param("x", T.tensor, "A floating-point tensor."),
      param("rate", kind<number | Tensor>("number | Tensor"), "The probability of dropping each element, in [0, 1)."),
      optional(
        "noiseShape",
        kind<readonly (number | null)[] | TensorLike>("(number | null)[] | TensorLike"),
        "The shape of the keep/drop mask (broadcast to x).",
      ),
      optional("seed", K.int, "The op-level seed."),
      NAME,
    ],
    { args: () => [[1, 2, 3, 4], 0.5, undefined, 5] },
  ),
  (x, rateArg, noiseShapeArg, seedArg, nameArg): Tensor => {
    const a = { rate: rateArg, noiseShape: noiseShapeArg, seed: seedArg, name: nameArg };
    const rate = a.rate;
    if (rate === undefined) throw new InvalidArgumentError("dropout: rate is required");
    if (typeof rate === "number" && !(rate >= 0 && rate < 1)) {
      throw new InvalidArgumentError(`dropout: rate must be a scalar tensor or a float in the range [0, 1), got ${rate}`);
    }
    const xt = toTensor(x);
    if (!isFloating(xt.dtype))
      throw new InvalidArgumentError(`dropout: x has to be a floating point tensor since it's going to be scaled, got a ${xt.dtype} tensor`);
    if (rate === 0) return xt;
    let scaled: Tensor;
    let threshold: TensorLike;
    if (typeof rate === "number") {
      scaled = multiply(xt, convertToTensor(1 / (1 - rate), { dtype: xt.dtype }));
      threshold = convertToTensor(rate, { dtype: xt.dtype });
    } else {
      const r = rate.dtype === xt.dtype ? rate : cast(rate, xt.dtype);
      scaled = realdiv(xt, subtract(convertToTensor(1, { dtype: xt.dtype }), r));
      threshold = r;
    }
    let noiseShape: TensorLike;
    const ns = a.noiseShape;
    if (ns === undefined || ns === null) noiseShape = shapeOf(xt);
    else if (Array.isArray(ns)) {
      const xs = xt.shape;
      const filled = (ns as (number | null)[]).map((d, i) => (d === null ? (xs?.[i] ?? null) : d));
      if (filled.some((d) => d === null))
        throw new UnimplementedError(`dropout: noise_shape [${ns}] has unknown dims that x's static shape ${shapeStr(xs)} does not decide`);
      noiseShape = new Int32Array(filled as number[]);
    } else noiseShape = ns as TensorLike;
    const random = randomUniform(noiseShape, { dtype: xt.dtype, seed: a.seed });
    const keep = cast(greaterEqual(random, threshold), xt.dtype);
    return refine(multiply(scaled, keep, { name: a.name ?? "dropout" }), xt);
  },
);

/**
 * tf.compat.v1.nn.dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
 * TensorFlow 1's form, where the second argument is the probability of KEEPING a value.
 */
export const dropoutV1 = defineFunction(
  signature(
    "compat.v1.nn.dropout",
    "TensorFlow 1's dropout, whose second argument is the probability of keeping a value.",
    [
      param("x", T.tensor, "A floating-point tensor."),
      optional("keepProb", kind<number | Tensor>("number | Tensor"), "The probability of keeping each element, in (0, 1]."),
      optional("noiseShape", kind<readonly (number | null)[] | TensorLike>("(number | null)[] | TensorLike"), "The shape of the keep/drop mask."),
      optional("seed", K.int, "The op-level seed."),
      NAME,
      optional("rate", kind<number | Tensor>("number | Tensor"), "The probability of dropping instead (exclusive with keepProb)."),
    ],
    { args: () => [[1, 2, 3, 4], 0.5, undefined, 5] },
  ),
  (x, keepProbArg, noiseShapeArg, seedArg, nameArg, rateArg): Tensor => {
    const a = { keepProb: keepProbArg, noiseShape: noiseShapeArg, seed: seedArg, name: nameArg, rate: rateArg };
    if (a.keepProb !== undefined && a.rate !== undefined) throw new InvalidArgumentError("dropout: cannot specify both keep_prob and rate");
    let rate = a.rate;
    if (rate === undefined) {
      const kp = a.keepProb;
      if (kp === undefined) throw new InvalidArgumentError("dropout: keep_prob or rate is required");
      if (typeof kp === "number") {
        if (!(kp > 0 && kp <= 1)) throw new InvalidArgumentError(`dropout: keep_prob must be a scalar tensor or a float in the range (0, 1], got ${kp}`);
        rate = 1 - kp;
      } else rate = subtract(convertToTensor(1, { dtype: kp.dtype }), kp);
    }
    return dropout(x, { rate, noiseShape: a.noiseShape, seed: a.seed, name: a.name });
  },
);

/**
 * tf.nn.moments(x, axes, shift=None, keepdims=False, name) -> [mean, variance]: as in TensorFlow the
 * variance is mean((x - stop_gradient(mean))^2) (shift is accepted and unused, as in TensorFlow 2).
 */
export const moments = defineFunction(
  signature(
    "nn.moments",
    "The mean and variance over the given axes.",
    [
      param("x", T.tensor, "A tensor."),
      param("axes", kind<readonly number[] | number>("number | number[]"), "The axes to compute over."),
      optional("shift", kind<TensorLike | null>("TensorLike | null"), "Accepted and unused, as in TensorFlow 2."),
      withDefault("keepdims", K.boolean, false, "Keep the reduced axes with size 1."),
      NAME,
    ],
    {
      args: () => [
        [
          [1, 2],
          [3, 5],
        ],
        [0],
      ],
    },
  ),
  (x, axesArg, shiftArg, keepdimsArg, nameArg): [Tensor, Tensor] => {
    const a = { axes: axesArg, shift: shiftArg, keepdims: keepdimsArg, name: nameArg };
    if (a.axes === undefined) throw new InvalidArgumentError("moments: axes is required");
    const axes = typeof a.axes === "number" ? [a.axes] : Array.from(a.axes);
    const y = toTensor(x);
    const mean = reduceMean(y, axes, true);
    const variance = reduceMean(squaredDifference(y, stopGradient(mean)), axes, true);
    if (a.keepdims)
      return [
        execute1("Identity", [mean], {}, a.name ? `${a.name}/mean` : undefined),
        execute1("Identity", [variance], {}, a.name ? `${a.name}/variance` : undefined),
      ];
    const rank = y.rank;
    const drop = (t: Tensor, what: string): Tensor => {
      if (rank !== null && t.shape !== null) {
        const norm = new Set(axes.map((ax) => (ax < 0 ? ax + rank : ax)));
        const kept = t.shape.filter((_, i) => !norm.has(i));
        if (kept.filter((d) => d === null).length <= 1)
          return reshape(t, new Int32Array(kept.map((d) => d ?? -1)), { name: a.name ? `${a.name}/${what}` : undefined });
      }
      return reduceSum(t, axes, false);
    };
    return [drop(mean, "mean"), drop(variance, "variance")];
  },
);

/**
 * tf.nn.batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name):
 * x * inv + (offset - mean * inv) with inv = scale / sqrt(variance + epsilon), as TensorFlow computes it.
 */
export const batchNormalization = defineFunction(
  signature(
    "nn.batch_normalization",
    "Normalizes x with the given mean and variance: scale * (x - mean) / sqrt(variance + epsilon) + offset.",
    [
      param("x", T.tensor, "A tensor."),
      param("mean", T.tensor, "The mean."),
      param("variance", T.tensor, "The variance."),
      optional("offset", kind<TensorLike | null>("TensorLike | null"), "Added after normalizing (beta)."),
      optional("scale", kind<TensorLike | null>("TensorLike | null"), "Multiplied after normalizing (gamma)."),
      param("varianceEpsilon", K.number, "A small number added to the variance."),
      NAME,
    ],
    { args: () => [[1, 2, 3], 2, 1, 0.5, 2, 0.001] },
  ),
  (x, meanArg, varianceArg, offsetArg, scaleArg, varianceEpsilonArg, nameArg): Tensor => {
    const a = { mean: meanArg, variance: varianceArg, offset: offsetArg, scale: scaleArg, varianceEpsilon: varianceEpsilonArg, name: nameArg };
    if (a.mean === undefined || a.variance === undefined) throw new InvalidArgumentError("batch_normalization: mean and variance are required");
    if (a.varianceEpsilon === undefined) throw new InvalidArgumentError("batch_normalization: variance_epsilon is required");
    const xt = toTensor(x);
    const like = (v: TensorLike) => (isTensor(v) ? v : convertToTensor(v, { dtype: xt.dtype }));
    let inv = rsqrt(add(like(a.variance), convertToTensor(a.varianceEpsilon, { dtype: xt.dtype })));
    if (a.scale !== undefined && a.scale !== null) inv = multiply(inv, like(a.scale));
    const shift =
      a.offset !== undefined && a.offset !== null ? subtract(like(a.offset), multiply(like(a.mean), inv)) : multiply(like(a.mean), multiply(inv, -1));
    return add(multiply(xt, inv), shift, { name: a.name ?? "batchnorm" });
  },
);

/**
 * tf.compat.v1.nn.fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
 * data_format="NHWC", is_training=True, name=None, exponential_avg_factor=1.0) -> [y, batch_mean,
 * batch_var] (op FusedBatchNormV3). In training the batch statistics normalize x and batch_var is the
 * unbiased (n/(n-1)) variance; in inference mean and variance are required and used as given.
 */
export const fusedBatchNorm = defineFunction(
  signature(
    "compat.v1.nn.fused_batch_norm",
    "Batch normalization of a 4-D tensor in one op (FusedBatchNormV3): [y, batch_mean, batch_variance].",
    [
      param("x", T.tensor, "A 4-D tensor."),
      param("scale", T.tensor, "Multiplied after normalizing, one per channel."),
      param("offset", T.tensor, "Added after normalizing, one per channel."),
      optional("mean", kind<TensorLike | null>("TensorLike | null"), "The population mean (inference; required when not training)."),
      optional("variance", kind<TensorLike | null>("TensorLike | null"), "The population variance (inference; required when not training)."),
      withDefault("epsilon", K.number, 0.001, "A small number added to the variance (at least 1.001e-5)."),
      withDefault("dataFormat", K.string, "NHWC", "NHWC or NCHW."),
      withDefault("isTraining", K.boolean, true, "Normalize with the batch statistics (training) or the given ones."),
      NAME,
      withDefault("exponentialAvgFactor", K.number, 1, "The running-average factor."),
    ],
    {
      args: () => [
        [
          [
            [[1], [2]],
            [[3], [4]],
          ],
        ],
        [1],
        [0],
      ],
    },
  ),
  (x, scaleArg, offsetArg, meanArg, varianceArg, epsilonArg, dataFormatArg, isTrainingArg, nameArg, exponentialAvgFactorArg): [Tensor, Tensor, Tensor] => {
    const a = {
      scale: scaleArg,
      offset: offsetArg,
      mean: meanArg,
      variance: varianceArg,
      epsilon: epsilonArg,
      dataFormat: dataFormatArg,
      isTraining: isTrainingArg,
      name: nameArg,
      exponentialAvgFactor: exponentialAvgFactorArg,
    };
    if (a.scale === undefined || a.offset === undefined) throw new InvalidArgumentError("fused_batch_norm: scale and offset are required");
    const training = a.isTraining ?? true;
    const xt = toTensor(x);
    const scale = isTensor(a.scale) ? a.scale : convertToTensor(a.scale, { dtype: xt.dtype });
    const empty = () => constant(new Float32Array(0), { dtype: scale.dtype, shape: [0] });
    let mean = a.mean ?? null;
    let variance = a.variance ?? null;
    if (!training && (mean === null || variance === null)) {
      throw new InvalidArgumentError("fused_batch_norm: both 'mean' and 'variance' must be given when is_training is False");
    }
    const factor = a.exponentialAvgFactor ?? 1;
    if (mean === null) mean = empty();
    if (variance === null) variance = empty();
    // TensorFlow raises epsilon to at least 1.001e-5 (cuDNN's minimum) for every backend.
    const epsilon = Math.max(a.epsilon ?? 0.001, 1.001e-5);
    const outs = execute(
      "FusedBatchNormV3",
      [xt, scale, a.offset, mean, variance],
      {
        epsilon,
        exponential_avg_factor: factor,
        data_format: a.dataFormat ?? "NHWC",
        is_training: training,
      },
      a.name ?? "FusedBatchNormV3",
    );
    return [outs[0], outs[1], outs[2]];
  },
);

/**
 * tf.nn.local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5, name):
 * input / (bias + alpha * sum(input^2 over depth_radius neighbouring channels)) ** beta (op LRN, NHWC).
 */
export const localResponseNormalization = defineFunction(
  signature(
    "nn.local_response_normalization",
    "input / (bias + alpha * sum of squares over neighbouring channels) ** beta (op LRN).",
    [
      param("input", T.tensor, "The input tensor."),
      withDefault("depthRadius", K.int, 5, "Half-width of the channel window."),
      withDefault("bias", K.number, 1, "The offset."),
      withDefault("alpha", K.number, 1, "The scale."),
      withDefault("beta", K.number, 0.5, "The exponent."),
      NAME,
    ],
    { args: () => [[[[[1, 2, 3]]]], 1, 1, 1, 0.5] },
  ),
  (input, depthRadiusArg, biasArg, alphaArg, betaArg, nameArg): Tensor => {
    const a = { depthRadius: depthRadiusArg, bias: biasArg, alpha: alphaArg, beta: betaArg, name: nameArg };
    const r = a.depthRadius ?? 5;
    if (!Number.isInteger(r) || r < 0) throw new InvalidArgumentError(`LRN: depth_radius must be a nonnegative integer, got ${r}`);
    return execute1("LRN", [input], { depth_radius: r, bias: a.bias ?? 1, alpha: a.alpha ?? 1, beta: a.beta ?? 0.5 }, a.name);
  },
);

/** tf.math.l2_normalize(x, axis=None, epsilon=1e-12, name): x * rsqrt(max(sum(x^2, axis, keepdims), epsilon)). */
export const l2Normalize = defineFunction(
  signature(
    "math.l2_normalize",
    "x / sqrt(max(sum(x²), epsilon)) along the given axes.",
    [
      param("x", T.tensor, "A tensor."),
      optional("axis", kind<number | readonly number[] | null>("number | number[] | null"), "The axes to normalize along; absent: all."),
      withDefault("epsilon", K.number, 1e-12, "The lower bound of the sum of squares."),
      NAME,
    ],
    {
      args: () => [
        [
          [3, 4],
          [6, 8],
        ],
        1,
      ],
    },
  ),
  (x, axisArg, epsilonArg, nameArg): Tensor => {
    const a = { axis: axisArg, epsilon: epsilonArg, name: nameArg };
    const xt = toTensor(x);
    const axis = a.axis === undefined || a.axis === null ? null : typeof a.axis === "number" ? a.axis : Array.from(a.axis);
    const sq = reduceSum(square(xt), axis, true);
    const inv = rsqrt(maximum(sq, convertToTensor(a.epsilon ?? 1e-12, { dtype: xt.dtype })));
    return multiply(xt, inv, { name: a.name ?? "l2_normalize" });
  },
);

/**
 * tf.nn.lrn: the short name of tf.nn.local_response_normalization.
 * @alias
 */
export const lrn = localResponseNormalization;
