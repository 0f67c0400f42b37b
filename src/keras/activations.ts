/**
 * tf.keras.activations: the activation functions layers take by name (`activation: "relu"`), and `get()`,
 * which resolves Keras's snake_case names, their camelCase forms, a function or null (linear).
 *
 * Each is built from the engine's ops, so it runs eagerly and while tracing, and differentiates through the
 * ops' gradients. relu, relu6, elu, sigmoid, tanh, softplus and softmax are single ops (the graph fusions
 * recognise Relu after a bias add); the others are short compositions.
 */
import { InvalidArgumentError } from "../core/errors.js";
import { defineFunction, K, kind, optional, param, signature, withDefault } from "../core/signature.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../core/tensor_like.js";
import { convertToTensor, where } from "../ops/creation.js";
import {
  abs,
  add,
  elu as eluOp,
  exp,
  greater,
  maximum,
  minimum,
  multiply,
  negative,
  realdiv,
  relu as reluOp,
  relu6 as relu6Op,
  sigmoid as sigmoidOp,
  sign,
  softplus as softplusOp,
  subtract,
  tanh as tanhOp,
} from "../ops/elementwise.js";
import { softmax as softmaxOp } from "../ops/softmax.js";
import { toTensor } from "../ops/window_args.js";

/** An activation: a tensor in, a tensor of the same shape out. */
export type ActivationFn = (x: Tensor) => Tensor;
/** What `activation:` accepts: a name (snake_case or camelCase), a function, or null/undefined for none. */
export type ActivationArg = string | ActivationFn | null;
const ACTIVATION = kind<ActivationArg>("string | ((x: Tensor) => Tensor) | null");

const X = param("x", kind<TensorLike>("TensorLike"), "The input tensor.");
const EX = { args: () => [[-2, -0.5, 0, 0.5, 2]] };
const c = (v: number, like: Tensor): Tensor => convertToTensor(v, { dtype: like.dtype });

export const linear = defineFunction(signature("keras.activations.linear", "The identity: x.", [X], EX), (x): Tensor => toTensor(x));
export const exponential = defineFunction(signature("keras.activations.exponential", "exp(x).", [X], EX), (x): Tensor => exp(x));
export const sigmoid = defineFunction(signature("keras.activations.sigmoid", "1 / (1 + exp(-x)).", [X], EX), (x): Tensor => sigmoidOp(x));
export const tanh = defineFunction(signature("keras.activations.tanh", "The hyperbolic tangent.", [X], EX), (x): Tensor => tanhOp(x));
export const softplus = defineFunction(signature("keras.activations.softplus", "log(exp(x) + 1).", [X], EX), (x): Tensor => softplusOp(x));
export const softsign = defineFunction(signature("keras.activations.softsign", "x / (|x| + 1).", [X], EX), (x): Tensor => {
  const t = toTensor(x);
  return realdiv(t, add(abs(t), c(1, t)));
});
export const relu6 = defineFunction(signature("keras.activations.relu6", "min(max(x, 0), 6).", [X], EX), (x): Tensor => relu6Op(x));
export const elu = defineFunction(
  signature(
    "keras.activations.elu",
    "x for x > 0, alpha * (exp(x) - 1) otherwise.",
    [X, withDefault("alpha", K.number, 1, "The scale of the negative part.")],
    EX,
  ),
  (x, alpha): Tensor => {
    const y = eluOp(x);
    if (alpha === 1) return y;
    const t = toTensor(x);
    return where(greater(t, c(0, t)), y, multiply(y, c(alpha, t)));
  },
);
/** SELU's constants (Klambauer et al. 2017), as Keras has them. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
export const selu = defineFunction(
  signature("keras.activations.selu", "scale * elu(x, alpha) with Klambauer et al.'s constants (self-normalizing).", [X], EX),
  (x): Tensor => {
    const t = toTensor(x);
    const e = eluOp(t);
    return multiply(where(greater(t, c(0, t)), t, multiply(e, c(SELU_ALPHA, t))), c(SELU_SCALE, t));
  },
);
export const swish = defineFunction(signature("keras.activations.swish", "x * sigmoid(x) (also called silu).", [X], EX), (x): Tensor => {
  const t = toTensor(x);
  return multiply(t, sigmoidOp(t));
});
export const silu = defineFunction(signature("keras.activations.silu", "x * sigmoid(x) (swish's other name).", [X], EX), (x): Tensor => swish(x));
/** Keras 2's hard sigmoid: the piecewise-linear clip(0.2 * x + 0.5, 0, 1). */
export const hardSigmoid = defineFunction(signature("keras.activations.hard_sigmoid", "clip(0.2 * x + 0.5, 0, 1).", [X], EX), (x): Tensor => {
  const t = toTensor(x);
  return minimum(maximum(add(multiply(t, c(0.2, t)), c(0.5, t)), c(0, t)), c(1, t));
});

/**
 * erf by Abramowitz and Stegun's formula 7.1.26 (absolute error below 1.5e-7): there is no Erf op yet, and
 * this composition of ops differentiates through their gradients.
 */
function erf(t: Tensor): Tensor {
  const s = sign(t);
  const a = abs(t);
  const u = realdiv(c(1, t), add(c(1, t), multiply(a, c(0.3275911, t))));
  let poly = c(1.061405429, t);
  for (const k of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) poly = add(multiply(poly, u), c(k, t));
  poly = multiply(poly, u);
  return multiply(s, subtract(c(1, t), multiply(poly, exp(negative(multiply(a, a))))));
}
export const gelu = defineFunction(
  signature(
    "keras.activations.gelu",
    "x * P(X <= x) for a standard normal X: exact (through erf) or the tanh approximation.",
    [X, withDefault("approximate", K.boolean, false, "Use 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))).")],
    EX,
  ),
  (x, approximate): Tensor => {
    const t = toTensor(x);
    if (approximate) {
      const inner = multiply(add(t, multiply(multiply(multiply(t, t), t), c(0.044715, t))), c(Math.sqrt(2 / Math.PI), t));
      return multiply(multiply(t, c(0.5, t)), add(c(1, t), tanhOp(inner)));
    }
    return multiply(multiply(t, c(0.5, t)), add(c(1, t), erf(multiply(t, c(Math.SQRT1_2, t)))));
  },
);
export const leakyRelu = defineFunction(
  signature(
    "keras.activations.leaky_relu",
    "x for x > 0, alpha * x otherwise.",
    [X, withDefault("alpha", K.number, 0.2, "The slope of the negative part.")],
    EX,
  ),
  (x, alpha): Tensor => {
    const t = toTensor(x);
    return where(greater(t, c(0, t)), t, multiply(t, c(alpha, t)));
  },
);

/**
 * Keras's relu(x, alpha=0, max_value=None, threshold=0): x above threshold, alpha * (x - threshold) below,
 * clipped at maxValue. With the defaults it is the Relu op (and 6 as maxValue the Relu6 op), so the graph
 * fusions see it.
 */
export const relu = defineFunction(
  signature(
    "keras.activations.relu",
    "The rectified linear unit, with Keras's negative slope, saturation and threshold.",
    [
      X,
      withDefault("alpha", K.number, 0, "The slope below the threshold."),
      optional("maxValue", K.number, "The saturation value (none by default)."),
      withDefault("threshold", K.number, 0, "Values below it are zeroed (or scaled by alpha)."),
    ],
    EX,
  ),
  (x, alpha, maxValue, threshold): Tensor => reluFull(toTensor(x), alpha, maxValue ?? null, threshold),
);

/** The general ReLU of Keras's relu and the ReLU layer. */
function reluFull(t: Tensor, alpha: number, maxValue: number | null, threshold: number): Tensor {
  if (alpha === 0 && threshold === 0) {
    if (maxValue === null) return reluOp(t);
    if (maxValue === 6) return relu6Op(t);
    return minimum(reluOp(t), c(maxValue, t));
  }
  const above = greater(t, c(threshold, t));
  let y = where(above, t, alpha === 0 ? c(0, t) : multiply(subtract(t, c(threshold, t)), c(alpha, t)));
  if (maxValue !== null) y = minimum(y, c(maxValue, t));
  return y;
}

export const softmax = defineFunction(
  signature("keras.activations.softmax", "exp(x) / sum(exp(x)) along an axis.", [X, withDefault("axis", K.int, -1, "The axis normalized over.")], EX),
  (x, axis): Tensor => {
    const t = toTensor(x);
    if (t.rank === 0) throw new InvalidArgumentError("softmax: cannot apply softmax to a scalar (rank 0) tensor");
    return softmaxOp(t, axis);
  },
);

const BY_NAME: { readonly [name: string]: ActivationFn } = {
  linear: (x) => linear(x),
  exponential: (x) => exponential(x),
  sigmoid: (x) => sigmoid(x),
  tanh: (x) => tanh(x),
  softplus: (x) => softplus(x),
  softsign: (x) => softsign(x),
  relu: (x) => reluOp(x),
  relu6: (x) => relu6Op(x),
  elu: (x) => eluOp(x),
  selu: (x) => selu(x),
  gelu: (x) => gelu(x),
  swish: (x) => swish(x),
  silu: (x) => swish(x),
  hard_sigmoid: (x) => hardSigmoid(x),
  leaky_relu: (x) => leakyRelu(x),
  softmax: (x) => softmax(x),
};
/** The name of each activation function, for getConfig (Keras serializes activations by name). */
const NAMES = new Map<unknown, string>([
  [linear, "linear"],
  [exponential, "exponential"],
  [sigmoid, "sigmoid"],
  [tanh, "tanh"],
  [softplus, "softplus"],
  [softsign, "softsign"],
  [relu, "relu"],
  [relu6, "relu6"],
  [elu, "elu"],
  [selu, "selu"],
  [gelu, "gelu"],
  [swish, "swish"],
  [hardSigmoid, "hard_sigmoid"],
  [leakyRelu, "leaky_relu"],
  [softmax, "softmax"],
  ...Object.entries(BY_NAME).map(([k, f]) => [f, k] as [unknown, string]),
]);

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** tf.keras.activations.get(identifier): a name (snake_case or camelCase), a function, or null (linear). */
export const get = defineFunction(
  signature(
    "keras.activations.get",
    "The activation function for a name (Keras's snake_case or camelCase), a function, or null (linear).",
    [param("identifier", ACTIVATION, "A name, a function or null.")],
    { args: () => ["relu"] },
  ),
  (identifier): ActivationFn => {
    if (identifier === null || identifier === undefined) return BY_NAME.linear;
    if (typeof identifier === "function") return identifier;
    if (typeof identifier === "string") {
      const f = BY_NAME[snake(identifier)];
      if (f) return f;
    }
    throw new InvalidArgumentError(`Unknown activation function: '${String(identifier)}'. Known: ${Object.keys(BY_NAME).join(", ")}`);
  },
);

/** tf.keras.activations.serialize: an activation's name (a function's own name when it is not built in). */
export const serialize = defineFunction(
  signature("keras.activations.serialize", "The name of an activation function.", [param("activation", ACTIVATION, "An activation.")], {
    args: (tf) => [tf.keras.activations.relu],
  }),
  (activation): string => {
    if (activation === null) return "linear";
    if (typeof activation === "string") return snake(activation);
    return NAMES.get(activation) ?? (activation.name || "custom");
  },
);
