import type { PyArgs } from "./args.js";
import { checkDType, DType } from "../core/dtype.js";
import type { Tensor } from "../core/tensor.js";
import { ctx, executingEagerly } from "../eager/context.js";
import type { TensorLike } from "../eager/tensor_types.js";
import { getDefaultGraph } from "../graph/default_graph.js";
import { pyArgs } from "./args.js";
import { execute1 } from "./dispatch.js";
import { defineGradients } from "./registry.js";
import { add, multiply } from "./elementwise.js";
import { getSeed, resetEagerRandomState } from "./random_state.js";

defineGradients({ RandomStandardNormal: null, RandomUniform: null, TruncatedNormal: null });

export interface RandomOptions {
  mean?: number;
  stddev?: number;
  minval?: number;
  maxval?: number;
  dtype?: DType;
  seed?: number;
  name?: string;
}

/** The (seed, seed2) attrs for a new random op, from the global and op seeds as TensorFlow derives them. */
function seedAttrs(opSeed: number | undefined): { seed: number; seed2: number } {
  if (executingEagerly()) return getSeed(opSeed, null, null);
  const g = getDefaultGraph();
  return getSeed(opSeed, g.seed, g.version);
}

function scaled(type: "RandomStandardNormal" | "RandomUniform" | "TruncatedNormal", shape: TensorLike, scale: number, shift: number, a: RandomOptions, defaultName: string): Tensor {
  const dtype = checkDType(a.dtype ?? "float32", defaultName);
  const raw = execute1(type, [shape], { dtype, ...seedAttrs(a.seed) }, scale === 1 && shift === 0 ? a.name ?? defaultName : undefined);
  if (scale === 1 && shift === 0) return raw;
  return add(multiply(raw, scale), shift, { name: a.name ?? defaultName });
}

/** tf.random.normal(shape, mean=0, stddev=1, dtype=float32, seed, name). */
export function randomNormal(shape: TensorLike, ...args: PyArgs<[mean: number, stddev: number, dtype: DType, seed: number, name: string], RandomOptions>): Tensor {
  const a = pyArgs<RandomOptions>(args, ["mean", "stddev", "dtype", "seed", "name"]);
  return scaled("RandomStandardNormal", shape, a.stddev ?? 1, a.mean ?? 0, a, "random_normal");
}

/** tf.random.truncated_normal: normal values, redrawn when further than two stddevs from the mean. */
export function truncatedNormal(shape: TensorLike, ...args: PyArgs<[mean: number, stddev: number, dtype: DType, seed: number, name: string], RandomOptions>): Tensor {
  const a = pyArgs<RandomOptions>(args, ["mean", "stddev", "dtype", "seed", "name"]);
  return scaled("TruncatedNormal", shape, a.stddev ?? 1, a.mean ?? 0, a, "truncated_normal");
}

/** tf.random.uniform(shape, minval=0, maxval=1, dtype=float32, seed, name): [minval, maxval). */
export function randomUniform(shape: TensorLike, ...args: PyArgs<[minval: number, maxval: number, dtype: DType, seed: number, name: string], RandomOptions>): Tensor {
  const a = pyArgs<RandomOptions>(args, ["minval", "maxval", "dtype", "seed", "name"]);
  const lo = a.minval ?? 0;
  const hi = a.maxval ?? 1;
  return scaled("RandomUniform", shape, hi - lo, lo, a, "random_uniform");
}

/** tf.random.set_seed (TensorFlow 2): the global seed for eager ops and for graphs made afterwards. */
export function setSeed(seed: number | null): void {
  ctx.globalSeed = seed;
  resetEagerRandomState();
  if (!executingEagerly()) getDefaultGraph().seed = seed;
}

/** tf.compat.v1.set_random_seed: the graph-level seed of the default graph. */
export function setRandomSeed(seed: number | null): void {
  if (executingEagerly()) setSeed(seed);
  else getDefaultGraph().seed = seed;
}
