/**
 * The benchmark's three models built with tsflow's raw ops, trained with SGD: in graph mode (placeholders
 * and sess.run) and eagerly (GradientTape + applyGradients inside tf.tidy).
 */
import * as tf from "../src/index.js";

export type ModelName = "logreg" | "mlp" | "lenet";
export const MODELS: ModelName[] = ["logreg", "mlp", "lenet"];

interface Params {
  vars: tf.Variable[];
  forward: (x: tf.Tensor) => tf.Tensor;
}

function dense(nIn: number, nOut: number, name: string): [tf.Variable, tf.Variable] {
  const limit = Math.sqrt(6 / (nIn + nOut));
  return [new tf.Variable(tf.randomUniform([nIn, nOut], -limit, limit), { name: `${name}_w` }), new tf.Variable(tf.zeros([nOut]), { name: `${name}_b` })];
}

function conv(k: number, cin: number, cout: number, name: string): [tf.Variable, tf.Variable] {
  const limit = Math.sqrt(6 / (k * k * (cin + cout)));
  return [new tf.Variable(tf.randomUniform([k, k, cin, cout], -limit, limit), { name: `${name}_w` }), new tf.Variable(tf.zeros([cout]), { name: `${name}_b` })];
}

/** Builds the parameters and the forward function (in whichever mode is current). */
export function buildModel(model: ModelName): Params {
  const affine = (x: tf.Tensor, [w, b]: [tf.Variable, tf.Variable]) => tf.add(tf.matmul(x, w), b);
  if (model === "logreg") {
    const l = dense(784, 10, "fc");
    return { vars: l, forward: (x) => affine(tf.reshape(x, [-1, 784]), l) };
  }
  if (model === "mlp") {
    const l1 = dense(784, 512, "fc1");
    const l2 = dense(512, 512, "fc2");
    const l3 = dense(512, 10, "fc3");
    return {
      vars: [...l1, ...l2, ...l3],
      forward: (x) => affine(tf.nn.relu(affine(tf.nn.relu(affine(tf.reshape(x, [-1, 784]), l1)), l2)), l3),
    };
  }
  const c1 = conv(5, 1, 6, "conv1");
  const c2 = conv(5, 6, 16, "conv2");
  const f1 = dense(400, 120, "fc1");
  const f2 = dense(120, 84, "fc2");
  const f3 = dense(84, 10, "fc3");
  const nn = tf.nn as unknown as {
    conv2d(x: tf.Tensor, w: tf.Variable, strides: number, padding: string): tf.Tensor;
    biasAdd(x: tf.Tensor, b: tf.Variable): tf.Tensor;
    maxPool(x: tf.Tensor, ksize: number, strides: number, padding: string): tf.Tensor;
    relu(x: tf.Tensor): tf.Tensor;
  };
  return {
    vars: [...c1, ...c2, ...f1, ...f2, ...f3],
    forward: (x) => {
      let h = nn.maxPool(nn.relu(nn.biasAdd(nn.conv2d(x, c1[0], 1, "SAME"), c1[1])), 2, 2, "VALID");
      h = nn.maxPool(nn.relu(nn.biasAdd(nn.conv2d(h, c2[0], 1, "VALID"), c2[1])), 2, 2, "VALID");
      h = tf.reshape(h, [-1, 400]);
      return affine(tf.nn.relu(affine(tf.nn.relu(affine(h, f1)), f2)), f3);
    },
  };
}

export function syntheticBatch(batch: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(batch * 784);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 1000;
  const y = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) y[i * 10 + (i % 10)] = 1;
  return { x, y };
}

const xent = (labels: tf.Tensor, logits: tf.Tensor) =>
  tf.reduceMean((tf.nn as unknown as { softmaxCrossEntropyWithLogits(l: tf.Tensor, g: tf.Tensor): tf.Tensor }).softmaxCrossEntropyWithLogits(labels, logits));

/**
 * A graph-mode training step: returns a function running one SGD step on the fixed batch. The batch is fed
 * as typed arrays, or with `feedTensors` as eager tensors made beforehand (on GPU:0 when there is one, as
 * the GPU benchmark's PyTorch side keeps its batch on the device).
 */
export function graphStep(
  model: ModelName,
  batch: number,
  opts: { feedTensors?: boolean } = {},
): { step: () => void; stepWithLoss: () => tf.Tensor; close: () => void } {
  const data = syntheticBatch(batch);
  const xt = opts.feedTensors ? tf.constant(data.x, { shape: [batch, 28, 28, 1] }) : null;
  const yt = opts.feedTensors ? tf.constant(data.y, { shape: [batch, 10] }) : null;
  const g = new tf.Graph();
  return g.asDefault(() => {
    tf.setRandomSeed(1);
    const x = tf.placeholder("float32", [null, 28, 28, 1], { name: "x" });
    const y = tf.placeholder("float32", [null, 10], { name: "y" });
    const m = buildModel(model);
    const loss = xent(y, m.forward(x));
    const train = new tf.train.GradientDescentOptimizer(0.01).minimize(loss);
    const sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const feed = new Map<tf.Tensor, Float32Array | tf.Tensor>([
      [x, xt ?? data.x],
      [y, yt ?? data.y],
    ]);
    return {
      step: () => void sess.run(train, feed as never),
      /** The step fetching the batch's loss too. */
      stepWithLoss: () => sess.run([train, loss], feed as never)[1] as tf.Tensor,
      close: () => {
        sess.close();
        if (xt && yt) tf.dispose([xt, yt]);
      },
    };
  });
}

/** The eager step (GradientTape + applyGradients) traced once with tf.function and replayed as one graph. */
export function functionStep(model: ModelName, batch: number): { step: () => void; close: () => void } {
  return eagerStep(model, batch, true);
}

/** An eager training step with a tape (or, with `traced`, the same step as a tf.function). */
export function eagerStep(model: ModelName, batch: number, traced = false): { step: () => void; close: () => void } {
  tf.random.setSeed(1);
  const m = buildModel(model);
  const data = syntheticBatch(batch);
  const x = tf.constant(data.x, { shape: [batch, 28, 28, 1] });
  const y = tf.constant(data.y, { shape: [batch, 10] });
  const opt = new tf.train.GradientDescentOptimizer(0.01);
  const trainStep = (xb: tf.Tensor, yb: tf.Tensor) => {
    const tape = new tf.GradientTape();
    const loss = tape.run(() => xent(yb, m.forward(xb)));
    const grads = tape.gradient(loss, m.vars);
    opt.applyGradients(grads.map((g, i) => [g!, m.vars[i]] as [tf.Tensor, tf.Variable]));
    return loss;
  };
  const run = traced ? tf.function(trainStep) : trainStep;
  return {
    step: () => tf.tidy(() => void run(x, y)),
    close: () => {
      tf.dispose([x, y]);
      for (const v of m.vars) v.dispose();
    },
  };
}
