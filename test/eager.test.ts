import assert from "node:assert/strict";
import { describe, forEachDevice, it } from "./util/devices.js";
import * as tf from "../src/index.js";

const e = (t: tf.Tensor) => t as tf.EagerTensor;

forEachDevice(() => {
  describe("tensors", () => {
    it("are made from numbers, booleans, strings, nested arrays and typed arrays", () => {
      assert.equal(e(tf.constant(3)).dtype, "float32");
      assert.equal(e(tf.constant(true)).dtype, "bool");
      assert.equal(e(tf.constant("hi")).arraySync(), "hi");
      assert.deepEqual(
        e(
          tf.constant([
            [1, 2],
            [3, 4],
          ]),
        ).shape,
        [2, 2],
      );
      assert.equal(e(tf.constant(new Int32Array([1, 2]))).dtype, "int32");
      assert.equal(e(tf.constant(new Float64Array([1, 2]))).dtype, "float64");
      assert.equal(e(tf.constant(new Uint8Array([1, 2]))).dtype, "uint8");
      assert.deepEqual(e(tf.constant([true, false])).arraySync(), [true, false]);
      assert.deepEqual(e(tf.constant(["a", "b"])).arraySync(), ["a", "b"]);
      assert.deepEqual(e(tf.constant(7, { shape: [2, 2] })).arraySync(), [
        [7, 7],
        [7, 7],
      ]);
      assert.deepEqual(e(tf.constant([1, 2, 3, 4], "int32", [2, 2])).arraySync(), [
        [1, 2],
        [3, 4],
      ]);
      assert.throws(() => tf.constant([[1, 2], [3]]), /ragged/);
      assert.throws(() => tf.constant(1, { dtype: "complex" as tf.DType }), /unknown dtype/);
    });

    it("support float32, float64, int32, int64, uint8, bool and string", () => {
      for (const dtype of ["float32", "float64", "int32", "int64", "uint8", "bool"] as const) {
        const t = e(tf.constant([1, 0], { dtype }));
        assert.equal(t.dtype, dtype);
        assert.equal(t.dataSync().length, 2);
      }
      assert.equal(tf.float32, "float32");
      assert.equal(tf.int64, "int64");
    });

    it("keep int64 values exact", () => {
      const big = tf.constant([9007199254740993n], { dtype: "int64" });
      assert.deepEqual(Array.from(e(tf.add(big, 1)).dataSync() as BigInt64Array), [9007199254740994n]);
      assert.deepEqual(Array.from(e(tf.multiply(big, 2)).dataSync() as BigInt64Array), [18014398509481986n]);
    });

    it("broadcast as NumPy and TensorFlow do", () => {
      const a = tf.constant([[1], [2], [3]]);
      const b = tf.constant([10, 20]);
      assert.deepEqual(e(tf.add(a, b)).arraySync(), [
        [11, 21],
        [12, 22],
        [13, 23],
      ]);
      assert.throws(
        () => tf.add(tf.constant([1, 2, 3]), tf.constant([1, 2])),
        (err: Error) => err instanceof tf.errors.InvalidArgumentError && err.message === "Incompatible shapes: [3] vs. [2] [Op:AddV2]",
      );
    });

    it("never promote between dtypes; JS values take the dtype of the tensor they meet", () => {
      const i = tf.constant([1, 2], { dtype: "int32" });
      assert.equal(e(tf.add(i, 3)).dtype, "int32");
      assert.equal(e(tf.add(2.5, tf.constant([1], { dtype: "float64" }))).dtype, "float64");
      assert.throws(
        () => tf.add(i, tf.constant([1.5, 2])),
        (err: Error) =>
          err instanceof tf.errors.InvalidArgumentError &&
          /cannot compute AddV2 as input #1\(zero-based\) was expected to be a int32 tensor but is a float tensor/.test(err.message),
      );
    });

    it("cast, reshape with -1, and report static shapes", () => {
      assert.deepEqual(e(tf.cast(tf.constant([1.7, -1.7]), "int32")).arraySync(), [1, -1]);
      assert.deepEqual(e(tf.reshape(tf.constant([1, 2, 3, 4, 5, 6]), [-1, 3])).shape, [2, 3]);
      assert.throws(() => tf.reshape(tf.constant([1, 2, 3]), [2, -1]), /reshape/);
      assert.deepEqual(e(tf.shape(tf.zeros([4, 5]))).arraySync(), [4, 5]);
    });

    it("print in TensorFlow's style", () => {
      assert.equal(tf.constant(8).toString(), "tf.Tensor(8.0, shape=[], dtype=float32)");
      assert.equal(
        tf
          .constant(
            [
              [1, 2],
              [3, 4],
            ],
            { dtype: "int32" },
          )
          .toString(),
        "tf.Tensor([[1 2]\n [3 4]], shape=[2, 2], dtype=int32)",
      );
      assert.equal(tf.constant([true]).toString(), "tf.Tensor([True], shape=[1], dtype=bool)");
    });

    it("have methods for every elementwise op and common reductions", () => {
      const x = tf.constant([1, 2, 3]);
      assert.deepEqual(e(x.add(1).mul(2).sub(1)).arraySync(), [3, 5, 7]);
      assert.equal(e(x.square().sum()).item(), 14);
      assert.equal(e(x.mean()).item(), 2);
    });

    it("give their values asynchronously too", async () => {
      const x = e(tf.constant([[1, 2]]));
      assert.deepEqual(await x.array(), [[1, 2]]);
      assert.deepEqual(Array.from((await x.data()) as Float32Array), [1, 2]);
    });

    it("tf.add(3, 5) is 8", () => {
      assert.equal(e(tf.add(3, 5)).item(), 8);
    });
  });

  describe("eager variables", () => {
    it("assign, assignAdd and assignSub in place", () => {
      const v = new tf.Variable([1, 2], { name: "v" });
      assert.equal(v.name, "v:0");
      v.assign([3, 4]);
      v.assignAdd([1, 1]);
      v.assignSub([2, 2]);
      assert.deepEqual(v.numpy(), [2, 3]);
      assert.throws(() => v.assign([1, 2, 3]), /Cannot assign value of shape \[3\] to variable v:0 of shape \[2\]/);
      assert.deepEqual(v.numpy(), [2, 3]);
      assert.throws(() => v.assign(tf.constant([1, 2], { dtype: "int32" })), /dtype int32/);
    });

    it("are named inside name scopes", () => {
      const v = tf.nameScope("outer", () => new tf.Variable(1.0, { name: "w" }));
      assert.equal(v.name, "outer/w:0");
    });

    it("print their value", () => {
      assert.equal(new tf.Variable([1.5], { name: "p" }).toString(), "<tf.Variable 'p:0' shape=(1,) dtype=float32, numpy=[1.5]>");
    });
  });

  describe("GradientTape", () => {
    it("differentiates with respect to watched tensors and trainable variables", () => {
      const x = tf.constant(3.0);
      const v = new tf.Variable(2.0);
      const frozen = new tf.Variable(5.0, { trainable: false });
      const tape = new tf.GradientTape();
      const y = tape.run(() => {
        tape.watch(x);
        return tf.add(tf.multiply(tf.multiply(x, x), v), frozen);
      });
      const [dx, dv, df] = tape.gradient(y, [x, v, frozen]);
      assert.equal(e(dx!).item(), 12);
      assert.equal(e(dv!).item(), 9);
      assert.equal(df, null);
      assert.deepEqual(tape.watchedVariables(), [v]);
    });

    it("is single-use unless persistent", () => {
      const x = tf.constant(2.0);
      const tape = new tf.GradientTape();
      const y = tape.run(() => {
        tape.watch(x);
        return tf.square(x);
      });
      tape.gradient(y, x);
      assert.throws(() => tape.gradient(y, x), /non-persistent GradientTape/);
      const p = new tf.GradientTape({ persistent: true });
      const [y2, y3] = p.run(() => {
        p.watch(x);
        return [tf.square(x), tf.multiply(tf.square(x), x)];
      });
      assert.equal(e(p.gradient(y2, x)!).item(), 4);
      assert.equal(e(p.gradient(y3, x)!).item(), 12);
      p.dispose();
    });

    it("nests for second derivatives", () => {
      const x = tf.constant(3.0);
      const outer = new tf.GradientTape();
      const inner = new tf.GradientTape();
      const dy = outer.run(() => {
        outer.watch(x);
        const y = inner.run(() => {
          inner.watch(x);
          return tf.multiply(tf.multiply(x, x), x);
        });
        return inner.gradient(y, x)!;
      });
      assert.equal(e(dy).item(), 27);
      assert.equal(e(outer.gradient(dy, x)!).item(), 18);
    });

    it("gives null, or zeros, for unconnected sources, and honours outputGradients", () => {
      const x = tf.constant([1.0, 2.0]);
      const z = tf.constant(1.0);
      const tape = new tf.GradientTape({ persistent: true });
      const y = tape.run(() => {
        tape.watch([x, z]);
        return tf.multiply(x, 3);
      });
      assert.equal(tape.gradient(y, z), null);
      assert.equal(e(tape.gradient(y, z, null, "zero")!).item(), 0);
      assert.deepEqual(e(tape.gradient(y, x, tf.constant([1.0, 10.0]))!).arraySync(), [3, 30]);
    });

    it("does not record inside stopRecording, nor through stopGradient", () => {
      const x = tf.constant(2.0);
      const tape = new tf.GradientTape({ persistent: true });
      const [a, b] = tape.run(() => {
        tape.watch(x);
        const a = tape.stopRecording(() => tf.square(x));
        return [tf.add(a, x), tf.add(tf.stopGradient(tf.square(x)), x)];
      });
      assert.equal(e(tape.gradient(a, x)!).item(), 1);
      assert.equal(e(tape.gradient(b, x)!).item(), 1);
    });

    it("keeps what it needs even when the user disposes intermediates", () => {
      const x = tf.constant(3.0);
      const tape = new tf.GradientTape();
      const y = tape.run(() => {
        tape.watch(x);
        const s = tf.square(x);
        const out = tf.multiply(s, 2);
        s.dispose();
        return out;
      });
      assert.equal(e(tape.gradient(y, x)!).item(), 12);
    });
  });

  describe("random seeds", () => {
    it("an op seed with the global seed repeats after setSeed, and continues otherwise", () => {
      tf.random.setSeed(42);
      const a = Array.from(e(tf.random.normal([4], { seed: 1 })).dataSync() as Float32Array);
      const b = Array.from(e(tf.random.normal([4], { seed: 1 })).dataSync() as Float32Array);
      tf.random.setSeed(42);
      const c = Array.from(e(tf.random.normal([4], { seed: 1 })).dataSync() as Float32Array);
      assert.deepEqual(a, c);
      assert.notDeepEqual(a, b);
      tf.random.setSeed(null);
    });

    it("the global seed alone makes a reproducible sequence of ops", () => {
      tf.random.setSeed(7);
      const a = [tf.random.uniform([3]), tf.random.uniform([3])].map((t) => Array.from(e(t).dataSync() as Float32Array));
      tf.random.setSeed(7);
      const b = [tf.random.uniform([3]), tf.random.uniform([3])].map((t) => Array.from(e(t).dataSync() as Float32Array));
      assert.deepEqual(a, b);
      assert.notDeepEqual(a[0], a[1]);
      tf.random.setSeed(null);
    });

    it("graph seeds: the same graph built twice with a graph seed gives the same values", () => {
      const build = () => {
        const g = new tf.Graph();
        return g.asDefault(() => {
          tf.setRandomSeed(1234);
          const r = tf.randomUniform([3]);
          const sess = new tf.Session();
          return [Array.from(e(sess.run(r)).dataSync() as Float32Array), Array.from(e(sess.run(r)).dataSync() as Float32Array)];
        });
      };
      const [a1, a2] = build();
      const [b1, b2] = build();
      assert.deepEqual(a1, b1);
      assert.deepEqual(a2, b2);
      assert.notDeepEqual(a1, a2);
    });

    it("draws from the right distributions", () => {
      tf.random.setSeed(3);
      const n = e(tf.randomNormal([20000], { mean: 2, stddev: 3 })).dataSync() as Float32Array;
      const mean = n.reduce((s, x) => s + x, 0) / n.length;
      const sd = Math.sqrt(n.reduce((s, x) => s + (x - mean) ** 2, 0) / n.length);
      assert.ok(Math.abs(mean - 2) < 0.1 && Math.abs(sd - 3) < 0.1, `mean ${mean} sd ${sd}`);
      const t = e(tf.truncatedNormal([20000])).dataSync() as Float32Array;
      assert.ok(t.every((x) => Math.abs(x) <= 2));
      const u = e(tf.randomUniform([20000], { minval: -1, maxval: 1 })).dataSync() as Float32Array;
      assert.ok(u.every((x) => x >= -1 && x < 1));
      tf.random.setSeed(null);
    });
  });

  describe("modes", () => {
    it("eager is the default; graph mode inside asDefault or after disableEagerExecution", () => {
      assert.equal(tf.executingEagerly(), true);
      new tf.Graph().asDefault(() => assert.equal(tf.executingEagerly(), false));
      tf.compat.v1.disableEagerExecution();
      try {
        assert.equal(tf.executingEagerly(), false);
        assert.ok(tf.constant(1) instanceof tf.SymbolicTensor);
      } finally {
        tf.compat.v1.enableEagerExecution();
        tf.resetDefaultGraph();
      }
      assert.ok(tf.constant(1) instanceof tf.EagerTensor);
    });

    it("tf.gradients refuses eager mode; a graph tensor has no eager value", () => {
      assert.throws(() => tf.gradients(tf.constant(1), tf.constant(2)), /not supported when eager execution is enabled/);
      const t = new tf.Graph().asDefault(() => tf.constant(1));
      assert.throws(() => t.dataSync(), /symbolic tensor/);
      assert.throws(() => tf.add(t, 1), /graph tensor/);
    });

    it("logs eager device placement when asked", () => {
      const lines: string[] = [];
      const log = console.log;
      console.log = (s: string) => lines.push(s);
      tf.debugging.setLogDevicePlacement(true);
      try {
        tf.add(1, 2);
      } finally {
        tf.debugging.setLogDevicePlacement(false);
        console.log = log;
      }
      // The device is the CPU here, GPU:0 on a machine with CUDA.
      assert.equal(lines.length, 1);
      assert.match(lines[0], /^Executing op AddV2 in device \/job:localhost\/replica:0\/task:0\/device:(CPU|GPU):0$/);
    });
  });
});
