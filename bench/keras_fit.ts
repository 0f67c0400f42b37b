/**
 * Keras `fit` beside the same model in raw graph mode, and the input pipeline beside the training rate
 * (issue 9's speed rows). The Keras models are bench/tsflow_models.ts's MLP 784-512-512-10 and LeNet-5
 * (logits, SGD lr 0.01, categorical cross-entropy from logits, one-hot labels), trained by
 * `model.fit(x, y, { batchSize, epochs, verbose: 0 })` on a synthetic set of `samples` images (shuffled
 * each epoch, as fit does by default), each epoch after two warm ones timed within the one fit call; seconds per epoch are for Fashion-MNIST's 60,000 training images at
 * that rate. The pipeline row iterates `tf.data.Dataset.fromTensorSlices([x, y]).shuffle(n).batch(b)` over
 * one epoch of the same data and counts batches per second.
 */
import * as tf from "../src/index.js";
import { type ModelName, syntheticBatch } from "./tsflow_models.js";
import { median } from "./timing.js";

export type KerasBenchModel = Extract<ModelName, "mlp" | "lenet">;

/** The Keras twin of bench/tsflow_models.ts's model: inputs [n, 28, 28, 1], logits out. */
export function kerasModel(model: KerasBenchModel): tf.keras.Model {
  const L = tf.keras.layers;
  const layers =
    model === "mlp"
      ? [new L.Flatten({ inputShape: [28, 28, 1] }), new L.Dense(512, { activation: "relu" }), new L.Dense(512, { activation: "relu" }), new L.Dense(10)]
      : [
          new L.Conv2D(6, 5, { padding: "same", activation: "relu", inputShape: [28, 28, 1] }),
          new L.MaxPooling2D(2),
          new L.Conv2D(16, 5, { activation: "relu" }),
          new L.MaxPooling2D(2),
          new L.Flatten(),
          new L.Dense(120, { activation: "relu" }),
          new L.Dense(84, { activation: "relu" }),
          new L.Dense(10),
        ];
  const m = new tf.keras.Sequential(layers);
  m.compile({
    optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.01 }),
    loss: new tf.keras.losses.CategoricalCrossentropy({ fromLogits: true }),
  });
  return m;
}

/** `n` synthetic images [n, 28, 28, 1] and one-hot labels [n, 10] (the graph benchmark's batch, repeated). */
export function syntheticSet(n: number): { x: tf.Tensor; y: tf.Tensor } {
  const one = syntheticBatch(256);
  const x = new Float32Array(n * 784);
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    x.set(one.x.subarray((i % 256) * 784, ((i % 256) + 1) * 784), i * 784);
    y.set(one.y.subarray((i % 256) * 10, ((i % 256) + 1) * 10), i * 10);
  }
  return { x: tf.constant(x, { shape: [n, 28, 28, 1] }), y: tf.constant(y, { shape: [n, 10] }) };
}

export interface FitMeasurement {
  /** Median samples per second of the repetitions (each one fit epoch over the set). */
  median: number;
  reps: number[];
  /** Seconds one epoch of 60,000 images takes at the median rate. */
  secondsPerEpoch: number;
}

/** Epochs of each fit call before the timed ones: the first traces the train step; the second captures the last, smaller batch's step (a second shape) as a CUDA graph. */
const WARM_EPOCHS = 2;

/**
 * One fit call of `WARM_EPOCHS + reps` epochs, as a user trains: the warm epochs are untimed, each later
 * epoch is timed from the end of the one before to its own end, the device synchronised at each end (a
 * LambdaCallback's onEpochEnd), so the rate includes everything fit does per epoch (the shuffle, the
 * metrics' reset and read-out, the callbacks) but not what it does once per call or once per batch shape.
 */
async function timeFitEpochs(m: tf.keras.Model, x: tf.Tensor, y: tf.Tensor, batch: number, reps: number, sync: () => void): Promise<FitMeasurement> {
  const samples = (x.shape?.[0] ?? 0) as number;
  const rates: number[] = [];
  let t0 = 0;
  const timer = new tf.keras.callbacks.LambdaCallback({
    onEpochEnd: (epoch: number) => {
      sync();
      const t = performance.now();
      if (epoch >= WARM_EPOCHS) rates.push(samples / ((t - t0) / 1000));
      t0 = t;
    },
  });
  await m.fit(x, y, { batchSize: batch, epochs: WARM_EPOCHS + reps, verbose: 0, callbacks: [timer] });
  const med = median(rates);
  return { median: med, reps: rates, secondsPerEpoch: 60000 / med };
}

/**
 * Keras fit's rate: WARM_EPOCHS untimed epochs over `samples` images first (trace, capture), then `reps` timed epochs.
 * `sync` waits for a device, where there is one.
 */
export async function measureFit(model: KerasBenchModel, batch: number, samples: number, reps: number, sync: () => void = () => {}): Promise<FitMeasurement> {
  tf.setRandomSeed(1);
  const m = kerasModel(model);
  const { x, y } = syntheticSet(samples);
  try {
    return await timeFitEpochs(m, x, y, batch, reps, sync);
  } finally {
    tf.dispose([x, y]);
  }
}

/** Batches per second of `fromTensorSlices([x, y]).shuffle(n).batch(batch)` over whole epochs (median of `reps`). */
export function measurePipeline(batch: number, samples: number, reps: number): number {
  const { x, y } = syntheticSet(samples);
  try {
    const ds = tf.data.Dataset.fromTensorSlices([x, y]).shuffle(samples).batch(batch);
    const rates: number[] = [];
    for (let r = 0; r <= reps; r++) {
      const t0 = performance.now();
      let n = 0;
      for (const el of ds) {
        tf.dispose(el as unknown as tf.Tensor[]);
        n++;
      }
      // The first pass warms up.
      if (r > 0) rates.push(n / ((performance.now() - t0) / 1000));
    }
    return median(rates);
  } finally {
    tf.dispose([x, y]);
  }
}

/** The LSTM row's shapes: sequences of 64 steps of 32 features, LSTM(256), Dense(10) on the last output. */
export const LSTM_BENCH = { steps: 64, features: 32, units: 256 } as const;

/**
 * Keras fit of LSTM(256) + Dense(10) (SGD lr 0.01, categorical cross-entropy from logits) on synthetic sequences:
 * the LSTM as one LSTMSequence op (cuDNN's RNN on a GPU), or with `unroll` its per-step ops (recurrent MatMul
 * and fused cell per step).
 */
export async function measureLstmFit(batch: number, samples: number, reps: number, sync: () => void = () => {}, unroll = false): Promise<FitMeasurement> {
  tf.setRandomSeed(1);
  const { steps, features, units } = LSTM_BENCH;
  const m = new tf.keras.Sequential([new tf.keras.layers.LSTM(units, { inputShape: [steps, features], unroll }), new tf.keras.layers.Dense(10)]);
  m.compile({
    optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.01 }),
    loss: new tf.keras.losses.CategoricalCrossentropy({ fromLogits: true }),
  });
  const xs = new Float32Array(samples * steps * features);
  for (let i = 0; i < xs.length; i++) xs[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const ys = new Float32Array(samples * 10);
  for (let i = 0; i < samples; i++) ys[i * 10 + (i % 10)] = 1;
  const x = tf.constant(xs, { shape: [samples, steps, features] });
  const y = tf.constant(ys, { shape: [samples, 10] });
  try {
    return await timeFitEpochs(m, x, y, batch, reps, sync);
  } finally {
    tf.dispose([x, y]);
  }
}
