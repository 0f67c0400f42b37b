import assert from "node:assert/strict";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import * as tf from "../src/index.js";
import { assertClose, checkGradient } from "./util/gradcheck.js";

type T = tf.Tensor;
const e = (t: tf.Tensor) => t as tf.EagerTensor;
const arr = (t: tf.Tensor) => e(t).arraySync();

function inGraph(build: () => { fetch: T | T[]; feed?: Map<T, unknown> }): unknown {
  const g = new tf.Graph();
  return withGraph(g, () => {
    const { fetch, feed } = build();
    const sess = new tf.Session();
    try {
      const out = sess.run(fetch as T, feed as Map<tf.SymbolicTensor, tf.EagerTensor> | undefined);
      return Array.isArray(out) ? (out as tf.EagerTensor[]).map((t) => t.arraySync()) : (out as tf.EagerTensor).arraySync();
    } finally {
      sess.close();
    }
  });
}

function allFinite(t: tf.Tensor): boolean {
  return Array.from(e(t).dataSync() as Float32Array).every(Number.isFinite);
}

// Hand-computed: softmax([1, 2, 3]) = e^i / (e + e^2 + e^3); log_softmax = x - 3.40760596444438.
const SM123 = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219];
const LSM123 = [-2.40760596444438, -1.40760596444438, -0.40760596444438];

const L = [
  [0.5, -1.2, 2.1],
  [1.4, 0.3, -0.8],
];

forEachDevice(() => {
  describe("tf.nn activations", () => {
    it("exports relu, relu6, elu, softplus, sigmoid and tanh", () => {
      const x = tf.constant([-2, -0.5, 0, 0.5, 7], "float64");
      assert.deepEqual(arr(tf.nn.relu(x)), [0, 0, 0, 0.5, 7]);
      assert.deepEqual(arr(tf.nn.relu6(x)), [0, 0, 0, 0.5, 6]);
      assertClose(arr(tf.nn.elu(x)), [Math.exp(-2) - 1, Math.exp(-0.5) - 1, 0, 0.5, 7], 1e-12);
      assertClose(
        arr(tf.nn.softplus(x)),
        [Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-0.5)), Math.LN2, Math.log1p(Math.exp(0.5)), 7 + Math.log1p(Math.exp(-7))],
        1e-12,
      );
      assertClose(arr(tf.nn.sigmoid(x)), [0.11920292202211755, 0.3775406687981454, 0.5, 0.6224593312018546, 0.9990889488055994], 1e-12);
      assertClose(arr(tf.nn.tanh(x)), [Math.tanh(-2), Math.tanh(-0.5), 0, Math.tanh(0.5), Math.tanh(7)], 1e-12);
      assert.equal(tf.nn.sigmoid, tf.sigmoid);
      assert.equal(tf.nn.tanh, tf.tanh);
      assert.deepEqual(arr(tf.nn.relu(tf.constant([-3, 4], "int32"))), [0, 4]);
      assert.deepEqual(arr(tf.nn.relu6(tf.constant([-3n, 4n, 9n], "int64"))), [0n, 4n, 6n]);
    });

    it("activation gradients", () => {
      checkGradient((x) => tf.nn.relu(x), [L]);
      checkGradient(
        (x) => tf.nn.relu6(x),
        [
          [
            [0.5, -1.2, 6.1],
            [5.4, 0.3, -0.8],
          ],
        ],
      );
      checkGradient((x) => tf.nn.elu(x), [L]);
      checkGradient((x) => tf.nn.softplus(x), [L]);
      checkGradient((x) => tf.nn.sigmoid(x), [L]);
      checkGradient((x) => tf.nn.tanh(x), [L]);
    });
  });

  describe("tf.nn.softmax and tf.nn.logSoftmax", () => {
    it("match hand-computed values, for float32 and float64", () => {
      assertClose(arr(tf.nn.softmax(tf.constant([1, 2, 3], "float64"))), SM123, 1e-14);
      assertClose(
        arr(
          tf.nn.softmax(
            tf.constant([
              [1, 2, 3],
              [4, 5, 6],
            ]),
          ),
        ),
        [SM123, SM123],
        1e-6,
      );
      assertClose(arr(tf.nn.logSoftmax(tf.constant([1, 2, 3], "float64"))), LSM123, 1e-14);
      assertClose(
        arr(
          tf.nn.logSoftmax(
            tf.constant([
              [1, 2, 3],
              [11, 12, 13],
            ]),
          ),
        ),
        [LSM123, LSM123],
        1e-6,
      );
      assertClose(arr(tf.math.softmax([1, 2, 3])), SM123, 1e-6);
      assert.equal(e(tf.nn.softmax(tf.constant([1, 2], "float64"))).dtype, "float64");
      assert.equal(e(tf.nn.softmax([1, 2])).dtype, "float32");
    });

    it("take an axis: the last by default, any other through the stable composite", () => {
      const x = tf.constant(
        [
          [1, 4],
          [2, 5],
          [3, 6],
        ],
        "float64",
      );
      const s0 = arr(tf.nn.softmax(x, 0)) as number[][];
      assertClose(
        s0.map((r) => r[0]),
        SM123,
        1e-14,
      );
      assertClose(
        s0.map((r) => r[1]),
        SM123,
        1e-14,
      );
      assertClose(
        (arr(tf.nn.logSoftmax(x, { axis: 0 })) as number[][]).map((r) => r[1]),
        LSM123,
        1e-14,
      );
      assertClose(arr(tf.nn.softmax(x, 1)), arr(tf.nn.softmax(x)));
      assertClose(arr(tf.nn.softmax(x, -2)), s0);
      assert.throws(() => tf.nn.softmax(x, 2), /out of range/);
      const r3 = tf.reshape(
        tf.constant(
          Array.from({ length: 24 }, (_, i) => (i * 7) % 5),
          "float64",
        ),
        [2, 3, 4],
      );
      const s1 = arr(tf.reduceSum(tf.nn.softmax(r3, 1), 1)) as number[][];
      assertClose(
        s1,
        [
          [1, 1, 1, 1],
          [1, 1, 1, 1],
        ],
        1e-14,
      );
    });

    it("stay finite for extreme logits (±1000)", () => {
      const x = tf.constant([
        [1000, -1000, 0],
        [-1000, -1000, -1000],
        [1000, 1000, 999],
      ]);
      const s = tf.nn.softmax(x);
      assert.ok(allFinite(s));
      assertClose(
        arr(s),
        [
          [1, 0, 0],
          [1 / 3, 1 / 3, 1 / 3],
          [1 / (2 + Math.exp(-1)), 1 / (2 + Math.exp(-1)), Math.exp(-1) / (2 + Math.exp(-1))],
        ],
        1e-6,
      );
      const ls = tf.nn.logSoftmax(x);
      assert.ok(allFinite(ls));
      assertClose((arr(ls) as number[][])[0], [0, -2000, -1000], 1e-6);
      assert.ok(allFinite(tf.nn.softmax(x, 0)));
      assert.ok(allFinite(tf.nn.logSoftmax(x, 0)));
    });

    it("reject scalars and integer logits", () => {
      assert.throws(() => tf.nn.softmax(tf.constant(1)), /must have >= 1 dimension/);
      assert.throws(() => tf.nn.softmax(tf.constant([1, 2], "int32")), /not in the list of allowed values/);
    });

    it("gradients (op and composite forms)", () => {
      checkGradient((x) => tf.nn.softmax(x), [L]);
      checkGradient((x) => tf.nn.logSoftmax(x), [L]);
      checkGradient((x) => tf.nn.softmax(x, 0), [L]);
      checkGradient((x) => tf.nn.logSoftmax(x, 0), [L]);
      checkGradient((x) => tf.nn.softmax(x), [[0.3, -0.7, 1.1, 0.2]]);
      checkGradient(
        (x) => tf.nn.logSoftmax(x),
        [
          [
            [
              [0.3, -0.7],
              [1.1, 0.2],
            ],
            [
              [0.5, 0.4],
              [-1.3, 2],
            ],
          ],
        ],
      );
    });

    it("gradients stay finite for extreme logits", () => {
      const x = tf.constant([[1000, -1000, 0]], "float64");
      for (const f of [tf.nn.softmax, tf.nn.logSoftmax]) {
        const tape = new tf.GradientTape();
        const y = tape.run(() => {
          tape.watch(x);
          return tf.reduceSum(tf.multiply(f(x), tf.constant([[1, 2, 3]], "float64")));
        });
        assert.ok(allFinite(tape.gradient(y as tf.EagerTensor, x) as T));
      }
    });

    it("build Softmax/LogSoftmax nodes in graphs with unknown dims", () => {
      const out = inGraph(() => {
        const p = tf.placeholder("float64", [null, 3]);
        const s = tf.nn.softmax(p);
        assert.equal((s as tf.SymbolicTensor).op.type, "Softmax");
        assert.deepEqual(s.shape, [null, 3]);
        const ls = tf.nn.logSoftmax(p, { name: "lsm" });
        assert.equal((ls as tf.SymbolicTensor).op.type, "LogSoftmax");
        assert.equal((ls as tf.SymbolicTensor).name, "lsm:0");
        const g = tf.gradients(tf.reduceSum(tf.multiply(ls, [1, 0, 0])), p)[0]!;
        return { fetch: [s, ls, g], feed: new Map<T, unknown>([[p, [[1, 2, 3]]]]) };
      }) as number[][][];
      assertClose(out[0], [SM123], 1e-14);
      assertClose(out[1], [LSM123], 1e-14);
      assertClose(out[2], [[1 - SM123[0], -SM123[1], -SM123[2]]], 1e-14);
    });
  });

  describe("tf.nn.sigmoidCrossEntropyWithLogits", () => {
    // max(x, 0) - x z + log(1 + exp(-|x|)), by hand.
    const want = [Math.log1p(Math.exp(-1)), Math.LN2, 1 + Math.log1p(Math.exp(-2))];

    it("matches TensorFlow's stable formula, positionally or with { labels, logits }", () => {
      const labels = tf.constant([0, 1, 0.5], "float64");
      const logits = tf.constant([-1, 0, 2], "float64");
      assertClose(arr(tf.nn.sigmoidCrossEntropyWithLogits(labels, logits)), want, 1e-14);
      assertClose(arr(tf.nn.sigmoidCrossEntropyWithLogits({ labels, logits })), want, 1e-14);
      assertClose(arr(tf.nn.sigmoidCrossEntropyWithLogits({ logits: [-1, 0, 2], labels: [0, 1, 0.5] })), want, 1e-6);
      // JS labels adopt the logits' dtype.
      assert.equal(e(tf.nn.sigmoidCrossEntropyWithLogits([0, 1, 0.5], logits)).dtype, "float64");
    });

    it("stays finite for extreme logits (±1000)", () => {
      const y = tf.nn.sigmoidCrossEntropyWithLogits([1, 1, 0, 0], tf.constant([1000, -1000, 1000, -1000]));
      assert.ok(allFinite(y));
      assertClose(arr(y), [0, 1000, 1000, 0]);
    });

    it("rejects mismatched shapes and dtypes, and missing arguments", () => {
      assert.throws(
        () => tf.nn.sigmoidCrossEntropyWithLogits(tf.ones([2, 3]), tf.ones([2, 4])),
        /logits and labels must have the same shape \(\[2,4\] vs \[2,3\]\)/,
      );
      assert.throws(() => tf.nn.sigmoidCrossEntropyWithLogits(tf.ones([2], "float64"), tf.ones([2])), /same dtype/);
      assert.throws(() => tf.nn.sigmoidCrossEntropyWithLogits({ logits: [1] } as never), /missing required argument "labels"/);
    });

    it("gradients with respect to logits and labels", () => {
      checkGradient(
        (z, x) => tf.nn.sigmoidCrossEntropyWithLogits(z, x),
        [
          [
            [0, 1, 0.3],
            [0.6, 1, 0],
          ],
          L,
        ],
      );
      const x = tf.constant([1000, -1000], "float64");
      const tape = new tf.GradientTape();
      const y = tape.run(() => {
        tape.watch(x);
        return tf.reduceSum(tf.nn.sigmoidCrossEntropyWithLogits([0, 0], x));
      });
      // d/dx = sigmoid(x) - z.
      assertClose(arr(tape.gradient(y as tf.EagerTensor, x) as T), [1, 0], 1e-12);
    });
  });

  describe("tf.nn.softmaxCrossEntropyWithLogits", () => {
    it("matches hand-computed losses, for one-hot and soft labels", () => {
      const logits = tf.constant(
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
        "float64",
      );
      const labels = tf.constant(
        [
          [0, 0, 1],
          [0.2, 0.3, 0.5],
        ],
        "float64",
      );
      const loss = e(tf.nn.softmaxCrossEntropyWithLogits(labels, logits));
      assert.deepEqual(loss.shape, [2]);
      assertClose(loss.arraySync(), [-LSM123[2], -(0.2 * LSM123[0] + 0.3 * LSM123[1] + 0.5 * LSM123[2])], 1e-14);
      assertClose(arr(tf.nn.softmaxCrossEntropyWithLogits({ labels: [[0, 1, 0]], logits: [[1, 2, 3]] })), [-LSM123[1]], 1e-6);
      assertClose(arr(tf.nn.softmaxCrossEntropyWithLogitsV2([[0, 1, 0]], tf.constant([[1, 2, 3]]))), [-LSM123[1]], 1e-6);
    });

    it("takes an axis, higher ranks, and broadcast labels", () => {
      const logitsT = tf.constant(
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
        "float64",
      );
      const labelsT = tf.constant(
        [
          [0, 0.2],
          [0, 0.3],
          [1, 0.5],
        ],
        "float64",
      );
      assertClose(arr(tf.nn.softmaxCrossEntropyWithLogits(labelsT, logitsT, 0)), [-LSM123[2], -(0.2 * LSM123[0] + 0.3 * LSM123[1] + 0.5 * LSM123[2])], 1e-14);
      const r3 = e(
        tf.nn.softmaxCrossEntropyWithLogits(
          tf.constant(
            [
              [
                [0, 0, 1],
                [1, 0, 0],
              ],
            ],
            "float64",
          ),
          tf.constant(
            [
              [
                [1, 2, 3],
                [1, 2, 3],
              ],
            ],
            "float64",
          ),
        ),
      );
      assert.deepEqual(r3.shape, [1, 2]);
      assertClose(r3.arraySync(), [[-LSM123[2], -LSM123[0]]], 1e-14);
      const bc = tf.nn.softmaxCrossEntropyWithLogits(
        tf.constant([[0, 0, 1]], "float64"),
        tf.constant(
          [
            [1, 2, 3],
            [3, 2, 1],
          ],
          "float64",
        ),
      );
      assertClose(arr(bc), [-LSM123[2], -LSM123[0]], 1e-14);
    });

    it("stays finite for extreme logits (±1000)", () => {
      const loss = tf.nn.softmaxCrossEntropyWithLogits(
        [
          [0, 1, 0],
          [1, 0, 0],
          [0.5, 0.5, 0],
        ],
        tf.constant([
          [1000, -1000, 0],
          [1000, -1000, 0],
          [-1000, -1000, 1000],
        ]),
      );
      assert.ok(allFinite(loss));
      assertClose(arr(loss), [2000, 0, 2000]);
    });

    it("rejects incompatible shapes and dtypes", () => {
      assert.throws(
        () => tf.nn.softmaxCrossEntropyWithLogits(tf.ones([2, 4]), tf.ones([2, 3])),
        /logits and labels must be broadcastable: logits_size=\[2,3\] labels_size=\[2,4\]/,
      );
      assert.throws(() => tf.nn.softmaxCrossEntropyWithLogits(tf.ones([2, 3], "float64"), tf.ones([2, 3])), /same dtype/);
      assert.throws(() => tf.nn.softmaxCrossEntropyWithLogits(tf.ones([2, 3], "int32"), tf.ones([2, 3], "int32")), /not in the list of allowed values/);
    });

    it("gradients with respect to logits AND labels (TensorFlow 2)", () => {
      const Y = [
        [0.1, 0.6, 0.3],
        [0.7, 0.2, 0.1],
      ];
      checkGradient((y, x) => tf.nn.softmaxCrossEntropyWithLogits(y, x), [Y, L]);
      checkGradient((y, x) => tf.nn.softmaxCrossEntropyWithLogits(y, x, 0), [Y, L]);
      checkGradient(
        (y, x) => tf.nn.softmaxCrossEntropyWithLogits(y, x),
        [
          [[0.2, 0.8]],
          [
            [0.4, -0.3],
            [1.2, 0.5],
          ],
        ],
      );
      checkGradient(
        (y, x) => tf.nn.softmaxCrossEntropyWithLogits(y, x),
        [
          [[Y[0]], [Y[1]]],
          [[L[0]], [L[1]]],
        ],
      );
    });

    it("gradients stay finite for extreme logits", () => {
      const x = tf.constant([[1000, -1000, 0]], "float64");
      const y = tf.constant([[0, 1, 0]], "float64");
      const tape = new tf.GradientTape();
      const loss = tape.run(() => {
        tape.watch([x, y]);
        return tf.nn.softmaxCrossEntropyWithLogits(y, x);
      });
      const [gx, gy] = tape.gradient(loss as tf.EagerTensor, [x, y]) as T[];
      assertClose(arr(gx), [[1, -1, 0]], 1e-12);
      assertClose(arr(gy), [[0, 2000, 1000]], 1e-12);
    });

    it("has exact second-order gradients (through the backprop output)", () => {
      const logits0 = [
        [0.5, -1.2, 2.1],
        [1.4, 0.3, -0.8],
      ];
      const labels = [
        [0.1, 0.6, 0.3],
        [0.7, 0.2, 0.1],
      ];
      const w = [
        [1, -2, 0.5],
        [0.3, 2, -1],
      ];
      // d/dx sum(w * dLoss/dx), in a graph.
      const second = inGraph(() => {
        const x = tf.placeholder("float64", [2, 3]);
        const loss = tf.reduceSum(tf.nn.softmaxCrossEntropyWithLogits(tf.constant(labels, "float64"), x));
        const g1 = tf.gradients(loss, x)[0]!;
        const g2 = tf.gradients(tf.reduceSum(tf.multiply(g1, tf.constant(w, "float64"))), x)[0]!;
        return { fetch: g2, feed: new Map<T, unknown>([[x, logits0]]) };
      }) as number[][];
      // The same by finite differences of the first gradient (softmax - labels, row by row).
      const firstGrad = (x: number[][]) =>
        x.map((row, r) => {
          const m = Math.max(...row);
          const ex = row.map((v) => Math.exp(v - m));
          const s = ex.reduce((a, b) => a + b, 0);
          return ex.map((v, j) => v / s - labels[r][j]);
        });
      const f = (x: number[][]) => firstGrad(x).reduce((acc, row, r) => acc + row.reduce((a, v, j) => a + v * w[r][j], 0), 0);
      const eps = 1e-6;
      const numeric = logits0.map((row, r) =>
        row.map((_, j) => {
          const p = logits0.map((rr) => rr.slice());
          const m = logits0.map((rr) => rr.slice());
          p[r][j] += eps;
          m[r][j] -= eps;
          return (f(p) - f(m)) / (2 * eps);
        }),
      );
      assertClose(second, numeric, 1e-6);
    });

    it("builds one SoftmaxCrossEntropyWithLogits node in graphs with unknown dims", () => {
      const out = inGraph(() => {
        const x = tf.placeholder("float32", [null, 3]);
        const y = tf.placeholder("float32", [null, 3]);
        const loss = tf.nn.softmaxCrossEntropyWithLogits({ labels: y, logits: x });
        assert.equal((loss as tf.SymbolicTensor).op.type, "SoftmaxCrossEntropyWithLogits");
        assert.deepEqual(loss.shape, [null]);
        const [gx, gy] = tf.gradients(tf.reduceMean(loss), [x, y]);
        return {
          fetch: [loss, gx!, gy!],
          feed: new Map<T, unknown>([
            [x, [[1, 2, 3]]],
            [y, [[0, 0, 1]]],
          ]),
        };
      }) as number[][];
      assertClose(out[0], [-LSM123[2]], 1e-6);
      assertClose(out[1], [[SM123[0], SM123[1], SM123[2] - 1]], 1e-6);
      assertClose(out[2], [[-LSM123[0], -LSM123[1], -LSM123[2]]], 1e-6);
    });
  });

  describe("tf.nn.sparseSoftmaxCrossEntropyWithLogits", () => {
    it("matches hand-computed losses for int32 and int64 labels", () => {
      const logits = tf.constant(
        [
          [1, 2, 3],
          [1, 2, 3],
          [3, 2, 1],
        ],
        "float64",
      );
      const want = [-LSM123[2], -LSM123[0], -LSM123[0]];
      assertClose(arr(tf.nn.sparseSoftmaxCrossEntropyWithLogits([2, 0, 2], logits)), want, 1e-14);
      assertClose(arr(tf.nn.sparseSoftmaxCrossEntropyWithLogits(tf.constant([2, 0, 2], "int32"), logits)), want, 1e-14);
      assertClose(arr(tf.nn.sparseSoftmaxCrossEntropyWithLogits(tf.constant([2n, 0n, 2n], "int64"), logits)), want, 1e-14);
      assertClose(arr(tf.nn.sparseSoftmaxCrossEntropyWithLogits({ labels: [1], logits: [[1, 2, 3]] })), [-LSM123[1]], 1e-6);
      // Rank-3 logits, rank-2 labels.
      const r = e(
        tf.nn.sparseSoftmaxCrossEntropyWithLogits(
          [[0, 1]],
          tf.constant(
            [
              [
                [1, 2, 3],
                [1, 2, 3],
              ],
            ],
            "float64",
          ),
        ),
      );
      assert.deepEqual(r.shape, [1, 2]);
      assertClose(r.arraySync(), [[-LSM123[0], -LSM123[1]]], 1e-14);
    });

    it("stays finite for extreme logits (±1000)", () => {
      const loss = tf.nn.sparseSoftmaxCrossEntropyWithLogits(
        [0, 1, 2],
        tf.constant([
          [1000, -1000, 0],
          [1000, -1000, 0],
          [-1000, 0, 1000],
        ]),
      );
      assert.ok(allFinite(loss));
      assertClose(arr(loss), [0, 2000, 0]);
    });

    it("rejects label indices out of range, naming the label and the range", () => {
      const logits = tf.constant([
        [1, 2, 3],
        [1, 2, 3],
      ]);
      for (const bad of [
        [0, 3],
        [-1, 0],
      ]) {
        assert.throws(
          () => tf.nn.sparseSoftmaxCrossEntropyWithLogits(bad, logits),
          (err: Error) =>
            err instanceof tf.errors.InvalidArgumentError &&
            new RegExp(`Received a label value of ${bad.find((v) => v < 0 || v > 2)} which is outside the valid range of \\[0, 3\\)`).test(err.message),
        );
      }
      assert.throws(() => tf.nn.sparseSoftmaxCrossEntropyWithLogits(tf.constant([5n, 0n], "int64"), logits), /label value of 5 .*\[0, 3\)/);
    });

    it("rejects float labels, rank mismatches and scalar logits", () => {
      assert.throws(() => tf.nn.sparseSoftmaxCrossEntropyWithLogits(tf.constant([0, 1]), tf.ones([2, 3])), /Tlabels/);
      assert.throws(() => tf.nn.sparseSoftmaxCrossEntropyWithLogits([[0, 1]], tf.ones([2, 3])), /Rank mismatch/);
      assert.throws(() => tf.nn.sparseSoftmaxCrossEntropyWithLogits([0, 1, 2], tf.ones([2, 3])), tf.errors.InvalidArgumentError);
      assert.throws(() => tf.nn.sparseSoftmaxCrossEntropyWithLogits(tf.constant(0, "int32"), tf.constant(1)), /Logits cannot be scalars/);
    });

    it("gradients with respect to logits (labels are not differentiable)", () => {
      checkGradient((x) => tf.nn.sparseSoftmaxCrossEntropyWithLogits([2, 0], x), [L]);
      checkGradient((x) => tf.nn.sparseSoftmaxCrossEntropyWithLogits(tf.constant([[1], [0]], "int64"), x), [[[L[0]], [L[1]]]]);
      const x = tf.constant([[1000, -1000, 0]], "float64");
      const tape = new tf.GradientTape();
      const loss = tape.run(() => {
        tape.watch(x);
        return tf.nn.sparseSoftmaxCrossEntropyWithLogits([1], x);
      });
      assertClose(arr(tape.gradient(loss as tf.EagerTensor, x) as T), [[1, -1, 0]], 1e-12);
    });

    it("has exact second-order gradients", () => {
      const logits0 = [
        [0.5, -1.2, 2.1],
        [1.4, 0.3, -0.8],
      ];
      const dense = inGraph(() => {
        const x = tf.placeholder("float64", [2, 3]);
        const l1 = tf.reduceSum(tf.nn.sparseSoftmaxCrossEntropyWithLogits([2, 0], x));
        const l2 = tf.reduceSum(
          tf.nn.softmaxCrossEntropyWithLogits(
            tf.constant(
              [
                [0, 0, 1],
                [1, 0, 0],
              ],
              "float64",
            ),
            x,
          ),
        );
        const w = tf.constant(
          [
            [1, -2, 0.5],
            [0.3, 2, -1],
          ],
          "float64",
        );
        const h = (l: T) => tf.gradients(tf.reduceSum(tf.multiply(tf.gradients(l, x)[0]!, w)), x)[0]!;
        return { fetch: [h(l1), h(l2)], feed: new Map<T, unknown>([[x, logits0]]) };
      }) as number[][][];
      assertClose(dense[0], dense[1], 1e-12);
    });

    it("builds in graphs with unknown dims", () => {
      const out = inGraph(() => {
        const x = tf.placeholder("float32", [null, 3]);
        const y = tf.placeholder("int32", [null]);
        const loss = tf.nn.sparseSoftmaxCrossEntropyWithLogits(y, x);
        assert.equal((loss as tf.SymbolicTensor).op.type, "SparseSoftmaxCrossEntropyWithLogits");
        assert.deepEqual(loss.shape, [null]);
        const gx = tf.gradients(tf.reduceSum(loss), x)[0]!;
        return {
          fetch: [loss, gx],
          feed: new Map<T, unknown>([
            [
              x,
              [
                [1, 2, 3],
                [3, 2, 1],
              ],
            ],
            [y, [2, 2]],
          ]),
        };
      }) as number[][];
      assertClose(out[0], [-LSM123[2], -LSM123[0]], 1e-6);
      assertClose(
        out[1],
        [
          [SM123[0], SM123[1], SM123[2] - 1],
          [SM123[2], SM123[1], SM123[0] - 1],
        ],
        1e-6,
      );
    });
  });

  describe("tf.nn.l2Loss", () => {
    it("is sum(x^2) / 2 as a scalar", () => {
      const l = e(
        tf.nn.l2Loss(
          tf.constant([
            [1, 2],
            [3, -4],
          ]),
        ),
      );
      assert.deepEqual(l.shape, []);
      assert.equal(l.arraySync(), 15);
      assert.equal(arr(tf.nn.l2Loss(tf.constant([0.5], "float64"))), 0.125);
      assert.equal(e(tf.nn.l2Loss(tf.constant([1], "float64"))).dtype, "float64");
      assert.throws(() => tf.nn.l2Loss(tf.constant([1], "int32")), /not in the list of allowed values/);
    });

    it("gradient is x * dy", () => {
      checkGradient((x) => tf.nn.l2Loss(x), [L]);
      checkGradient((x) => tf.nn.l2Loss(x), [2.5]);
    });

    it("works in graphs", () => {
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 2]);
        const l = tf.nn.l2Loss(p, { name: "wd" });
        assert.equal((l as tf.SymbolicTensor).name, "wd:0");
        assert.deepEqual(l.shape, []);
        return {
          fetch: l,
          feed: new Map<T, unknown>([
            [
              p,
              [
                [1, 2],
                [3, 4],
              ],
            ],
          ]),
        };
      });
      assert.equal(out, 15);
    });
  });

  describe("tf.nn memory", () => {
    it("composite losses leave only their result alive when run eagerly", () => {
      const logits = tf.constant([
        [1, 2, 3],
        [3, 2, 1],
      ]);
      const labels = tf.constant([
        [0, 0, 1],
        [1, 0, 0],
      ]);
      const fns: (() => T)[] = [
        () => tf.nn.softmaxCrossEntropyWithLogits(labels, logits),
        () => tf.nn.softmaxCrossEntropyWithLogits(labels, logits, 0),
        () => tf.nn.sparseSoftmaxCrossEntropyWithLogits([2, 0], logits),
        () => tf.nn.sigmoidCrossEntropyWithLogits(labels, logits),
        () => tf.nn.softmax(logits, 0),
        () => tf.nn.logSoftmax([1, 2, 3]),
      ];
      for (const f of fns) {
        const before = tf.memory().numTensors;
        const y = f();
        assert.equal(tf.memory().numTensors, before + 1, String(f));
        tf.dispose(y);
      }
    });
  });
});
