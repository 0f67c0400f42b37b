import assert from "node:assert/strict";
import { describe, forEachDevice, it } from "./util/devices.js";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as tf from "../src/index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const STEPS = 10_000;

forEachDevice(() => {
  describe("memory stays flat over long training loops", () => {
    it("an eager loop with a tape, 10,000 steps, inside tf.tidy", () => {
      const x = tf.constant([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const y = tf.constant([[1], [2], [3]]);
      const W = tf.tidy(() => new tf.Variable(tf.zeros([2, 1])));
      const before = tf.memory();
      let heapAt1000 = 0;
      let tensorsAt1000 = 0;
      for (let step = 1; step <= STEPS; step++) {
        tf.tidy(() => {
          const tape = new tf.GradientTape();
          const loss = tape.run(() => tf.reduceMean(tf.square(tf.subtract(tf.matmul(x, W), y))));
          const [g] = tape.gradient(loss, [W]);
          W.assignSub(tf.multiply(g!, 0.01));
        });
        if (step === 1000) {
          heapAt1000 = heapMB();
          tensorsAt1000 = tf.memory().numTensors;
        }
      }
      const after = tf.memory();
      assert.equal(after.numTensors, before.numTensors, "live tensors after the loop");
      assert.equal(tensorsAt1000, before.numTensors, "live tensors at step 1000");
      assert.equal(after.numDataBuffers, before.numDataBuffers, "live buffers");
      const growth = heapMB() - heapAt1000;
      assert.ok(growth < 8, `heap grew by ${growth.toFixed(2)} MB between step 1,000 and step 10,000`);
      const loss = tf.tidy(() => (tf.reduceMean(tf.square(tf.subtract(tf.matmul(x, W), y))) as tf.EagerTensor).item());
      assert.ok(loss < 0.05, `the loop trained (loss ${loss})`);
    });

    it("a session loop, 10,000 steps", () => {
      const g = new tf.Graph();
      g.asDefault(() => {
        const x = tf.placeholder("float32", [null, 2]);
        const y = tf.placeholder("float32", [null, 1]);
        const W = new tf.Variable(tf.zeros([2, 1]), { name: "W" });
        const loss = tf.reduceMean(tf.square(tf.subtract(tf.matmul(x, W), y)));
        const [grad] = tf.gradients(loss, [W]);
        const train = tf.group([W.assignSub(tf.multiply(grad!, 0.01))]);
        const sess = new tf.Session();
        sess.run(W.initializer);
        const xs = new Float32Array([1, 2, 3, 4, 5, 6]);
        const ys = new Float32Array([1, 2, 3]);
        const feed = new Map<tf.Tensor, Float32Array>([
          [x, xs],
          [y, ys],
        ]);
        // The first run uploads the graph's constants into the session (kept for its lifetime).
        sess.run(train, feed);
        const before = tf.memory();
        let heapAt1000 = 0;
        for (let step = 1; step <= STEPS; step++) {
          sess.run(train, feed);
          if (step === 1000) heapAt1000 = heapMB();
        }
        const after = tf.memory();
        assert.equal(after.numTensors, before.numTensors, "live tensors");
        assert.equal(after.numDataBuffers, before.numDataBuffers, "live buffers");
        const growth = heapMB() - heapAt1000;
        assert.ok(growth < 8, `heap grew by ${growth.toFixed(2)} MB between step 1,000 and step 10,000`);
        const l = sess.run(loss, feed) as tf.EagerTensor;
        assert.ok(l.item() < 0.05, `the loop trained (loss ${l.item()})`);
        sess.close();
      });
    });

    it("tf.memory counts tensors; dispose, tidy and keep release or hold them", () => {
      const start = tf.memory().numTensors;
      const a = tf.constant([1, 2, 3]);
      assert.equal(tf.memory().numTensors, start + 1);
      const kept = tf.tidy(() => {
        const b = tf.add(a, 1);
        tf.keep(tf.multiply(b, 2));
        return tf.square(b);
      });
      assert.equal(tf.memory().numTensors, start + 3);
      a.dispose();
      kept.dispose();
      assert.equal(tf.memory().numTensors, start + 1);
      assert.throws(() => a.dataSync(), tf.errors.FailedPreconditionError);
      {
        using c = tf.constant(5);
        assert.equal(c.item(), 5);
      }
      assert.equal(tf.memory().numTensors, start + 1);
    });
  });

  describe("the leak registry frees what nobody disposed", () => {
    async function collectAll(): Promise<void> {
      for (let i = 0; i < 6; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    // Each case makes its garbage inside a function so that nothing on this stack frame holds it.
    it("tensors dropped outside tf.tidy, and tensors tf.tidy returned at the outermost level", async () => {
      await collectAll();
      const before = tf.memory();
      (() => {
        for (let i = 0; i < 20; i++) tf.add(tf.ones([4]), 1);
        tf.tidy(() => tf.multiply(tf.ones([4]), 2));
        tf.tidy(() => tf.keep(tf.ones([3])));
      })();
      assert.ok(tf.memory().numTensors > before.numTensors);
      await collectAll();
      assert.equal(tf.memory().numTensors, before.numTensors);
      assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
    });

    it("a GradientTape dropped without gradient() releases what it saved; a throwing tidy's tensors too", async () => {
      await collectAll();
      const before = tf.memory();
      (() => {
        const x = tf.constant([1, 2, 3]);
        const tape = new tf.GradientTape();
        tape.watch(x);
        tape.run(() => tf.tidy(() => tf.square(tf.sin(x))));
        assert.throws(
          () =>
            tf.tidy(() => {
              tf.ones([5]);
              throw new Error("boom");
            }),
          /boom/,
        );
      })();
      await collectAll();
      assert.equal(tf.memory().numTensors, before.numTensors);
      assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
    });
  });
});

describe("the CPU buffer recycler", () => {
  it("hands back a recycled int64 buffer (a BigInt64Array) zero-filled, or as it was for an output written in full", async () => {
    const { giveValues, takeValues } = await import("../src/backends/cpu/buffer_recycler.js");
    const used = BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    giveValues("int64", used);
    const again = takeValues("int64", 7, true);
    assert.deepEqual(again, new BigInt64Array(7));
    // A size no other test frees.
    const kept = Float32Array.from({ length: 12347 }, (_, i) => i + 1);
    giveValues("float32", kept);
    assert.equal(takeValues("float32", 12347, false), kept);
    assert.equal(kept[12346], 12347);
  });
});
