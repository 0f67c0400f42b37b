import assert from "node:assert/strict";
import { describe, it } from "node:test";
// The examples import "tsflow" as a user does (the built package, dist/): npm test builds it first.
import * as seed from "../examples/seed_sessions.js";
import * as linearGraph from "../examples/linear_regression_graph.js";
import * as linearEager from "../examples/linear_regression_eager.js";
import * as logistic from "../examples/logistic_regression.js";
import * as fs from "node:fs";
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "../src/index.js";
import * as mnistKeras from "../examples/mnist_keras.js";
import * as lenetTf1 from "../examples/lenet5_tf1.js";
import * as charLstm from "../examples/char_lstm_fortunes.js";
import * as adding from "../examples/lstm_adding_problem.js";

const quiet = <T>(fn: () => T): T => {
  const log = console.log;
  console.log = () => {};
  try {
    return fn();
  } finally {
    console.log = log;
  }
};

const quietAsync = async <T>(fn: () => Promise<T>): Promise<T> => {
  const log = console.log;
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
  }
};

describe("examples", () => {
  it("seed sessions: tf.add(3, 5) is 8 and [pow_op, useless] is [15625, 10]", () => {
    const r = quiet(() => seed.run());
    assert.equal(r.sum, 8);
    assert.equal(r.printed, 'Tensor("Add:0", shape=[], dtype=float32)');
    assert.equal(r.z, 15625);
    assert.equal(r.notUseless, 10);
  });

  for (const [mode, mod] of [
    ["graph mode", linearGraph],
    ["eagerly with a tape", linearEager],
  ] as const) {
    it(`linear regression ${mode} learns W = 0.8 and b = 0.7 to two decimals`, () => {
      const r = mod.run(1000, false);
      assert.equal(Math.round(r.W * 100) / 100, 0.8, `W = ${r.W}`);
      assert.equal(Math.round(r.b * 100) / 100, 0.7, `b = ${r.b}`);
      assert.ok(r.loss < 1e-4, `loss ${r.loss}`);
    });
  }

  it("logistic regression: propagate() by hand and tf.gradients agree", () => {
    const r = logistic.run(false);
    assert.ok(Math.abs(r.hand.cost - r.tf.cost) < 1e-12, `cost ${r.hand.cost} vs ${r.tf.cost}`);
    r.hand.dw.forEach((v, i) => assert.ok(Math.abs(v - r.tf.dw[i]) < 1e-12, `dw[${i}] ${v} vs ${r.tf.dw[i]}`));
    assert.ok(Math.abs(r.hand.db - r.tf.db) < 1e-12, `db ${r.hand.db} vs ${r.tf.db}`);
    assert.ok(r.accuracy > 0.9, `accuracy ${r.accuracy}`);
  });

  // Tiny versions (a few steps on a slice of the data): that each example runs end to end and learns a little. After
  // 32 steps the batch-norm LeNet-5's test accuracy still depends on the draw (0.30-0.44 over seven runs).
  const noFashion = existsSync("/usr/share/datasets/fashion-mnist") ? false : "no Fashion-MNIST (apt-get install dataset-fashion-mnist)";
  for (const model of mnistKeras.MODELS) {
    it(`Keras ${model} on 1,024 Fashion-MNIST images for 2 epochs beats chance`, { skip: noFashion }, async () => {
      const r = await quietAsync(() => mnistKeras.train({ model, dataset: "fashion_mnist", epochs: 2, limit: 1024, verbose: 0, log: false }));
      // Twice chance (10 classes).
      assert.ok(r.testAccuracy > 0.2, `test accuracy ${r.testAccuracy}`);
      assert.ok(Number.isFinite(r.testLoss));
    });
  }

  it("the main job resumes from its latest checkpoint (weights, optimizer state, epoch) when run again; its TensorBoard logs go on", {
    skip: noFashion,
  }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsflow-main-resume-"));
    const logDir = path.join(dir, "runs", "softmax-fashion_mnist");
    /** The steps of epoch_loss in the logs' train run, over all its event files. */
    const loggedEpochs = () =>
      fs
        .readdirSync(path.join(logDir, "train"))
        .sort()
        .flatMap((f) => [...tf.summary.summaryIterator(path.join(logDir, "train", f))])
        .filter((e) => e.what.case === "summary" && e.what.value.value.some((v) => v.tag === "epoch_loss"))
        .map((e) => Number(e.step));
    try {
      const opts = { model: "softmax" as const, dataset: "fashion_mnist" as const, limit: 256, verbose: 0 as const, log: false, checkpointDir: dir, logDir };
      const first = await quietAsync(() => mnistKeras.train({ ...opts, epochs: 1 }));
      assert.equal(first.resumedEpoch, null);
      assert.deepEqual(mnistKeras.latestEpochCheckpoint(dir), { prefix: path.join(dir, "ckpt-01"), epoch: 1 });
      const lines: string[] = [];
      const log = console.log;
      console.log = (...a: unknown[]) => lines.push(a.join(" "));
      let second: Awaited<ReturnType<typeof mnistKeras.train>>;
      try {
        second = await mnistKeras.train({ ...opts, epochs: 2 });
      } finally {
        console.log = log;
      }
      assert.equal(second.resumedEpoch, 1);
      assert.ok(lines.includes(`Resuming from ${path.join(dir, "ckpt-01")} (epoch 1)`), lines.join("\n"));
      assert.equal(mnistKeras.latestEpochCheckpoint(dir)?.epoch, 2, "epoch 2 saved");
      assert.deepEqual(loggedEpochs(), [0, 1], "the resumed run's epoch follows the first run's in the logs");
      const fresh = await quietAsync(() => mnistKeras.train({ ...opts, epochs: 1, fresh: true }));
      assert.equal(fresh.resumedEpoch, null);
      assert.deepEqual(loggedEpochs(), [0], "--fresh starts the logs over");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("LeNet-5 TF1-style: batches from an initializable iterator, an epoch ends with OutOfRangeError", { skip: noFashion }, () => {
    const r = lenetTf1.run({ epochs: 2, limit: 512, batchSize: 64, log: false });
    assert.equal(r.steps, 16);
    assert.ok(Number.isFinite(r.lastLoss));
    assert.ok(r.testAccuracy > 0.15, `test accuracy ${r.testAccuracy}`);
  });

  it("char-LSTM on fortunes: a few steps, a finite perplexity and sampled text", {
    skip: existsSync(charLstm.FORTUNES_DIR) ? false : "no fortunes (apt-get install fortunes)",
  }, async () => {
    const r = await charLstm.run({
      epochs: 1,
      windowsPerEpoch: 96,
      units: 16,
      seqLen: 16,
      batchSize: 32,
      maxChars: 20000,
      validationChars: 1000,
      sampleChars: 20,
      log: false,
    });
    assert.ok(Number.isFinite(r.validationPerplexity) && r.validationPerplexity < r.vocab, `perplexity ${r.validationPerplexity} (vocabulary ${r.vocab})`);
    assert.ok(r.unigramPerplexity > 5 && r.unigramPerplexity < r.vocab, `unigram ${r.unigramPerplexity}`);
    assert.equal(r.sample.length, "The ".length + 20);
  });

  it("LSTM adding problem: a short run gives a finite test error and the 1/6 baseline", async () => {
    const r = await adding.run({ length: 10, epochs: 1, trainSize: 256, units: 8, batchSize: 64, log: false });
    assert.ok(Number.isFinite(r.testMse), `test MSE ${r.testMse}`);
    assert.ok(Math.abs(r.baselineMse - 1 / 6) < 0.03, `baseline ${r.baselineMse}`);
  });
});
