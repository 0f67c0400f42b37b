import { DType, isFloating } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { constant, ones, zeros } from "../ops/array.js";
import { randomNormal, randomUniform, truncatedNormal } from "../ops/random.js";

/** An initializer: called with a shape and dtype, returns the initial value (tf.keras.initializers API). */
export interface Initializer {
  call(shape: number[], dtype?: DType): Tensor;
}

export function zerosInitializer(opts: { dtype?: DType } = {}): Initializer {
  return { call: (shape, dtype) => zeros(shape, dtype ?? opts.dtype ?? "float32") };
}
export function onesInitializer(opts: { dtype?: DType } = {}): Initializer {
  return { call: (shape, dtype) => ones(shape, dtype ?? opts.dtype ?? "float32") };
}
export function constantInitializer(value: TensorLike = 0, opts: { dtype?: DType } = {}): Initializer {
  return { call: (shape, dtype) => constant(value, { dtype: dtype ?? opts.dtype ?? "float32", shape }) };
}
export interface RandomInitOptions {
  mean?: number;
  stddev?: number;
  minval?: number;
  maxval?: number;
  seed?: number;
  dtype?: DType;
}
export function randomNormalInitializer(opts: RandomInitOptions = {}): Initializer {
  return { call: (shape, dtype) => randomNormal(shape, { mean: opts.mean ?? 0, stddev: opts.stddev ?? 1, seed: opts.seed, dtype: dtype ?? opts.dtype }) };
}
export function truncatedNormalInitializer(opts: RandomInitOptions = {}): Initializer {
  return { call: (shape, dtype) => truncatedNormal(shape, { mean: opts.mean ?? 0, stddev: opts.stddev ?? 1, seed: opts.seed, dtype: dtype ?? opts.dtype }) };
}
export function randomUniformInitializer(opts: RandomInitOptions = {}): Initializer {
  return { call: (shape, dtype) => randomUniform(shape, { minval: opts.minval ?? -0.05, maxval: opts.maxval ?? 0.05, seed: opts.seed, dtype: dtype ?? opts.dtype }) };
}

/** fan_in and fan_out as TensorFlow computes them (conv kernels multiply by the receptive field). */
function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shape.slice(0, -2).reduce((p, d) => p * d, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/** Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)); TensorFlow 1's get_variable default. */
export function glorotUniformInitializer(opts: { seed?: number; dtype?: DType } = {}): Initializer {
  return {
    call: (shape, dtype) => {
      const [fi, fo] = fans(shape);
      const limit = Math.sqrt(6 / Math.max(1, fi + fo));
      return randomUniform(shape, { minval: -limit, maxval: limit, seed: opts.seed, dtype: dtype ?? opts.dtype });
    },
  };
}
/** Glorot normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out)) / 0.8796 (TensorFlow's correction). */
export function glorotNormalInitializer(opts: { seed?: number; dtype?: DType } = {}): Initializer {
  return {
    call: (shape, dtype) => {
      const [fi, fo] = fans(shape);
      const stddev = Math.sqrt(2 / Math.max(1, fi + fo)) / 0.87962566103423978;
      return truncatedNormal(shape, { stddev, seed: opts.seed, dtype: dtype ?? opts.dtype });
    },
  };
}

/** The default initializer of tf.get_variable: Glorot uniform for floats, zeros otherwise. */
export function defaultInitializer(dtype: DType): Initializer {
  if (isFloating(dtype)) return glorotUniformInitializer();
  if (dtype === "string") throw new InvalidArgumentError("An initializer for a string variable must be given");
  return zerosInitializer();
}
