/**
 * compile/fit/evaluate/predict, the callbacks, the progress bar and the bad-input errors, on tiny models
 * (stand-in layers, loss functions and optimizer from test/util/keras_stand_ins.ts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";
import { execute } from "../src/ops/dispatch.js";
import { mse, sparseAccuracy, sparseCategoricalCrossentropy, TinyDense, TinySGD } from "./util/keras_stand_ins.js";

/** y = 2x + 1 on 32 points. */
function line(): [tf.Tensor, tf.Tensor] {
  const xs = Array.from({ length: 32 }, (_, i) => [i / 16 - 1]);
  return [tf.constant(xs), tf.constant(xs.map(([x]) => [2 * x + 1]))];
}
function regression(lr = 0.1): tf.keras.Sequential {
  const model = new tf.keras.Sequential([new TinyDense(1, { inputShape: [1] })]);
  model.compile({ optimizer: new TinySGD(lr), loss: mse });
  return model;
}
/** Three classes from two features: class = index of the largest of (x0, x1, 0.5). */
function blobs(n = 48): [number[][], number[]] {
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = ((i * 37) % 23) / 23;
    const b = ((i * 53) % 29) / 29;
    xs.push([a, b]);
    ys.push(a > b ? (a > 0.5 ? 0 : 2) : b > 0.5 ? 1 : 2);
  }
  return [xs, ys];
}
function classifier(): tf.keras.Sequential {
  const model = new tf.keras.Sequential([new TinyDense(8, { inputShape: [2], activation: "relu" }), new TinyDense(3, { activation: "softmax" })]);
  model.compile({ optimizer: new TinySGD(0.5), loss: sparseCategoricalCrossentropy, metrics: [sparseAccuracy] });
  return model;
}
/** Runs fn with stdout captured (and isTTY as given); synchronous, so that the test runner's own output is not caught. */
function captured(isTTY: boolean, fn: () => unknown): string {
  const out = process.stdout as unknown as { write: (s: string) => boolean; isTTY?: boolean };
  const write = out.write;
  const tty = out.isTTY;
  let text = "";
  out.write = (s: string) => {
    text += s;
    return true;
  };
  out.isTTY = isTTY;
  try {
    fn();
  } finally {
    out.write = write;
    out.isTTY = tty;
  }
  return text;
}

describe("fit", () => {
  it("trains, resolves to a History with a loss per epoch, and has a sync twin", async () => {
    const [x, y] = line();
    const model = regression();
    const history = await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0 });
    assert.ok(history instanceof tf.keras.callbacks.History);
    assert.deepEqual(history.epoch, [0, 1, 2, 3, 4]);
    const losses = history.history.loss;
    assert.equal(losses.length, 5);
    assert.ok(losses[4] < losses[0] / 4, `loss falls: ${losses}`);
    const sync = model.fitSync(x.arraySync() as number[][], y.arraySync() as number[][], { epochs: 2, verbose: 0 });
    assert.ok(sync.history.loss[1] < losses[0]);
    assert.deepEqual(model.metricsNames, ["loss"]);
  });

  it("the traced train step (one tf.function graph) gives the eager step's weights", async () => {
    const [x, y] = line();
    let initial: tf.Tensor[] | null = null;
    const weights = (runEagerly: boolean) => {
      const model = new tf.keras.Sequential([new TinyDense(3, { inputShape: [1], activation: "relu" }), new TinyDense(1)]);
      if (initial) model.setWeights(initial);
      else initial = model.getWeights();
      model.compile({ optimizer: new TinySGD(0.05), loss: mse, runEagerly });
      model.fitSync(x, y, { epochs: 2, batchSize: 10, shuffle: false, verbose: 0 });
      return model.getWeights().map((w) => Array.from(w.dataSync() as Float32Array));
    };
    const eager = weights(true);
    const traced = weights(false);
    traced.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - eager[i][j]) < 1e-5, `${v} vs ${eager[i][j]}`)));
  });

  it("validationSplit, metrics, evaluate, predict and the single-batch methods", async () => {
    const [xs, ys] = blobs();
    const model = classifier();
    const h = await model.fit(xs, ys, { epochs: 30, batchSize: 8, validationSplit: 0.25, verbose: 0 });
    assert.deepEqual(Object.keys(h.history).sort(), ["loss", "sparse_accuracy", "val_loss", "val_sparse_accuracy"]);
    assert.ok(h.history.sparse_accuracy[29] > 0.7, `accuracy ${h.history.sparse_accuracy[29]}`);
    const [loss, acc] = model.evaluate(xs, ys, { verbose: 0 }) as number[];
    assert.ok(loss < h.history.loss[0] && acc > 0.7);
    const dict = model.evaluate(xs, ys, { verbose: 0, returnDict: true }) as Record<string, number>;
    assert.ok(Math.abs(dict.loss - loss) < 1e-5);
    const p = model.predict(xs, { batchSize: 10, verbose: 0 }) as tf.Tensor;
    assert.deepEqual(p.shape, [48, 3]);
    const [bl, ba] = model.testOnBatch(xs, ys) as number[];
    assert.ok(Math.abs(bl - loss) < 1e-4 && Math.abs(ba - acc) < 1e-6);
    assert.deepEqual((model.predictOnBatch(xs.slice(0, 2)) as tf.Tensor).shape, [2, 3]);
    const before = model.trainOnBatch(xs, ys) as number[];
    const after = model.trainOnBatch(xs, ys) as number[];
    assert.ok(after[0] < before[0]);
  });

  it("initialEpoch, validationFreq, stepsPerEpoch", () => {
    const [x, y] = line();
    const h = regression().fitSync(x, y, { epochs: 5, initialEpoch: 2, batchSize: 8, verbose: 0, validationData: [x, y], validationFreq: 2 });
    assert.deepEqual(h.epoch, [2, 3, 4]);
    assert.equal(h.history.val_loss.length, 1, "validated after epoch 4 (the second of every two, counted from 1) only");
    const steps: number[] = [];
    const count = new tf.keras.callbacks.LambdaCallback({ onBatchEnd: (b) => steps.push(b) });
    regression().fitSync(x, y, { epochs: 2, batchSize: 8, stepsPerEpoch: 3, verbose: 0, callbacks: [count] });
    assert.deepEqual(steps, [0, 1, 2, 0, 1, 2]);
  });

  it("sample weights and class weights weight the loss", () => {
    const [x, y] = line();
    const model = regression();
    const w0 = model.getWeights();
    model.fitSync(x, y, { epochs: 1, batchSize: 8, verbose: 0, sampleWeight: tf.zeros([32]) });
    model.getWeights().forEach((w, i) => assert.deepEqual(w.arraySync(), w0[i].arraySync(), "zero weights: no update"));
    const [xs, ys] = blobs();
    const c = classifier();
    const weighted = c.evaluate(xs, ys, { verbose: 0 }) as number[];
    c.fitSync(xs, ys, { epochs: 1, verbose: 0, classWeight: { 0: 0, 1: 0, 2: 0 } });
    assert.deepEqual(c.evaluate(xs, ys, { verbose: 0 }), weighted, "all class weights zero: no update");
  });

  it("several outputs: per-output losses by name, lossWeights, metricsNames", async () => {
    const inp = tf.keras.Input([1]);
    const a = new TinyDense(1, { name: "a" })(inp);
    const b = new TinyDense(1, { name: "b" })(inp);
    const model = new tf.keras.Model({ inputs: inp, outputs: [a, b] });
    model.compile({ optimizer: new TinySGD(0.1), loss: { a: mse, b: mse }, lossWeights: { a: 1, b: 0.5 } });
    const [x, y] = line();
    const h = await model.fit(x, { a: y, b: tf.multiply(y, -1) }, { epochs: 3, verbose: 0 });
    assert.deepEqual(model.metricsNames, ["loss", "a_loss", "b_loss"]);
    const last = (k: string) => h.history[k][2];
    assert.ok(Math.abs(last("loss") - (last("a_loss") + 0.5 * last("b_loss"))) < 1e-3);
  });

  it("a subclassed model trains", async () => {
    class Net extends tf.keras.Model {
      d = new TinyDense(1);
      override call(x: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
        return this.d(x as tf.Tensor);
      }
    }
    const net = new Net();
    net.compile({ optimizer: new TinySGD(0.1), loss: mse });
    const [x, y] = line();
    const h = await net.fit(x, y, { epochs: 4, verbose: 0 });
    assert.ok(h.history.loss[3] < h.history.loss[0]);
  });

  it("takes an iterable dataset of [x, y] batches, with stepsPerEpoch", async () => {
    const [x, y] = line();
    const batches = [0, 8, 16, 24].map((s) => [tf.slice(x, [s, 0], [8, 1]), tf.slice(y, [s, 0], [8, 1])]);
    const dataset = { [Symbol.iterator]: () => batches[Symbol.iterator]() };
    const model = regression();
    const h = await model.fit(dataset, { epochs: 3, verbose: 0 });
    assert.equal(h.history.loss.length, 3);
    const asyncOnly = {
      async *[Symbol.asyncIterator]() {
        yield* batches;
      },
    };
    const h2 = await model.fit(asyncOnly, { epochs: 2, verbose: 0, validationData: dataset });
    assert.ok("val_loss" in h2.history);
    assert.throws(() => model.fitSync(asyncOnly, { verbose: 0 }), /only be iterated asynchronously/);
  });
});

describe("fit with the built-in layers", () => {
  it("a small convolutional network (Conv2D, MaxPooling2D, Flatten, Dropout, Dense) trains in one traced step", async () => {
    const L = tf.keras.layers;
    const model = new tf.keras.Sequential([
      new L.Conv2D(2, 3, { activation: "relu", inputShape: [6, 6, 1] }),
      new L.MaxPooling2D(2),
      new L.Flatten(),
      new L.Dropout(0.2),
      new L.Dense(3, { activation: "softmax" }),
    ]);
    assert.deepEqual(model.outputs[0].shape, [null, 3]);
    model.compile({ optimizer: new tf.train.AdamOptimizer(0.05), loss: sparseCategoricalCrossentropy, metrics: [sparseAccuracy] });
    const x = tf.randomUniform([24, 6, 6, 1]);
    const y = tf.constant(Array.from({ length: 24 }, (_, i) => i % 3));
    const h = await model.fit(x, y, { epochs: 8, batchSize: 8, verbose: 0 });
    assert.ok(h.history.loss[7] < h.history.loss[0], `${h.history.loss}`);
    const [loss] = model.evaluate(x, y, { verbose: 0 }) as number[];
    assert.ok(Number.isFinite(loss));
  });
});

describe("shuffled in-memory batches", () => {
  it("leaves no tensor behind: fit (validationSplit, datasets), evaluate, predict and the *OnBatch calls release what they made", async () => {
    const model = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { inputShape: [3] })]);
    model.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.1 }), loss: "mse" });
    const x = tf.randomNormal([40, 3]);
    const y = tf.randomNormal([40, 1]);
    const ds = tf.data.Dataset.fromTensorSlices([x, y]).batch(8);
    const all = async () => {
      await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
      // In order (one order table kept across epochs), and with a last, smaller batch (the next epoch's table made ahead).
      await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
      await model.fit(x, y, { epochs: 3, batchSize: 6, verbose: 0 });
      await model.fit(x, y, { epochs: 1, batchSize: 4, validationSplit: 0.2, verbose: 0 });
      await model.fit(ds, { epochs: 1, verbose: 0 });
      model.evaluate(x, y, { batchSize: 4, verbose: 0 });
      model.evaluate(ds, { verbose: 0 });
      tf.dispose(model.predict(x, { batchSize: 4, verbose: 0 }));
      tf.dispose(model.predict(ds, { verbose: 0 }));
      model.trainOnBatch(x, y);
      model.testOnBatch(x, y);
    };
    await all();
    const before = tf.memory().numTensors;
    await all();
    await all();
    // Not growing (the collector may meanwhile free what the first round's model building left to it).
    assert.ok(tf.memory().numTensors <= before, `${tf.memory().numTensors} live tensors after two more rounds, ${before} before`);
  });
  it("every row is trained on exactly once per epoch, whatever the order (rows gathered inside the traced step)", async () => {
    // Row i is the one-hot e_i, so SGD on MSE with no bias moves only weight i, by the same factor in any batch
    // of 4: after each epoch every weight has been scaled by (1 - lr * 2/4) exactly once.
    const n = 12;
    const model = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { useBias: false, kernelInitializer: "ones", inputShape: [n] })]);
    model.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.5 }), loss: "mse" });
    const x = tf.eye(n);
    const y = tf.zeros([n, 1]);
    for (let epoch = 1; epoch <= 3; epoch++) {
      await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: true, verbose: 0 });
      const w = Array.from(model.getWeights()[0].dataSync() as Float32Array);
      for (const v of w) assert.ok(Math.abs(v - 0.75 ** epoch) < 1e-6, `epoch ${epoch}: ${w}`);
    }
    // Stopping mid-epoch (stepsPerEpoch) and resuming elsewhere in the order keeps the rows right.
    await model.fit(x, y, { epochs: 3, batchSize: 4, stepsPerEpoch: 2, shuffle: true, verbose: 0 });
    const w = Array.from(model.getWeights()[0].dataSync() as Float32Array);
    for (const v of w) assert.ok(Math.abs(v - 0.75 ** 5) < 1e-6, `after 6 more batches of 4: ${w}`);
    // Sample weights follow their rows: rows weighted 0 never move.
    const weighted = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { useBias: false, kernelInitializer: "ones", inputShape: [n] })]);
    weighted.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.5 }), loss: "mse" });
    const sw = tf.constant(Array.from({ length: n }, (_, i) => i % 2));
    await weighted.fit(x, y, { epochs: 1, batchSize: 4, shuffle: true, sampleWeight: sw, verbose: 0 });
    const ws = Array.from(weighted.getWeights()[0].dataSync() as Float32Array);
    ws.forEach((v, i) => assert.ok(Math.abs(v - (i % 2 ? 0.75 : 1)) < 1e-6, `row ${i}: ${ws}`));
  });

  it("the rows of arrays of different dtypes and row sizes stay together (uint8 x, int32 y, float32 sample weights)", async () => {
    // y_i is the sum of x_i's entries, so a model summing its inputs has loss 0 exactly when each batch's rows match.
    const n = 24;
    const xs = new Uint8Array(n * 3);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      xs.set([i, 2 * i, 7], i * 3);
      ys[i] = 3 * i + 7;
    }
    const model = new tf.keras.Sequential([
      new tf.keras.layers.Lambda((t) => tf.cast(t as tf.Tensor, "float32"), { inputShape: [3] }),
      new tf.keras.layers.Dense(1, { useBias: false, kernelInitializer: "ones" }),
    ]);
    model.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0 }), loss: "mse" });
    const x = tf.constant(xs, "uint8", [n, 3]);
    const y = tf.constant(ys, "int32", [n, 1]);
    const h = await model.fit(x, y, { epochs: 3, batchSize: 5, shuffle: true, sampleWeight: tf.ones([n]), verbose: 0 });
    assert.deepEqual(h.history.loss, [0, 0, 0]);
    // The same data off by one row gives a loss: the check can fail.
    const shifted = tf.constant(
      Int32Array.from(ys, (_, i) => ys[(i + 1) % n]),
      "int32",
      [n, 1],
    );
    const h2 = await model.fit(x, shifted, { epochs: 1, batchSize: 5, shuffle: true, verbose: 0 });
    assert.ok((h2.history.loss[0] as number) > 1);
  });
});

describe("shuffle order", () => {
  it("after tf.setRandomSeed the shuffled batches come in the same order, so two fits give the same weights", async () => {
    const fitWeights = async (shuffle: boolean) => {
      tf.setRandomSeed(7);
      const model = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { kernelInitializer: "ones", inputShape: [2] })]);
      model.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0.1 }), loss: "mse" });
      const x = tf.constant(
        Array.from({ length: 40 }, (_, i) => Math.cos(i)),
        "float32",
        [20, 2],
      );
      const y = tf.constant(
        Array.from({ length: 20 }, (_, i) => Math.sin(i)),
        "float32",
        [20, 1],
      );
      await model.fit(x, y, { epochs: 3, batchSize: 4, shuffle, verbose: 0 });
      return model.getWeights().map((w) => Array.from(w.dataSync() as Float32Array));
    };
    const a = await fitWeights(true);
    assert.deepEqual(await fitWeights(true), a);
    // SGD on batches of 4 depends on their order: an unshuffled fit ends elsewhere.
    assert.notDeepEqual(await fitWeights(false), a);
  });
});

describe("in-order in-memory batches", () => {
  it("shuffle: false trains the batches in order, every epoch (rows gathered inside the traced step)", async () => {
    // Weights fixed (learning rate 0): a batch's loss is the mean of its rows' own, and the logged loss after
    // batch k is the running mean over the rows so far, which tells the order the rows came in.
    const n = 10;
    const model = new tf.keras.Sequential([new tf.keras.layers.Dense(1, { useBias: false, kernelInitializer: "zeros", inputShape: [1] })]);
    model.compile({ optimizer: new tf.keras.optimizers.SGD({ learningRate: 0 }), loss: "mse" });
    const y = Array.from({ length: n }, (_, i) => i + 1);
    const logged: number[] = [];
    const cb = new tf.keras.callbacks.LambdaCallback({ onBatchEnd: (_b, logs) => logged.push(logs!.loss as number) });
    await model.fit(tf.zeros([n, 1]), tf.constant(y, "float32", [n, 1]), { epochs: 2, batchSize: 3, shuffle: false, verbose: 0, callbacks: [cb] });
    // Batches of rows 0-2, 3-5, 6-8 and 9; the loss of row i is (i + 1)^2.
    const running = [3, 6, 9, 10].map((end) => y.slice(0, end).reduce((a, v) => a + v * v, 0) / end);
    assert.equal(logged.length, 8);
    logged.forEach((l, k) => assert.ok(Math.abs(l - running[k % 4]) < 1e-4, `batch ${k}: ${l} vs ${running[k % 4]}`));
  });
});

describe("fit on a tf.data.Dataset", () => {
  it("takes batches of [x, y] from fromTensorSlices(...).shuffle(...).batch(...), with validation data", async () => {
    const [x, y] = line();
    const ds = tf.data.Dataset.fromTensorSlices([x, y]).shuffle(32).batch(8);
    const model = regression();
    const h = await model.fit(ds, { epochs: 3, verbose: 0, validationData: tf.data.Dataset.fromTensorSlices([x, y]).batch(16) });
    assert.equal(h.history.loss.length, 3);
    assert.ok(h.history.val_loss[2] < h.history.val_loss[0]);
    assert.deepEqual((model.predict(tf.data.Dataset.fromTensorSlices(x).batch(10), { verbose: 0 }) as tf.Tensor).shape, [32, 1]);
  });
});

describe("bad input", () => {
  it("x and y of different lengths", async () => {
    const model = regression();
    await assert.rejects(model.fit(tf.zeros([10, 1]), tf.zeros([9, 1]), { verbose: 0 }), (e: Error) => {
      assert.ok(e instanceof tf.errors.InvalidArgumentError);
      assert.match(e.message, /Data cardinality is ambiguous:\n {2}x sizes: 10\n {2}y sizes: 9\nMake sure all arrays contain the same number of samples./);
      return true;
    });
  });

  it("an input shape the model does not accept names the model, the expected and the received shape", async () => {
    const model = regression();
    await assert.rejects(
      model.fit(tf.zeros([4, 3]), tf.zeros([4, 1]), { verbose: 0 }),
      /Input 0 of layer "sequential(_\d+)?" is incompatible with the layer: expected shape=\(None, 1\), found shape=\(4, 3\)/,
    );
    assert.throws(() => model.predict(tf.zeros([2, 5]), { verbose: 0 }), tf.errors.InvalidArgumentError);
  });

  it("labels outside the number of classes", async () => {
    const [xs, ys] = blobs(8);
    ys[3] = 3;
    await assert.rejects(classifier().fit(xs, ys, { verbose: 0 }), /Received a label value of 3 which is outside the valid range of \[0, 3\)/);
  });

  it("fit before compile, and unknown option names", async () => {
    const model = new tf.keras.Sequential([new TinyDense(1, { inputShape: [1] })]);
    await assert.rejects(model.fit(tf.zeros([2, 1]), tf.zeros([2, 1])), /You must compile your model before training/);
    await assert.rejects(regression().fit(tf.zeros([2, 1]), tf.zeros([2, 1]), { epoch: 2 } as never), /unexpected argument "epoch"/);
  });

  it("TerminateOnNaN stops at a NaN loss and keeps the weights of the last finite step", async () => {
    const [x] = line();
    const y = tf.concat([tf.ones([24, 1]), tf.fill([8, 1], Number.NaN)], 0);
    const model = regression();
    const seen: tf.Tensor[][] = [];
    const keep = new tf.keras.callbacks.LambdaCallback({ onBatchEnd: () => seen.push(model.getWeights()) });
    const log = console.log;
    const lines: string[] = [];
    console.log = (s: string) => lines.push(s);
    let h: tf.keras.callbacks.History;
    try {
      h = await model.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0, callbacks: [new tf.keras.callbacks.TerminateOnNaN(), keep] });
    } finally {
      console.log = log;
    }
    assert.deepEqual(lines, ["Batch 3: Invalid loss, terminating training"]);
    assert.equal(h.epoch.length, 1);
    const finite = seen[2];
    model.getWeights().forEach((w, i) => assert.deepEqual(w.arraySync(), finite[i].arraySync()));
  });

  it("a fit that fails keeps the weights of its last finished step", async () => {
    const [x, y] = line();
    const good = [0, 8].map((s) => [tf.slice(x, [s, 0], [8, 1]), tf.slice(y, [s, 0], [8, 1])]);
    const bad = [tf.zeros([8, 1]), tf.zeros([8, 2, 2])];
    const model = regression();
    const after: tf.Tensor[][] = [];
    const keep = new tf.keras.callbacks.LambdaCallback({ onBatchEnd: () => after.push(model.getWeights()) });
    const all = [...good, bad];
    await assert.rejects(model.fit({ [Symbol.iterator]: () => all[Symbol.iterator]() }, { verbose: 0, callbacks: [keep] }), tf.errors.InvalidArgumentError);
    assert.equal(after.length, 2);
    model.getWeights().forEach((w, i) => assert.deepEqual(w.arraySync(), after[1][i].arraySync()));
  });
});

describe("callbacks", () => {
  it("EarlyStopping with restoreBestWeights", async () => {
    const [x, y] = line();
    const model = regression(3); // too large a step: the loss grows from the first epoch
    const first: tf.Tensor[][] = [];
    const stop = new tf.keras.callbacks.EarlyStopping({ monitor: "loss", patience: 2, restoreBestWeights: true });
    const record = new tf.keras.callbacks.LambdaCallback({ onEpochEnd: (e) => e === 0 && first.push(model.getWeights()) });
    const h = await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0, callbacks: [record, stop] });
    assert.equal(h.epoch.length, 3);
    assert.equal(stop.stoppedEpoch, 2);
    model.getWeights().forEach((w, i) => assert.deepEqual(w.arraySync(), first[0][i].arraySync()));
  });

  it("ReduceLROnPlateau and LearningRateScheduler set the optimizer's learning rate", async () => {
    const [x, y] = line();
    const model = regression(3);
    const h = await model.fit(x, y, {
      epochs: 3,
      batchSize: 32,
      verbose: 0,
      callbacks: [new tf.keras.callbacks.ReduceLROnPlateau({ monitor: "loss", patience: 1, factor: 0.5 })],
    });
    // As Keras: the rate in epoch e's logs is the one that epoch ran with.
    assert.deepEqual(h.history.lr, [3, 3, 1.5]);
    const opt = model.optimizer as TinySGD;
    await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new tf.keras.callbacks.LearningRateScheduler((epoch) => 0.01 * (epoch + 1))] });
    assert.equal(opt.learningRate, 0.02);
    assert.throws(() => new tf.keras.callbacks.ReduceLROnPlateau({ factor: 1 }), /does not support a factor >= 1.0/);
  });

  it("CSVLogger writes one row per epoch; LambdaCallback and custom callbacks see every hook", async () => {
    const [x, y] = line();
    const file = join(mkdtempSync(join(tmpdir(), "tsflow-")), "log.csv");
    const calls: string[] = [];
    class Recorder extends tf.keras.callbacks.Callback {
      override onTrainBegin() {
        calls.push("trainBegin");
      }
      override onEpochBegin(e: number) {
        calls.push(`epochBegin ${e}`);
      }
      override onTrainBatchEnd(b: number, logs?: Record<string, number>) {
        calls.push(`batchEnd ${b} ${typeof logs?.loss}`);
      }
      override onTrainEnd() {
        calls.push("trainEnd");
      }
    }
    await regression().fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [new tf.keras.callbacks.CSVLogger(file), new Recorder()] });
    const rows = readFileSync(file, "utf8").trim().split("\n");
    assert.equal(rows[0], "epoch,loss");
    assert.equal(rows.length, 3);
    assert.match(rows[2], /^1,\d/);
    assert.deepEqual(calls, [
      "trainBegin",
      "epochBegin 0",
      "batchEnd 0 number",
      "batchEnd 1 number",
      "epochBegin 1",
      "batchEnd 0 number",
      "batchEnd 1 number",
      "trainEnd",
    ]);
  });
});

describe("the progress bar", () => {
  it("verbose 1 without a terminal: Epoch n/N and one bar line per epoch", () => {
    const [x, y] = line();
    const text = captured(false, () => regression().fitSync(x, y, { epochs: 2, batchSize: 8 }));
    const lines = text.split("\n");
    assert.equal(lines[0], "Epoch 1/2");
    assert.match(lines[1], /^4\/4 \[==============================\] - \d+s \d+(ms|us|s)\/step - loss: \d\.\d{4}(e-\d\d)?$/);
    assert.equal(lines[2], "Epoch 2/2");
    assert.equal(lines.length, 5);
  });

  it("verbose 1 on a terminal redraws the line and ends with the final bar", () => {
    const [x, y] = line();
    const text = captured(true, () => regression().fitSync(x, y, { epochs: 1, batchSize: 8, verbose: 1 }));
    assert.ok(text.startsWith("Epoch 1/1\n"));
    assert.match(text, /\r4\/4 \[==============================\] - \d+s \d+(ms|us|s)\/step - loss: [\d.e-]+ *\n$/);
  });

  it("verbose 2: one line per epoch with time per step; verbose 0: nothing", () => {
    const [x, y] = line();
    const text = captured(true, () => regression().fitSync(x, y, { epochs: 1, batchSize: 8, verbose: 2 }));
    assert.match(text, /^Epoch 1\/1\n4\/4 - \d+s - \d+(ms|us|s)\/step - loss: [\d.e-]+\n$/);
    assert.equal(
      captured(true, () => regression().fitSync(x, y, { epochs: 1, verbose: 0 })),
      "",
    );
  });
});

describe("GatherTableRow (fit's batch op) on bad input", () => {
  // On the CPU: a GPU gives zeros for an index out of range, as TensorFlow's GPU gathers do.
  it("a row or a table entry out of range, and a table that is not 2-D, are InvalidArgumentErrors naming the op", () =>
    tf.device("/CPU:0", () => {
      const x = tf.constant([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const table = tf.constant(
        [
          [0, 2],
          [1, 3],
        ],
        "int32",
      );
      const rows = (t: tf.Tensor, r: number) => execute("GatherTableRow", [t, tf.constant(r, "int32"), x], { Tparams: ["float32"] });
      assert.deepEqual(Array.from(rows(table, 0)[0].dataSync() as Float32Array), [1, 2, 5, 6]);
      assert.throws(
        () => rows(table, 2),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /GatherTableRow: row 2 is not in \[0, 2\)/.test(e.message),
      );
      assert.throws(
        () => rows(table, 1),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /table\[1, 1\] = 3 is not in \[0, 3\)/.test(e.message),
      );
      assert.throws(
        () => rows(tf.constant([0, 1], "int32"), 0),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /must be 2-D/.test(e.message),
      );
    }));
});
