/**
 * The same linear regression in TensorFlow 2 style: eager tensors, a GradientTape, and the optimizer's
 * applyGradients. Learns W = 0.8 and b = 0.7.
 *   node --import tsx examples/linear_regression_eager.ts
 */
import * as tf from "tsflowjs";

export function run(steps = 1000, log = true): { W: number; b: number; loss: number } {
  tf.random.setSeed(7);
  const x = tf.randomNormal([100, 1]);
  const yTrue = tf.add(tf.matmul(x, [[0.8]]), 0.7);
  const W = new tf.Variable(tf.randomNormal([1, 1]), { name: "W" });
  const b = new tf.Variable(0.0, { name: "b" });
  const optimizer = new tf.train.GradientDescentOptimizer(0.01);

  let lossValue = NaN;
  for (let step = 1; step <= steps; step++) {
    // tf.tidy frees every intermediate of the step: memory stays flat however long training runs.
    lossValue = tf.tidy(() => {
      const tape = new tf.GradientTape();
      const loss = tape.run(() => tf.reduceMean(tf.square(tf.subtract(tf.add(tf.matmul(x, W), b), yTrue))));
      const grads = tape.gradient(loss, [W, b]);
      optimizer.applyGradients([
        [grads[0]!, W],
        [grads[1]!, b],
      ]);
      return (loss as tf.EagerTensor).item();
    });
    if (log && (step % 100 === 0 || step === 1)) console.log(`step ${step}: loss=${lossValue.toExponential(4)}`);
  }
  const result = { W: (W.value() as tf.EagerTensor).item(), b: (b.value() as tf.EagerTensor).item(), loss: lossValue };
  if (log) console.log(`learned: W=${result.W.toFixed(4)} b=${result.b.toFixed(4)} (true: 0.8, 0.7)`);
  tf.dispose([x, yTrue]);
  W.dispose();
  b.dispose();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) run();
