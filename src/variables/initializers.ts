import { DType, isFloating } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { constant, ones, zeros } from "../ops/creation.js";
import { randomNormal, randomUniform, truncatedNormal } from "../ops/random.js";
import { defineFunction, K, kind, optional, signature, withDefault } from "../core/signature.js";

/** An initializer: called with a shape and dtype, returns the initial value (tf.keras.initializers API). */
export interface Initializer {
  call(shape: number[], dtype?: DType): Tensor;
}

const DTYPE = optional("dtype", kind<DType>("DType"), "The dtype of the values (default: the variable's, else float32).");
const SEED = optional("seed", K.int, "The op-level seed.");
const example = (...args: unknown[]) => ({ args: () => args });

export const zerosInitializer = defineFunction(
  signature("zeros_initializer", "Initializes to zeros.", [DTYPE], example("float32")),
  (dtypeArg): Initializer => ({
    call: (shape, dtype) => zeros(shape, dtype ?? dtypeArg ?? "float32"),
  }),
);
export const onesInitializer = defineFunction(
  signature("ones_initializer", "Initializes to ones.", [DTYPE], example("float32")),
  (dtypeArg): Initializer => ({
    call: (shape, dtype) => ones(shape, dtype ?? dtypeArg ?? "float32"),
  }),
);
export const constantInitializer = defineFunction(
  signature(
    "constant_initializer",
    "Initializes to a value (a scalar fills the shape).",
    [withDefault("value", kind<TensorLike>("TensorLike"), 0, "The value."), DTYPE],
    example(3, "float32"),
  ),
  (value, dtypeArg): Initializer => ({ call: (shape, dtype) => constant(value, { dtype: dtype ?? dtypeArg ?? "float32", shape }) }),
);
const normalParams = [withDefault("mean", K.number, 0, "The mean."), withDefault("stddev", K.number, 1, "The standard deviation."), SEED, DTYPE] as const;
export const randomNormalInitializer = defineFunction(
  signature("random_normal_initializer", "Initializes with values from a normal distribution.", normalParams, example(0, 2, 1)),
  (mean, stddev, seed, dtypeArg): Initializer => ({ call: (shape, dtype) => randomNormal(shape, { mean, stddev, seed, dtype: dtype ?? dtypeArg }) }),
);
export const truncatedNormalInitializer = defineFunction(
  signature("truncated_normal_initializer", "Initializes with normal values redrawn beyond two standard deviations.", normalParams, example(0, 2, 1)),
  (mean, stddev, seed, dtypeArg): Initializer => ({ call: (shape, dtype) => truncatedNormal(shape, { mean, stddev, seed, dtype: dtype ?? dtypeArg }) }),
);
export const randomUniformInitializer = defineFunction(
  signature(
    "random_uniform_initializer",
    "Initializes with values from a uniform distribution (TensorFlow 2's defaults).",
    [
      withDefault("minval", K.number, -0.05, "The lower bound (inclusive)."),
      withDefault("maxval", K.number, 0.05, "The upper bound (exclusive)."),
      SEED,
      DTYPE,
    ],
    example(-1, 1, 1),
  ),
  (minval, maxval, seed, dtypeArg): Initializer => ({ call: (shape, dtype) => randomUniform(shape, { minval, maxval, seed, dtype: dtype ?? dtypeArg }) }),
);

/** fan_in and fan_out as TensorFlow computes them (conv kernels multiply by the receptive field). */
function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shape.slice(0, -2).reduce((p, d) => p * d, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/** Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)); TensorFlow 1's get_variable default. */
export const glorotUniformInitializer = defineFunction(
  signature("glorot_uniform_initializer", "Glorot (Xavier) uniform initialization.", [SEED, DTYPE], example(1)),
  (seed, dtypeArg): Initializer => {
    const opts = { seed, dtype: dtypeArg };
    return {
      call: (shape, dtype) => {
        const [fi, fo] = fans(shape);
        const limit = Math.sqrt(6 / Math.max(1, fi + fo));
        return randomUniform(shape, { minval: -limit, maxval: limit, seed: opts.seed, dtype: dtype ?? opts.dtype });
      },
    };
  },
);
/** Glorot normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out)) / 0.8796 (TensorFlow's correction). */
export const glorotNormalInitializer = defineFunction(
  signature("glorot_normal_initializer", "Glorot (Xavier) normal initialization (truncated).", [SEED, DTYPE], example(1)),
  (seed, dtypeArg): Initializer => {
    const opts = { seed, dtype: dtypeArg };
    return {
      call: (shape, dtype) => {
        const [fi, fo] = fans(shape);
        const stddev = Math.sqrt(2 / Math.max(1, fi + fo)) / 0.87962566103423978;
        return truncatedNormal(shape, { stddev, seed: opts.seed, dtype: dtype ?? opts.dtype });
      },
    };
  },
);

/** The default initializer of tf.get_variable: Glorot uniform for floats, zeros otherwise. */
export function defaultInitializer(dtype: DType): Initializer {
  if (isFloating(dtype)) return glorotUniformInitializer();
  if (dtype === "string") throw new InvalidArgumentError("An initializer for a string variable must be given");
  return zerosInitializer();
}
