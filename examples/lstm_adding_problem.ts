/**
 * The adding problem (Hochreiter & Schmidhuber 1997), the classic test of an LSTM's long memory: each input is
 * a sequence of `length` pairs (a random number in [0, 1], a marker that is 1 at exactly two positions, one
 * in each half); the target is the sum of the two marked numbers. Always answering 1 scores a mean squared
 * error of 1/6 (the variance of the sum of two uniform numbers); a model that has learned the task scores
 * far below that. tf.keras: LSTM then Dense(1), mean squared error, Adam.
 *   node --import tsx examples/lstm_adding_problem.ts [--length=50] [--epochs=N] [--units=64]
 */
import * as tf from "tsflowjs";

/** `n` sequences of the adding problem: inputs [n, length, 2] and targets [n, 1]. */
export function addingProblem(n: number, length: number, random: () => number): { x: tf.Tensor; y: tf.Tensor } {
  const x = new Float32Array(n * length * 2);
  const y = new Float32Array(n);
  const half = Math.floor(length / 2);
  for (let i = 0; i < n; i++) {
    const a = Math.floor(random() * half);
    const b = half + Math.floor(random() * (length - half));
    for (let t = 0; t < length; t++) {
      const v = random();
      x[(i * length + t) * 2] = v;
      if (t === a || t === b) {
        x[(i * length + t) * 2 + 1] = 1;
        y[i] += v;
      }
    }
  }
  return { x: tf.constant(x, { shape: [n, length, 2] }), y: tf.constant(y, { shape: [n, 1] }) };
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface AddingResult {
  testMse: number;
  /** The mean squared error of always answering 1 on the same test set. */
  baselineMse: number;
  trainSeconds: number;
}

export async function run(
  opts: { length?: number; epochs?: number; trainSize?: number; units?: number; batchSize?: number; log?: boolean } = {},
): Promise<AddingResult> {
  const log = opts.log ?? true;
  const length = opts.length ?? 50;
  const random = rng(3);
  const train = addingProblem(opts.trainSize ?? 10000, length, random);
  const test = addingProblem(1000, length, random);
  tf.setRandomSeed(1);
  const model = new tf.keras.Sequential([new tf.keras.layers.LSTM(opts.units ?? 64, { inputShape: [length, 2] }), new tf.keras.layers.Dense(1)]);
  model.compile({ optimizer: new tf.keras.optimizers.Adam({ learningRate: 0.003 }), loss: "mse" });
  if (log) model.summary();
  const t0 = performance.now();
  await model.fit(train.x, train.y, { batchSize: opts.batchSize ?? 64, epochs: opts.epochs ?? 10, verbose: log ? "auto" : 0 });
  const trainSeconds = (performance.now() - t0) / 1000;
  const testMse = model.evaluate(test.x, test.y, { batchSize: 500, verbose: 0 }) as number;
  const baselineMse = tf.tidy(() => tf.reduceMean(tf.square(tf.sub(test.y, 1))).dataSync()[0] as number);
  if (log)
    console.log(
      `sequence length ${length}: test MSE ${testMse.toFixed(4)} (always answering 1: ${baselineMse.toFixed(4)}), training ${trainSeconds.toFixed(1)} s`,
    );
  return { testMse, baselineMse, trainSeconds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  tf.app.flags.defineInteger("length", 50, "sequence length");
  tf.app.flags.defineInteger("epochs", 10, "epochs over 10,000 training sequences");
  tf.app.flags.defineInteger("units", 64, "LSTM units");
  const F = tf.app.flags.FLAGS;
  await run({ length: F.length as number, epochs: F.epochs as number, units: F.units as number });
}
