/**
 * Tiny layers for the engine's tests, so that they depend only on the Layer contract (engine/layer.ts):
 * a Dense with a fixed-seed initializer, and a layer without computeOutputShape (shape probed).
 */
import * as tf from "../../src/index.js";

let seed = 1;
/** Deterministic small uniform values (a fixed LCG), so that tests do not depend on the global seed. */
function init(shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    v[i] = (seed / 2147483648 - 0.5) * 0.5;
  }
  return tf.constant(v, "float32", shape);
}

export class TinyDense extends tf.keras.layers.Layer {
  kernel!: tf.Variable;
  bias!: tf.Variable;
  constructor(
    readonly units: number,
    args: { name?: string; inputShape?: number[]; activation?: "relu" | "softmax" | "sigmoid"; trainable?: boolean } = {},
  ) {
    super({ name: args.name, inputShape: args.inputShape, trainable: args.trainable });
    this.activation = args.activation ?? null;
  }
  activation: "relu" | "softmax" | "sigmoid" | null = null;
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShape as number[];
    this.kernel = this.addWeight("kernel", { shape: [s[s.length - 1], this.units], initializer: { call: (shape) => init(shape) } });
    this.bias = this.addWeight("bias", { shape: [this.units], initializer: { call: (shape) => tf.zeros(shape) } });
  }
  override call(inputs: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
    const y = tf.add(tf.matmul(inputs as tf.Tensor, this.kernel), this.bias);
    if (this.activation === "relu") return tf.nn.relu(y);
    if (this.activation === "softmax") return tf.nn.softmax(y);
    if (this.activation === "sigmoid") return tf.sigmoid(y);
    return y;
  }
  computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [...(inputShape as (number | null)[]).slice(0, -1), this.units];
  }
}

/** Adds its inputs (several inputs in, one out); shape inferred by probing. */
export class TinyAdd extends tf.keras.layers.Layer {
  override call(inputs: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
    const xs = inputs as tf.Tensor[];
    return xs.slice(1).reduce((a, b) => tf.add(a, b), xs[0]);
  }
}

/** Doubles its input; no computeOutputShape (probed). */
export class Double extends tf.keras.layers.Layer {
  override call(inputs: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
    return tf.multiply(inputs as tf.Tensor, 2);
  }
}

/** Mean squared error per sample (a Keras loss function's contract: per-sample values). */
export function mse(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.reduceMean(tf.square(tf.subtract(yTrue, yPred)), -1);
}

/** Sparse categorical cross-entropy on probabilities, per sample. */
export function sparseCategoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const classes = yPred.shape![yPred.shape!.length - 1] as number;
  const onehot = tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), "int32"), classes);
  return tf.negative(tf.reduceSum(tf.multiply(onehot, tf.log(tf.maximum(yPred, 1e-7))), -1));
}

/** Plain SGD with a settable learningRate (the Keras optimizer contract: applyGradients([[grad, var], ...])). */
export class TinySGD {
  constructor(public learningRate = 0.1) {}
  applyGradients(pairs: [tf.Tensor, tf.Variable][]): void {
    for (const [g, v] of pairs) v.assignSub(tf.multiply(g, this.learningRate));
  }
}

/** Accuracy of probabilities against class indices, per sample (a metric function). */
export function sparseAccuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.cast(tf.equal(tf.cast(tf.reshape(yTrue, [-1]), "int32"), tf.cast(tf.argmax(yPred, -1), "int32")), "float32");
}
