/**
 * LeNet-5 written TensorFlow-1 style, as the tutorials teach it: a graph with placeholders for a batch of
 * images and labels, variables for the weights (tf.getVariable under tf.variableScope), tf.nn.conv2d /
 * maxPool / relu, sparse softmax cross-entropy, tf.train.AdamOptimizer(...).minimize, and a Session that
 * runs the train op on batches drawn from a tf.compat.v1.data iterator (shuffled each epoch; the end of an
 * epoch is the iterator's OutOfRangeError), then the test accuracy.
 *   node --import tsx examples/lenet5_tf1.ts [--dataset=fashion_mnist|mnist] [--epochs=N] [--batch_size=64]
 */
import * as tf from "tsflowjs";

/** The first `n` rows of `t` (all of it when it has fewer). */
function firstRows(t: tf.EagerTensor, n: number): tf.Tensor {
  return tf.slice(
    t,
    t.shape.map(() => 0),
    t.shape.map((d, i) => (i === 0 ? Math.min(n, d) : -1)),
  );
}

export interface Tf1Result {
  testAccuracy: number;
  lastLoss: number;
  steps: number;
  trainSeconds: number;
}

function weights(name: string, shape: number[], fanIn: number, fanOut: number): tf.Variable {
  // Glorot uniform, as tf.keras's default.
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.getVariable(name, shape, { initializer: tf.randomUniformInitializer(-limit, limit, 1) });
}

/** LeNet-5's logits for images [n, 28, 28, 1]. */
function lenet5(x: tf.Tensor): tf.Tensor {
  const conv = (h: tf.Tensor, scope: string, k: number, cin: number, cout: number, padding: "SAME" | "VALID") =>
    tf.variableScope(scope, () => {
      const w = weights("weights", [k, k, cin, cout], k * k * cin, k * k * cout);
      const b = tf.getVariable("biases", [cout], { initializer: tf.zerosInitializer() });
      return tf.nn.maxPool(tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(h, w, 1, padding), b)), 2, 2, "VALID");
    });
  const dense = (h: tf.Tensor, scope: string, nIn: number, nOut: number, relu: boolean) =>
    tf.variableScope(scope, () => {
      const y = tf.add(tf.matmul(h, weights("weights", [nIn, nOut], nIn, nOut)), tf.getVariable("biases", [nOut], { initializer: tf.zerosInitializer() }));
      return relu ? tf.nn.relu(y) : y;
    });
  let h = conv(x, "conv1", 5, 1, 6, "SAME"); // [n, 14, 14, 6]
  h = conv(h, "conv2", 5, 6, 16, "VALID"); // [n, 5, 5, 16]
  h = tf.reshape(h, [-1, 400]);
  h = dense(h, "fc1", 400, 120, true);
  h = dense(h, "fc2", 120, 84, true);
  return dense(h, "fc3", 84, 10, false);
}

export function run(opts: { dataset?: string; epochs?: number; batchSize?: number; limit?: number; log?: boolean } = {}): Tf1Result {
  const log = opts.log ?? true;
  const epochs = opts.epochs ?? 10;
  const batchSize = opts.batchSize ?? 64;
  // The data, loaded eagerly (NumPy arrays in Python): images scaled to [0, 1] with a channel axis.
  const d = opts.dataset === "mnist" ? tf.keras.datasets.mnist : tf.keras.datasets.fashionMnist;
  const [[xTrain0, yTrain0], [xTest0, yTest0]] = d.loadData();
  const take = (t: tf.Tensor) => (opts.limit === undefined ? t : firstRows(t as tf.EagerTensor, opts.limit));
  const images = (t: tf.Tensor) => tf.reshape(tf.div(tf.cast(take(t), "float32"), 255), [-1, 28, 28, 1]);
  const labels = (t: tf.Tensor) => tf.cast(take(t), "int32");
  const [xTrain, yTrain, xTest, yTest] = [images(xTrain0), labels(yTrain0), images(xTest0), labels(yTest0)] as tf.EagerTensor[];

  // Test batches of 1000, cut eagerly (inside the graph, tf.slice would add graph ops instead).
  const testBatches: [tf.EagerTensor, tf.EagerTensor][] = [];
  for (let i = 0; i < xTest.shape[0]; i += 1000) {
    const size = Math.min(1000, xTest.shape[0] - i);
    testBatches.push([tf.slice(xTest, [i, 0, 0, 0], [size, -1, -1, -1]) as tf.EagerTensor, tf.slice(yTest, [i], [size]) as tf.EagerTensor]);
  }

  const g = new tf.Graph();
  return g.asDefault(() => {
    tf.setRandomSeed(1);
    // The input pipeline: shuffled batches of (image, label), restarted by the iterator's initializer each epoch.
    const dataset = tf.data.Dataset.fromTensorSlices([xTrain, yTrain]).shuffle(xTrain.shape[0], { seed: 1 }).batch(batchSize);
    const iterator = tf.compat.v1.data.makeInitializableIterator(dataset);
    const nextBatch = iterator.getNext() as unknown as tf.Tensor[];

    const x = tf.placeholder("float32", [null, 28, 28, 1], { name: "x" });
    const y = tf.placeholder("int32", [null], { name: "y" });
    const logits = lenet5(x);
    const loss = tf.reduceMean(tf.nn.sparseSoftmaxCrossEntropyWithLogits({ labels: y, logits }), { name: "loss" });
    const trainOp = new tf.train.AdamOptimizer(0.001).minimize(loss);
    const correct = tf.reduceSum(tf.cast(tf.equal(tf.argmax(logits, 1, { outputType: "int32" }), y), "float32"));

    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    let steps = 0;
    let lastLoss = NaN;
    const t0 = performance.now();
    for (let epoch = 1; epoch <= epochs; epoch++) {
      sess.run(iterator.initializer);
      let sum = 0;
      let n = 0;
      for (;;) {
        let batch: tf.EagerTensor[];
        try {
          batch = sess.run(nextBatch) as tf.EagerTensor[];
        } catch (e) {
          if (e instanceof tf.errors.OutOfRangeError) break; // the end of the epoch
          throw e;
        }
        const [, l] = sess.run(
          [trainOp, loss],
          new Map([
            [x, batch[0]],
            [y, batch[1]],
          ]),
        ) as [null, tf.EagerTensor];
        lastLoss = l.item() as number;
        sum += lastLoss;
        n++;
        steps++;
        tf.dispose([...batch, l]);
      }
      if (log) console.log(`epoch ${epoch}/${epochs}: mean loss ${(sum / n).toFixed(4)} over ${n} steps (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    // The test accuracy, in batches of 1000 fed through the same placeholders.
    let right = 0;
    const nTest = xTest.shape[0];
    for (const [xb, yb] of testBatches) {
      const c = sess.run(
        correct,
        new Map([
          [x, xb],
          [y, yb],
        ]),
      ) as tf.EagerTensor;
      right += c.item() as number;
      tf.dispose([xb, yb, c]);
    }
    const testAccuracy = right / nTest;
    if (log) console.log(`test accuracy ${(testAccuracy * 100).toFixed(2)}% after ${steps} steps (${trainSeconds.toFixed(1)} s)`);
    return { testAccuracy, lastLoss, steps, trainSeconds };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  tf.app.flags.defineString("dataset", "fashion_mnist", "fashion_mnist or mnist");
  tf.app.flags.defineInteger("epochs", 10, "epochs to train");
  tf.app.flags.defineInteger("batch_size", 64, "samples per step");
  const F = tf.app.flags.FLAGS;
  run({ dataset: F.dataset as string, epochs: F.epochs as number, batchSize: F.batch_size as number });
}
