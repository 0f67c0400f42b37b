/**
 * Linear regression as the seed tutorial teaches it, in TensorFlow 1 style: 100 random points on
 * y = 0.8x + 0.7, variables W and b, mean squared error, GradientDescentOptimizer(0.01), placeholders
 * fed through sess.run's feedDict. Learns W = 0.8 and b = 0.7.
 *   node --import tsx examples/linear_regression_graph.ts [--max_step=1000]
 */
import * as tf from "tsflowjs";

export function run(steps = 1000, log = true): { W: number; b: number; loss: number } {
  const g = new tf.Graph();
  return g.asDefault(() => {
    tf.setRandomSeed(7);
    // The data: 100 points, one feature, targets on the line y = 0.8x + 0.7.
    const xs = tf.randomNormal([100, 1]);
    const ysTrue = tf.add(tf.matmul(xs, [[0.8]]), 0.7);
    const x = tf.placeholder("float32", [null, 1], { name: "x" });
    const yTrue = tf.placeholder("float32", [null, 1], { name: "y_true" });

    // The model: y = x·W + b.
    const W = new tf.Variable(tf.randomNormal([1, 1]), { name: "W" });
    const b = new tf.Variable(0.0, { name: "b" });
    const yPredict = tf.add(tf.matmul(x, W), b);
    const loss = tf.reduceMean(tf.square(tf.subtract(yPredict, yTrue)), { name: "loss" });
    const trainOp = new tf.train.GradientDescentOptimizer(0.01).minimize(loss);

    using sess = new tf.Session();
    sess.run(tf.globalVariablesInitializer());
    const [dataX, dataY] = sess.run([xs, ysTrue]) as tf.EagerTensor[];
    const feed = new Map([
      [x, dataX],
      [yTrue, dataY],
    ]);
    if (log) console.log(`before training: W=${(sess.run(W) as tf.EagerTensor).item().toFixed(4)} b=${(sess.run(b) as tf.EagerTensor).item().toFixed(4)}`);
    let lossValue = NaN;
    for (let step = 1; step <= steps; step++) {
      const [, l] = sess.run([trainOp, loss], feed) as [null, tf.EagerTensor];
      lossValue = l.item();
      l.dispose();
      if (log && (step % 100 === 0 || step === 1)) console.log(`step ${step}: loss=${lossValue.toExponential(4)}`);
    }
    const result = { W: (sess.run(W) as tf.EagerTensor).item(), b: (sess.run(b) as tf.EagerTensor).item(), loss: lossValue };
    if (log) console.log(`learned: W=${result.W.toFixed(4)} b=${result.b.toFixed(4)} (true: 0.8, 0.7)`);
    return result;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  tf.app.flags.defineInteger("max_step", 1000, "train step number");
  run(tf.app.flags.FLAGS.max_step as number);
}
