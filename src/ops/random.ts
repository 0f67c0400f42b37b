import { checkDType, DType } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { ctx, currentGraph, executingEagerly } from "../core/context.js";
import type { TensorLike } from "../core/tensor_like.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import { NAME, T } from "./params.js";
import { execute1 } from "./dispatch.js";
import { defineGradients } from "./registry.js";
import { add, multiply } from "./elementwise.js";
import { getSeed, resetEagerRandomState } from "./random_state.js";

defineGradients({ RandomStandardNormal: null, RandomUniform: null, TruncatedNormal: null });

interface RandomOptions {
  dtype: DType;
  seed: number | undefined;
  name: string | undefined;
}

const SHAPE = param("shape", kind<TensorLike>("number[] | TensorLike"), "The shape of the result.");
const RANDOM_DTYPE = withDefault("dtype", T.dtype, "float32", "A floating-point dtype.");
const SEED = optional("seed", K.int, "The op-level seed; with the global seed (tf.random.setSeed) it fixes the sequence.");
const normalParams = [
  SHAPE,
  withDefault("mean", K.number, 0, "The mean."),
  withDefault("stddev", K.number, 1, "The standard deviation."),
  RANDOM_DTYPE,
  SEED,
  NAME,
] as const;
/** The (seed, seed2) attrs for a new random op, from the global and op seeds as TensorFlow derives them. */
function seedAttrs(opSeed: number | undefined): { seed: number; seed2: number } {
  if (executingEagerly()) return getSeed(opSeed, null, null);
  const g = currentGraph();
  return getSeed(opSeed, g.seed, g.version);
}

function scaled(
  type: "RandomStandardNormal" | "RandomUniform" | "TruncatedNormal",
  shape: TensorLike,
  scale: number,
  shift: number,
  a: RandomOptions,
  defaultName: string,
): Tensor {
  const dtype = checkDType(a.dtype, defaultName);
  const raw = execute1(type, [shape], { dtype, ...seedAttrs(a.seed) }, scale === 1 && shift === 0 ? (a.name ?? defaultName) : undefined);
  if (scale === 1 && shift === 0) return raw;
  return add(multiply(raw, scale), shift, { name: a.name ?? defaultName });
}

/** tf.random.normal(shape, mean=0, stddev=1, dtype=float32, seed, name). */
export const randomNormal = defineFunction(
  signature("random.normal", "Values from a normal distribution.", normalParams, { args: () => [[2, 2], 1, 2, "float32", 3] }),
  (shape, mean, stddev, dtype, seed, name) => scaled("RandomStandardNormal", shape, stddev, mean, { dtype, seed, name }, "random_normal"),
);

/** tf.random.truncated_normal: normal values, redrawn when further than two stddevs from the mean. */
export const truncatedNormal = defineFunction(
  signature("random.truncated_normal", "Values from a normal distribution, redrawn when further than two stddevs from the mean.", normalParams, {
    args: () => [[2, 2], 1, 2, "float32", 3],
  }),
  (shape, mean, stddev, dtype, seed, name) => scaled("TruncatedNormal", shape, stddev, mean, { dtype, seed, name }, "truncated_normal"),
);

/** tf.random.uniform(shape, minval=0, maxval=1, dtype=float32, seed, name): [minval, maxval). */
export const randomUniform = defineFunction(
  signature(
    "random.uniform",
    "Values from a uniform distribution over [minval, maxval).",
    [
      SHAPE,
      withDefault("minval", K.number, 0, "The lower bound (inclusive)."),
      withDefault("maxval", K.number, 1, "The upper bound (exclusive)."),
      RANDOM_DTYPE,
      SEED,
      NAME,
    ],
    { args: () => [[2, 2], -1, 1, "float32", 3] },
  ),
  (shape, lo, hi, dtype, seed, name) => scaled("RandomUniform", shape, hi - lo, lo, { dtype, seed, name }, "random_uniform"),
);

const SEED_ARG = param("seed", kind<number | null>("number | null"), "The seed; null: none (nondeterministic).");

/** tf.random.set_seed (TensorFlow 2): the global seed for eager ops and for graphs made afterwards. */
export const setSeed = defineFunction(
  signature("random.set_seed", "Sets the global seed: eager random ops restart their sequences; graphs made afterwards take it.", [SEED_ARG], {
    skip: "changes global state",
  }),
  (seed): void => {
    ctx.globalSeed = seed;
    resetEagerRandomState();
    if (!executingEagerly()) currentGraph().seed = seed;
  },
);

/** tf.compat.v1.set_random_seed: the graph-level seed of the default graph. */
export const setRandomSeed = defineFunction(
  signature("compat.v1.set_random_seed", "Sets the graph-level seed of the default graph (eagerly: the global seed).", [SEED_ARG], {
    skip: "changes global state",
  }),
  (seed): void => {
    if (executingEagerly()) setSeed(seed);
    else currentGraph().seed = seed;
  },
);
