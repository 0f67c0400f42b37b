/**
 * tf.keras.initializers: Keras's initializer classes (Dense and Conv kernels default to GlorotUniform,
 * biases to Zeros, recurrent kernels to Orthogonal) and `get()`, which resolves "glorot_uniform",
 * "glorotUniform", "GlorotUniform", an Initializer object, or a function of (shape, dtype).
 *
 * An initializer's `call(shape, dtype)` returns the initial value; Layer.addWeight calls it inside the
 * weight's creation. Orthogonal draws and factorizes on the host (it runs once, at initialization).
 */
import type { DType } from "../core/dtype.js";
import { InvalidArgumentError } from "../core/errors.js";
import { declare, defineFunction, K, kind, optional, param, parseArgs, positionalOnly, signature, withDefault, type CallArgs } from "../core/signature.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { constant, convertToTensor, ones, zeros } from "../ops/creation.js";
import { randomNormal, randomUniform, truncatedNormal } from "../ops/random.js";
import type { Initializer as InitializerLike } from "../variables/initializers.js";
import { type CustomObjects, deserializeObject, isSerialized, type SerializedObject, serializeObject } from "./saving/generic.js";

/** The base of Keras's initializers: `call(shape, dtype)` gives the initial value; `getConfig()` its arguments. */
export abstract class Initializer implements InitializerLike {
  abstract call(shape: number[], dtype?: DType): Tensor;
  getConfig(): Record<string, unknown> {
    return {};
  }
}

const SEED = optional("seed", K.int, "The seed: the same seed gives the same values.");
const noArgs = { args: () => [] };

const ZEROS = signature("keras.initializers.Zeros", "Initializes to zeros.", [], noArgs);
export class Zeros extends Initializer {
  constructor(...args: CallArgs<typeof ZEROS.params>) {
    super();
    parseArgs(ZEROS, args);
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    return zeros(shape, dtype);
  }
}
declare(Zeros, ZEROS);

const ONES = signature("keras.initializers.Ones", "Initializes to ones.", [], noArgs);
export class Ones extends Initializer {
  constructor(...args: CallArgs<typeof ONES.params>) {
    super();
    parseArgs(ONES, args);
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    return ones(shape, dtype);
  }
}
declare(Ones, ONES);

const CONSTANT = signature("keras.initializers.Constant", "Initializes every element to one value.", [withDefault("value", K.number, 0, "The value.")], {
  args: () => [3],
});
export class Constant extends Initializer {
  readonly value: number;
  constructor(...args: CallArgs<typeof CONSTANT.params>) {
    super();
    [this.value] = parseArgs(CONSTANT, args);
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    return constant(this.value, { dtype, shape });
  }
  override getConfig(): Record<string, unknown> {
    return { value: this.value };
  }
}
declare(Constant, CONSTANT);

const RANDOM_NORMAL = signature(
  "keras.initializers.RandomNormal",
  "Initializes with values from a normal distribution.",
  [withDefault("mean", K.number, 0, "The mean."), withDefault("stddev", K.number, 0.05, "The standard deviation."), SEED],
  { args: () => [0, 1, 3] },
);
export class RandomNormal extends Initializer {
  readonly mean: number;
  readonly stddev: number;
  readonly seed: number | undefined;
  constructor(...args: CallArgs<typeof RANDOM_NORMAL.params>) {
    super();
    [this.mean, this.stddev, this.seed] = parseArgs(RANDOM_NORMAL, args);
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    return randomNormal(shape, { mean: this.mean, stddev: this.stddev, seed: this.seed, dtype });
  }
  override getConfig(): Record<string, unknown> {
    return { mean: this.mean, stddev: this.stddev, seed: this.seed ?? null };
  }
}
declare(RandomNormal, RANDOM_NORMAL);

const TRUNCATED_NORMAL = signature(
  "keras.initializers.TruncatedNormal",
  "Initializes with normal values, those beyond two standard deviations redrawn.",
  [withDefault("mean", K.number, 0, "The mean."), withDefault("stddev", K.number, 0.05, "The standard deviation."), SEED],
  { args: () => [0, 1, 3] },
);
export class TruncatedNormal extends Initializer {
  readonly mean: number;
  readonly stddev: number;
  readonly seed: number | undefined;
  constructor(...args: CallArgs<typeof TRUNCATED_NORMAL.params>) {
    super();
    [this.mean, this.stddev, this.seed] = parseArgs(TRUNCATED_NORMAL, args);
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    return truncatedNormal(shape, { mean: this.mean, stddev: this.stddev, seed: this.seed, dtype });
  }
  override getConfig(): Record<string, unknown> {
    return { mean: this.mean, stddev: this.stddev, seed: this.seed ?? null };
  }
}
declare(TruncatedNormal, TRUNCATED_NORMAL);

const RANDOM_UNIFORM = signature(
  "keras.initializers.RandomUniform",
  "Initializes with values from a uniform distribution.",
  [withDefault("minval", K.number, -0.05, "The lower bound (inclusive)."), withDefault("maxval", K.number, 0.05, "The upper bound (exclusive)."), SEED],
  { args: () => [-1, 1, 3] },
);
export class RandomUniform extends Initializer {
  readonly minval: number;
  readonly maxval: number;
  readonly seed: number | undefined;
  constructor(...args: CallArgs<typeof RANDOM_UNIFORM.params>) {
    super();
    [this.minval, this.maxval, this.seed] = parseArgs(RANDOM_UNIFORM, args);
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    return randomUniform(shape, { minval: this.minval, maxval: this.maxval, seed: this.seed, dtype });
  }
  override getConfig(): Record<string, unknown> {
    return { minval: this.minval, maxval: this.maxval, seed: this.seed ?? null };
  }
}
declare(RandomUniform, RANDOM_UNIFORM);

/** fan_in and fan_out as Keras computes them (a conv kernel's receptive field multiplies both). */
function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shape.slice(0, -2).reduce((p, d) => p * d, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

type FanMode = "fan_in" | "fan_out" | "fan_avg";
type Distribution = "truncated_normal" | "untruncated_normal" | "uniform" | "normal";
/** The standard deviation of a standard normal truncated to [-2, 2]: truncated draws are scaled up by its inverse. */
const TRUNCATED_STDDEV = 0.87962566103423978;

const VARIANCE_SCALING_PARAMS = [
  withDefault("scale", K.number, 1, "The variance scale (positive)."),
  withDefault("mode", kind<FanMode>('"fan_in" | "fan_out" | "fan_avg"'), "fan_in", "Which fan divides the scale."),
  withDefault(
    "distribution",
    kind<Distribution>('"truncated_normal" | "untruncated_normal" | "uniform"'),
    "truncated_normal",
    "The distribution drawn from (normal means truncated_normal).",
  ),
  SEED,
] as const;
const VARIANCE_SCALING = signature(
  "keras.initializers.VarianceScaling",
  "Values whose variance is scale / n, n the fan-in, fan-out or their mean.",
  VARIANCE_SCALING_PARAMS,
  { args: () => [2, "fan_avg", "uniform", 3] },
);
export class VarianceScaling extends Initializer {
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  readonly seed: number | undefined;
  constructor(...args: CallArgs<typeof VARIANCE_SCALING.params>) {
    super();
    const [scale, mode, distribution, seed] = parseArgs(VARIANCE_SCALING, args);
    if (!(scale > 0)) throw new InvalidArgumentError(`VarianceScaling: scale must be positive, got ${scale}`);
    if (!["fan_in", "fan_out", "fan_avg"].includes(mode)) throw new InvalidArgumentError(`VarianceScaling: invalid mode '${mode}'`);
    if (!["truncated_normal", "untruncated_normal", "uniform", "normal"].includes(distribution)) {
      throw new InvalidArgumentError(`VarianceScaling: invalid distribution '${distribution}'`);
    }
    this.scale = scale;
    this.mode = mode;
    this.distribution = distribution === "normal" ? "truncated_normal" : distribution;
    this.seed = seed;
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    const [fanIn, fanOut] = computeFans(shape);
    const n = this.mode === "fan_in" ? fanIn : this.mode === "fan_out" ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    if (this.distribution === "truncated_normal") return truncatedNormal(shape, { stddev: Math.sqrt(variance) / TRUNCATED_STDDEV, seed: this.seed, dtype });
    if (this.distribution === "untruncated_normal") return randomNormal(shape, { stddev: Math.sqrt(variance), seed: this.seed, dtype });
    const limit = Math.sqrt(3 * variance);
    return randomUniform(shape, { minval: -limit, maxval: limit, seed: this.seed, dtype });
  }
  override getConfig(): Record<string, unknown> {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed ?? null };
  }
}
declare(VarianceScaling, VARIANCE_SCALING);

/** A VarianceScaling with fixed scale, mode and distribution, constructed with only a seed (GlorotUniform, HeNormal, ...). */
function fixedVarianceScaling(pyName: string, doc: string, scale: number, mode: FanMode, distribution: Distribution) {
  const sig = signature(`keras.initializers.${pyName}`, doc, [SEED], { args: () => [3] });
  class Fixed extends VarianceScaling {
    constructor(...args: CallArgs<typeof sig.params>) {
      const [seed] = parseArgs(sig, args);
      super(scale, mode, distribution, seed);
    }
    override getConfig(): Record<string, unknown> {
      return { seed: this.seed ?? null };
    }
  }
  Object.defineProperty(Fixed, "name", { value: pyName });
  declare(Fixed, sig);
  return Fixed;
}

/** Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)); the default kernel initializer. */
export const GlorotUniform = fixedVarianceScaling(
  "GlorotUniform",
  "Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)).",
  1,
  "fan_avg",
  "uniform",
);
export type GlorotUniform = InstanceType<typeof GlorotUniform>;
export const GlorotNormal = fixedVarianceScaling(
  "GlorotNormal",
  "Glorot (Xavier) normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out)).",
  1,
  "fan_avg",
  "truncated_normal",
);
export const HeNormal = fixedVarianceScaling("HeNormal", "He normal: truncated normal with stddev sqrt(2 / fan_in).", 2, "fan_in", "truncated_normal");
export const HeUniform = fixedVarianceScaling("HeUniform", "He uniform: U(-l, l) with l = sqrt(6 / fan_in).", 2, "fan_in", "uniform");
export const LecunNormal = fixedVarianceScaling("LecunNormal", "LeCun normal: truncated normal with stddev sqrt(1 / fan_in).", 1, "fan_in", "truncated_normal");
export const LecunUniform = fixedVarianceScaling("LecunUniform", "LeCun uniform: U(-l, l) with l = sqrt(3 / fan_in).", 1, "fan_in", "uniform");

// ---------------------------------------------------------------- orthogonal and identity (host-side)

/** A seeded source of standard normal numbers on the host (mulberry32 and Box-Muller): Orthogonal's draws. */
function normalSource(seed: number | undefined): () => number {
  let s = (seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * The Q of a QR factorization of a rows x cols matrix (rows >= cols, row-major), columns signed so that R's
 * diagonal is positive (Householder reflections, in float64).
 */
function orthonormalColumns(a: Float64Array, rows: number, cols: number): Float64Array {
  const r = Float64Array.from(a);
  const vs: Float64Array[] = [];
  for (let k = 0; k < cols; k++) {
    let norm = 0;
    for (let i = k; i < rows; i++) norm += r[i * cols + k] ** 2;
    norm = Math.sqrt(norm);
    const v = new Float64Array(rows);
    const alpha = r[k * cols + k] > 0 ? -norm : norm;
    for (let i = k; i < rows; i++) v[i] = r[i * cols + k];
    v[k] -= alpha;
    let vn = 0;
    for (let i = k; i < rows; i++) vn += v[i] * v[i];
    if (vn > 0) {
      for (let j = k; j < cols; j++) {
        let d = 0;
        for (let i = k; i < rows; i++) d += v[i] * r[i * cols + j];
        const f = (2 * d) / vn;
        for (let i = k; i < rows; i++) r[i * cols + j] -= f * v[i];
      }
    }
    vs.push(v);
  }
  // Q's first `cols` columns: the reflections applied in reverse to the unit vectors.
  const q = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) q[j * cols + j] = 1;
  for (let k = cols - 1; k >= 0; k--) {
    const v = vs[k];
    let vn = 0;
    for (let i = k; i < rows; i++) vn += v[i] * v[i];
    if (vn === 0) continue;
    for (let j = 0; j < cols; j++) {
      let d = 0;
      for (let i = k; i < rows; i++) d += v[i] * q[i * cols + j];
      const f = (2 * d) / vn;
      for (let i = k; i < rows; i++) q[i * cols + j] -= f * v[i];
    }
  }
  // TensorFlow multiplies Q by sign(diag(R)) so that the result is uniformly distributed.
  for (let j = 0; j < cols; j++) {
    if (r[j * cols + j] < 0) for (let i = 0; i < rows; i++) q[i * cols + j] = -q[i * cols + j];
  }
  return q;
}

const ORTHOGONAL = signature(
  "keras.initializers.Orthogonal",
  "A (semi-)orthogonal matrix, from the QR factorization of a normal draw (recurrent kernels' default).",
  [withDefault("gain", K.number, 1, "Multiplies the matrix."), SEED],
  { args: () => [1, 3] },
);
export class Orthogonal extends Initializer {
  readonly gain: number;
  readonly seed: number | undefined;
  constructor(...args: CallArgs<typeof ORTHOGONAL.params>) {
    super();
    [this.gain, this.seed] = parseArgs(ORTHOGONAL, args);
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    if (shape.length < 2) throw new InvalidArgumentError(`Orthogonal: the shape must have at least 2 dimensions, got [${shape}]`);
    const cols = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const [m, n] = [Math.max(rows, cols), Math.min(rows, cols)];
    const next = normalSource(this.seed);
    const a = Float64Array.from({ length: m * n }, next);
    const q = orthonormalColumns(a, m, n);
    const out = new Float64Array(rows * cols);
    // rows < cols: the transpose, so that the rows are orthonormal.
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = this.gain * (rows >= cols ? q[i * n + j] : q[j * n + i]);
    return constant(out, { dtype, shape });
  }
  override getConfig(): Record<string, unknown> {
    return { gain: this.gain, seed: this.seed ?? null };
  }
}
declare(Orthogonal, ORTHOGONAL);

const IDENTITY = signature(
  "keras.initializers.Identity",
  "gain times the identity matrix (2-D shapes only).",
  [withDefault("gain", K.number, 1, "Multiplies the matrix.")],
  {
    args: () => [2],
  },
);
export class Identity extends Initializer {
  readonly gain: number;
  constructor(...args: CallArgs<typeof IDENTITY.params>) {
    super();
    [this.gain] = parseArgs(IDENTITY, args);
  }
  call(shape: number[], dtype: DType = "float32"): Tensor {
    if (shape.length !== 2) throw new InvalidArgumentError(`Identity: the identity matrix initializer can only be used for 2D matrices, got [${shape}]`);
    const [r, c] = shape;
    const out = new Float64Array(r * c);
    for (let i = 0; i < Math.min(r, c); i++) out[i * c + i] = this.gain;
    return constant(out, { dtype, shape });
  }
  override getConfig(): Record<string, unknown> {
    return { gain: this.gain };
  }
}
declare(Identity, IDENTITY);

// ---------------------------------------------------------------- get

/** What an initializer argument accepts: a name, an initializer, or a function of (shape, dtype). */
export type InitializerArg = string | InitializerLike | ((shape: number[], dtype?: DType) => TensorLike);

const BY_KEY: { readonly [key: string]: () => Initializer } = {
  zeros: () => new Zeros(),
  ones: () => new Ones(),
  constant: () => new Constant(),
  randomnormal: () => new RandomNormal(),
  normal: () => new RandomNormal(),
  uniform: () => new RandomUniform(),
  randomuniform: () => new RandomUniform(),
  truncatednormal: () => new TruncatedNormal(),
  variancescaling: () => new VarianceScaling(),
  glorotuniform: () => new GlorotUniform(),
  glorotnormal: () => new GlorotNormal(),
  henormal: () => new HeNormal(),
  heuniform: () => new HeUniform(),
  lecunnormal: () => new LecunNormal(),
  lecununiform: () => new LecunUniform(),
  orthogonal: () => new Orthogonal(),
  identity: () => new Identity(),
};

/** tf.keras.initializers.get: "glorot_uniform", "glorotUniform" and "GlorotUniform" all name the same class. */
export function get(identifier: InitializerArg | SerializedObject | null | undefined): InitializerLike | null {
  if (identifier === null || identifier === undefined) return null;
  if (isSerialized(identifier)) return deserialize(identifier);
  if (typeof identifier === "string") {
    const make = BY_KEY[identifier.replace(/_/g, "").toLowerCase()];
    if (!make) throw new InvalidArgumentError(`Unknown initializer: '${identifier}'. Known: ${Object.keys(BY_KEY).join(", ")}`);
    return make();
  }
  if (typeof identifier === "function") {
    const fn = identifier;
    return { call: (shape, dtype) => convertToTensor(fn(shape, dtype), { dtype: dtype ?? "float32" }) };
  }
  if (typeof identifier === "object" && typeof identifier.call === "function") return identifier;
  throw new InvalidArgumentError(`Could not interpret initializer identifier: ${String(identifier)}`);
}

/** Keras's initializer classes by class name (what `{ className, config }` names). */
const CLASSES = {
  Zeros,
  Ones,
  Constant,
  RandomNormal,
  RandomUniform,
  TruncatedNormal,
  VarianceScaling,
  GlorotUniform,
  GlorotNormal,
  HeNormal,
  HeUniform,
  LecunNormal,
  LecunUniform,
  Orthogonal,
  Identity,
} as unknown as Record<string, new (config: Record<string, unknown>) => Initializer>;

const SERIALIZED = kind<SerializedObject | Record<string, unknown>>("{ className, config }");
const CUSTOM_OBJECTS = optional("customObjects", kind<CustomObjects>("Record<string, class | function>"), "User classes by the name they were saved under.");

/** tf.keras.initializers.serialize: `{ className, config }` of an initializer (a name resolves first: "glorot_uniform"). */
export const serialize = defineFunction(
  signature(
    "keras.initializers.serialize",
    "The { className, config } of an initializer (a name is resolved to its class first).",
    [param("initializer", kind<InitializerArg>("string | Initializer"), "The initializer.")],
    { args: () => ["glorot_uniform"] },
  ),
  (initializer): SerializedObject => {
    const init = get(initializer);
    if (!(init instanceof Initializer)) {
      throw new InvalidArgumentError(`Cannot serialize initializer ${String(initializer)}: give a tf.keras.initializers class (or a class with getConfig)`);
    }
    return serializeObject(init);
  },
);

/** tf.keras.initializers.deserialize: the initializer a `{ className, config }` describes. */
export const deserialize = defineFunction(
  signature(
    "keras.initializers.deserialize",
    "The initializer a { className, config } (or Keras's { class_name, config }) describes.",
    [positionalOnly(param("config", SERIALIZED, "The serialized initializer.")), CUSTOM_OBJECTS],
    { args: () => [{ className: "Zeros", config: {} }] },
  ),
  (config, customObjects): Initializer => deserializeObject(config, CLASSES, customObjects ?? {}, "initializer") as Initializer,
);
