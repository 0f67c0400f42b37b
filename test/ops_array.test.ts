import assert from "node:assert/strict";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import * as tf from "../src/index.js";
import { assertClose, checkGradient } from "./util/gradcheck.js";

type T = tf.Tensor;
const e = (t: tf.Tensor) => t as tf.EagerTensor;
const arr = (t: tf.Tensor) => e(t).arraySync();
const f64 = (v: unknown) => tf.constant(v as number[], { dtype: "float64" });

/** Builds in a fresh graph and runs `fetch` with `feed` (placeholder -> value). */
function inGraph(build: () => { fetch: T | T[]; feed?: [T, unknown][] }): unknown {
  const g = new tf.Graph();
  return withGraph(g, () => {
    const { fetch, feed } = build();
    const sess = new tf.Session();
    try {
      const out = sess.run(fetch as T, new Map((feed ?? []) as [tf.SymbolicTensor, tf.EagerTensor][]));
      return Array.isArray(out) ? (out as tf.EagerTensor[]).map((t) => t.arraySync()) : (out as tf.EagerTensor).arraySync();
    } finally {
      sess.close();
    }
  });
}

/** Static shape of what `build` returns in a fresh graph. */
function graphShape(build: () => T): tf.Shape {
  return withGraph(new tf.Graph(), () => build().shape);
}

/** Asserts fn throws the tf.errors class, with a message matching every pattern. */
function throwsTf(fn: () => unknown, cls: abstract new (...a: never[]) => Error, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    for (const p of patterns) assert.match((err as Error).message, p);
    return true;
  });
}
const IAE = tf.errors.InvalidArgumentError;

/**
 * Gradient of sum(f(x) * w) in a graph whose placeholders have partly unknown shapes (the dynamic-shape
 * gradient paths), compared with the eager tape's.
 */
function checkDynamicGradient(f: (...xs: T[]) => T, inputs: unknown[], shapes: tf.Shape[]): void {
  const xs = inputs.map((v) => f64(v) as tf.EagerTensor);
  const y = e(f(...xs));
  const w = tf.constant(
    Float64Array.from({ length: y.size }, (_, i) => Math.cos(i) + 2),
    { dtype: "float64", shape: y.shape },
  );
  const tape = new tf.GradientTape();
  const loss = tape.run(() => {
    tape.watch(xs);
    return tf.reduceSum(tf.multiply(f(...xs), w));
  });
  const want = (tape.gradient(loss, xs) as tf.EagerTensor[]).map((g) => g.arraySync());
  const got = inGraph(() => {
    const ps = shapes.map((s) => tf.placeholder("float64", s));
    const out = f(...ps);
    // Flattened first: a reduction over an unknown rank has no gradient in tsflow yet (reduce.ts).
    const l = tf.reduceSum(tf.reshape(tf.multiply(out, tf.reshape(w, tf.shape(out))), [-1]));
    return { fetch: tf.gradients(l, ps) as T[], feed: ps.map((p, i) => [p, xs[i]] as [T, unknown]) };
  });
  assertClose(got, want, 1e-12);
}

const M23 = [
  [1, 2, 3],
  [4, 5, 6],
];
const R234 = Array.from({ length: 2 }, (_, i) => Array.from({ length: 3 }, (_, j) => Array.from({ length: 4 }, (_, k) => i * 12 + j * 4 + k + 0.5)));

// ---------------------------------------------------------------- Transpose

forEachDevice(() => {
  describe("transpose", () => {
    it("reverses the dims by default and follows perm", () => {
      assert.deepEqual(arr(tf.transpose(tf.constant(M23))), [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      const x = tf.constant(R234);
      const t = tf.transpose(x, [1, 2, 0]);
      assert.deepEqual(t.shape, [3, 4, 2]);
      assert.equal((arr(t) as number[][][])[2][3][1], R234[1][2][3]);
      assert.deepEqual(arr(tf.transpose(x, { perm: [0, 1, 2] })), R234);
      assert.equal(arr(tf.transpose(tf.constant(5))), 5);
    });
    it("moves int64, string and bool values", () => {
      assert.deepEqual(
        arr(
          tf.transpose(
            tf.constant([
              [1n, 2n],
              [3n, 4n],
            ]),
          ),
        ),
        [
          [1n, 3n],
          [2n, 4n],
        ],
      );
      assert.deepEqual(arr(tf.transpose(tf.constant([["a", "b", "c"]]))), [["a"], ["b"], ["c"]]);
      assert.deepEqual(arr(tf.transpose(tf.constant([[true, false]]))), [[true], [false]]);
    });
    it("infers shapes with unknown dims and runs in a session", () => {
      assert.deepEqual(
        graphShape(() => tf.transpose(tf.placeholder("float32", [null, 3]))),
        [3, null],
      );
      assert.equal(
        graphShape(() => tf.transpose(tf.placeholder("float32"))),
        null,
      );
      assert.deepEqual(
        graphShape(() => tf.transpose(tf.placeholder("float32"), [1, 0, 2])),
        [null, null, null],
      );
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        return { fetch: tf.transpose(p), feed: [[p, M23]] };
      });
      assert.deepEqual(out, [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      // Unknown rank: the default perm is computed at run time.
      const out2 = inGraph(() => {
        const p = tf.placeholder("float32");
        return { fetch: tf.transpose(p), feed: [[p, M23]] };
      });
      assert.deepEqual(out2, [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
    });
    it("names its node 'transpose'", () => {
      withGraph(new tf.Graph(), () => {
        const t = tf.transpose(tf.placeholder("float32", [2, 3])) as tf.SymbolicTensor;
        assert.equal(t.op.name, "transpose");
        assert.equal(t.op.type, "Transpose");
        assert.equal((tf.transpose(t, { name: "tr" }) as tf.SymbolicTensor).name, "tr:0");
      });
    });
    it("rejects a bad perm", () => {
      throwsTf(() => tf.transpose(tf.constant(M23), [0, 0]), IAE, /Transpose/, /perm/);
      throwsTf(() => tf.transpose(tf.constant(M23), [0, 1, 2]), IAE, /transpose expects a vector of size 2/, /\[2,3\]/, /Op:Transpose/);
      throwsTf(() => withGraph(new tf.Graph(), () => tf.transpose(tf.placeholder("float32", [2, 3]), [2, 0])), IAE, /perm\[0\] = 2/, /node transpose/);
      throwsTf(() => tf.transpose(tf.constant(M23), tf.constant([1, 0])), IAE, /Tperm/);
    });
    it("has a gradient", () => {
      checkGradient((x) => tf.transpose(x, [2, 0, 1]), [R234]);
      checkGradient((x) => tf.transpose(x), [M23]);
    });
    it("has a gradient when perm is only known at run time", () => {
      const got = inGraph(() => {
        const x = tf.placeholder("float64", [2, 3, 4]);
        const perm = tf.placeholder("int32", [3]);
        const y = tf.transpose(x, perm);
        const [g] = tf.gradients(tf.reduceSum(tf.multiply(y, tf.range(24, { dtype: "float64" }).reshape(tf.shape(y)))), [x]);
        return {
          fetch: g!,
          feed: [
            [x, R234],
            [perm, [2, 0, 1]],
          ],
        };
      });
      // d/dx of sum(transpose(x) * w) is w transposed back.
      const w = tf.reshape(tf.range(24, { dtype: "float64" }), [4, 2, 3]);
      assert.deepEqual(got, arr(tf.transpose(w, [1, 2, 0])));
    });
    it("invertPermutation", () => {
      assert.deepEqual(arr(tf.invertPermutation([2, 0, 1])), [1, 2, 0]);
      assert.deepEqual(arr(tf.math.invertPermutation(tf.constant([1n, 0n]))), [1n, 0n]);
      throwsTf(() => tf.invertPermutation([0, 0]), IAE, /InvertPermutation/);
    });
  });

  // ---------------------------------------------------------------- Squeeze

  describe("squeeze", () => {
    it("removes dims of size 1", () => {
      const x = tf.constant([[[1], [2]]]);
      assert.deepEqual(tf.squeeze(x).shape, [2]);
      assert.deepEqual(tf.squeeze(x, 2).shape, [1, 2]);
      assert.deepEqual(tf.squeeze(x, [0, -1]).shape, [2]);
      assert.deepEqual(tf.squeeze(x, { axis: [0] }).shape, [2, 1]);
      assert.deepEqual(arr(tf.squeeze(tf.constant([["s"]]))), "s");
    });
    it("infers shapes with unknown dims", () => {
      assert.deepEqual(
        graphShape(() => tf.squeeze(tf.placeholder("float32", [1, null, 1]), [0])),
        [null, 1],
      );
      assert.equal(
        graphShape(() => tf.squeeze(tf.placeholder("float32", [1, null, 1]))),
        null,
      );
      assert.deepEqual(
        graphShape(() => tf.squeeze(tf.placeholder("float32", [1, 3, 1]))),
        [3],
      );
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 1]);
        return { fetch: tf.squeeze(p, 1), feed: [[p, [[1], [2]]]] };
      });
      assert.deepEqual(out, [1, 2]);
    });
    it("rejects squeezing a dim that is not 1", () => {
      throwsTf(() => tf.squeeze(tf.constant(M23), 1), IAE, /Can not squeeze dim\[1\], expected a dimension of 1, got 3/, /Squeeze/);
      throwsTf(() => tf.squeeze(tf.constant(M23), 2), IAE, /squeeze dim index 2/, /\[2,3\]/);
      throwsTf(
        () =>
          inGraph(() => {
            const p = tf.placeholder("float32", [null, 3]);
            return { fetch: tf.squeeze(p, 0), feed: [[p, M23]] };
          }),
        IAE,
        /Can not squeeze dim\[0\]/,
        /Squeeze/,
      );
    });
    it("has a gradient", () => {
      checkGradient((x) => tf.squeeze(x), [[[[1.5], [2.5]]]]);
      checkDynamicGradient((x) => tf.squeeze(x, 1), [[[1], [2]]], [[null, 1]]);
    });
  });

  // ---------------------------------------------------------------- ConcatV2

  describe("concat", () => {
    it("joins along an axis", () => {
      const a = tf.constant(M23);
      assert.deepEqual(arr(tf.concat([a, a], 0)), [...M23, ...M23]);
      assert.deepEqual(arr(tf.concat([a, tf.constant([[7], [8]])], 1)), [
        [1, 2, 3, 7],
        [4, 5, 6, 8],
      ]);
      assert.deepEqual(arr(tf.concat([a, a], -1)), [
        [1, 2, 3, 1, 2, 3],
        [4, 5, 6, 4, 5, 6],
      ]);
      assert.deepEqual(arr(tf.concat([a, [[0, 0, 0]]], { axis: 0 })), [...M23, [0, 0, 0]]);
      assert.deepEqual(arr(tf.concat([[1, 2], [3]], 0)), [1, 2, 3]);
      assert.deepEqual(arr(tf.concat([a], 0)), M23);
      const big = tf.concat([tf.ones([3, 40]), tf.zeros([3, 20])], 1);
      assert.deepEqual(big.shape, [3, 60]);
      assert.equal(tf.reduceSum(big).dataSync()[0], 120);
    });
    it("moves int64 and string values", () => {
      assert.deepEqual(arr(tf.concat([tf.constant([[1n]]), tf.constant([[2n, 3n]])], 1)), [[1n, 2n, 3n]]);
      assert.deepEqual(arr(tf.concat([tf.constant(["a"]), tf.constant(["b", "c"])], 0)), ["a", "b", "c"]);
    });
    it("infers shapes with unknown dims and rank", () => {
      assert.deepEqual(
        graphShape(() => tf.concat([tf.placeholder("float32", [null, 3]), tf.placeholder("float32", [2, 3])], 0)),
        [null, 3],
      );
      assert.deepEqual(
        graphShape(() => tf.concat([tf.placeholder("float32", [2, null]), tf.placeholder("float32", [null, 3])], 0)),
        [null, 3],
      );
      assert.deepEqual(
        graphShape(() => tf.concat([tf.placeholder("float32", [2, 1]), tf.placeholder("float32", [null, 3])], 1)),
        [2, 4],
      );
      assert.deepEqual(
        graphShape(() => tf.concat([tf.placeholder("float32"), tf.placeholder("float32", [2, 3])], 1)),
        [2, null],
      );
      assert.deepEqual(
        graphShape(() => tf.concat([tf.placeholder("float32", [2, 3]), tf.placeholder("float32", [2, 3])], tf.placeholder("int32", []))),
        [null, null],
      );
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        return { fetch: tf.concat([p, [[0, 0, 0]]], 0), feed: [[p, M23]] };
      });
      assert.deepEqual(out, [...M23, [0, 0, 0]]);
    });
    it("names its node 'concat'", () => {
      withGraph(new tf.Graph(), () => {
        const p = tf.placeholder("float32", [2]);
        const c = tf.concat([p, p], 0) as tf.SymbolicTensor;
        assert.equal(c.op.name, "concat");
        assert.equal(c.op.type, "ConcatV2");
        assert.equal((tf.concat([p, p], 0) as tf.SymbolicTensor).op.name, "concat_1");
      });
    });
    it("rejects mismatched shapes, ranks, dtypes and axes", () => {
      const a = tf.constant(M23);
      throwsTf(() => tf.concat([a, tf.ones([2, 4])], 0), IAE, /ConcatOp : Dimension 1 in both shapes must be equal/, /\[2,3\]/, /\[2,4\]/, /Op:ConcatV2/);
      throwsTf(() => tf.concat([a, tf.ones([3])], 0), IAE, /Ranks of all input tensors should match/, /\[3\]/);
      throwsTf(() => tf.concat([a, a], 2), IAE, /range \[-2, 2\), but got 2/);
      throwsTf(() => tf.concat([a, tf.constant([[1, 2, 3]], { dtype: "int32" })], 0), IAE, /ConcatV2/, /int32/);
      throwsTf(() => tf.concat([tf.constant(1), tf.constant(2)], 0), IAE, /scalars/);
      throwsTf(
        () => withGraph(new tf.Graph(), () => tf.concat([tf.placeholder("float32", [2, 3]), tf.placeholder("float32", [2, 4])], 0)),
        IAE,
        /Dimension 1/,
        /node concat/,
        /ConcatV2/,
        /\[2,3\], \[2,4\]/,
      );
      // Shapes known only at run time: the kernel checks them.
      throwsTf(
        () =>
          inGraph(() => {
            const p = tf.placeholder("float32", [null, null]);
            return { fetch: tf.concat([p, tf.ones([2, 4])], 0), feed: [[p, M23]] };
          }),
        IAE,
        /Dimension 1 in both shapes must be equal/,
        /\[2,3\] vs\. shape\[1\] = \[2,4\]/,
        /node concat/,
      );
    });
    it("has a gradient", () => {
      checkGradient((a, b) => tf.concat([a, b], 1), [M23, [[7], [8]]]);
      checkGradient((a, b, c) => tf.concat([a, b, c], 0), [M23, [[1, 1, 1]], M23]);
      checkGradient((a, b) => tf.concat([a, b], -1), [R234, R234]);
      checkDynamicGradient(
        (a, b) => tf.concat([a, b], 1),
        [M23, [[7], [8]]],
        [
          [null, null],
          [2, null],
        ],
      );
      checkDynamicGradient((a, b) => tf.concat([a, b], 0), [M23, M23], [null, null]);
    });
  });

  // ---------------------------------------------------------------- Pack, Unpack

  describe("stack and unstack", () => {
    it("stack packs along a new axis", () => {
      const a = tf.constant([1, 2, 3]);
      const b = tf.constant([4, 5, 6]);
      assert.deepEqual(arr(tf.stack([a, b])), [
        [1, 2, 3],
        [4, 5, 6],
      ]);
      assert.deepEqual(arr(tf.stack([a, b], 1)), [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      assert.deepEqual(arr(tf.stack([a, b], -1)), [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      assert.deepEqual(arr(tf.stack([1, 2])), [1, 2]);
      assert.deepEqual(arr(tf.stack([tf.constant("x"), tf.constant("y")])), ["x", "y"]);
      assert.deepEqual(arr(tf.stack([tf.constant([1n]), tf.constant([2n])], 1)), [[1n, 2n]]);
    });
    it("unstack returns the slices", () => {
      const x = tf.constant(M23);
      assert.deepEqual(tf.unstack(x).map(arr), [
        [1, 2, 3],
        [4, 5, 6],
      ]);
      assert.deepEqual(tf.unstack(x, { axis: 1 }).map(arr), [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      assert.deepEqual(tf.unstack(x, 3, -1).map(arr), [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      assert.deepEqual(tf.unstack(tf.constant([["a", "b"]]), { axis: 1 }).map(arr), [["a"], ["b"]]);
    });
    it("infers shapes and names nodes", () => {
      withGraph(new tf.Graph(), () => {
        const p = tf.placeholder("float32", [null, 3]);
        const s = tf.stack([p, p], 1) as tf.SymbolicTensor;
        assert.deepEqual(s.shape, [null, 2, 3]);
        assert.equal(s.op.name, "stack");
        assert.deepEqual(tf.stack([p, tf.placeholder("float32", [2, null])]).shape, [2, 2, 3]);
        const parts = tf.unstack(p, { axis: 1 }) as tf.SymbolicTensor[];
        assert.equal(parts.length, 3);
        assert.deepEqual(parts[2].shape, [null]);
        assert.equal(parts[2].name, "unstack:2");
        throwsTf(() => tf.unstack(p), IAE, /Cannot infer argument `num` from shape \[\?,3\]/);
        assert.equal(tf.unstack(p, 4).length, 4);
      });
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        return { fetch: tf.unstack(tf.stack([p, p], 1), { axis: 2 }), feed: [[p, M23]] };
      });
      assert.deepEqual(out, [
        [
          [1, 1],
          [4, 4],
        ],
        [
          [2, 2],
          [5, 5],
        ],
        [
          [3, 3],
          [6, 6],
        ],
      ]);
    });
    it("rejects mismatched values and bad axes", () => {
      throwsTf(
        () => tf.stack([tf.ones([2]), tf.ones([3])]),
        IAE,
        /Shapes of all inputs must match: values\[0\]\.shape = \[2\] != values\[1\]\.shape = \[3\]/,
        /Op:Pack/,
      );
      throwsTf(() => tf.stack([tf.ones([2]), tf.ones([2])], 2), IAE, /axis = 2 not in \[-2, 2\)/);
      throwsTf(() => tf.unstack(tf.ones([2]), { axis: 1 }), IAE, /axis = 1/);
      throwsTf(() => tf.unstack(tf.ones([2, 3]), 3), IAE, /Dimension must be 3 but is 2/, /Unpack/);
      throwsTf(
        () =>
          inGraph(() => {
            const p = tf.placeholder("float32", [null]);
            return { fetch: tf.stack([p, tf.ones([3])]), feed: [[p, [1, 1]]] };
          }),
        IAE,
        /Shapes of all inputs must match/,
        /node stack/,
      );
    });
    it("have gradients", () => {
      checkGradient((a, b) => tf.stack([a, b], 1), [M23, M23]);
      checkGradient((x) => tf.stack(tf.unstack(x, { axis: 1 }).reverse()), [M23]);
      // Only some outputs used: the rest get zeros.
      checkGradient((x) => tf.multiply(tf.unstack(x)[1], 3), [M23]);
    });
  });

  // ---------------------------------------------------------------- Split, SplitV

  describe("split", () => {
    it("splits evenly and by sizes", () => {
      const x = tf.constant([
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ]);
      assert.deepEqual(tf.split(x, 2, 1).map(arr), [
        [
          [1, 2],
          [5, 6],
        ],
        [
          [3, 4],
          [7, 8],
        ],
      ]);
      assert.deepEqual(tf.split(x, 2).map(arr), [[[1, 2, 3, 4]], [[5, 6, 7, 8]]]);
      assert.deepEqual(tf.split(x, [1, 3], 1).map(arr), [
        [[1], [5]],
        [
          [2, 3, 4],
          [6, 7, 8],
        ],
      ]);
      assert.deepEqual(
        tf.split(x, [-1, 1], -1).map((t) => t.shape),
        [
          [2, 3],
          [2, 1],
        ],
      );
      assert.deepEqual(
        tf.split(x, { numOrSizeSplits: tf.constant([2, 2], { dtype: "int32" }), axis: 1 }).map((t) => t.shape),
        [
          [2, 2],
          [2, 2],
        ],
      );
      assert.deepEqual(tf.split(tf.constant(["a", "b", "c"]), [2, 1]).map(arr), [["a", "b"], ["c"]]);
      assert.deepEqual(tf.split(tf.constant([1n, 2n]), 2).map(arr), [[1n], [2n]]);
    });
    it("infers shapes and names nodes", () => {
      withGraph(new tf.Graph(), () => {
        const p = tf.placeholder("float32", [null, 6]);
        const parts = tf.split(p, 3, 1) as tf.SymbolicTensor[];
        assert.deepEqual(
          parts.map((t) => t.shape),
          [
            [null, 2],
            [null, 2],
            [null, 2],
          ],
        );
        assert.equal(parts[0].op.name, "split");
        assert.equal(parts[0].op.type, "Split");
        const v = tf.split(p, [1, -1], 1) as tf.SymbolicTensor[];
        assert.deepEqual(
          v.map((t) => t.shape),
          [
            [null, 1],
            [null, 5],
          ],
        );
        assert.equal(v[1].name, "split_1:1");
        assert.equal(v[1].op.type, "SplitV");
        assert.deepEqual(
          tf.split(p, 2, 0).map((t) => t.shape),
          [
            [null, 6],
            [null, 6],
          ],
        );
        throwsTf(() => tf.split(p, tf.placeholder("int32", [null])), IAE, /Cannot infer argument `num`/);
      });
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 4]);
        return { fetch: tf.split(p, [3, 1], 1), feed: [[p, [[1, 2, 3, 4]]]] };
      });
      assert.deepEqual(out, [[[1, 2, 3]], [[4]]]);
    });
    it("rejects uneven and mismatched splits", () => {
      throwsTf(() => tf.split(tf.ones([5, 2]), 2), IAE, /evenly divide the split dimension/, /size = 5/, /Op:Split/);
      throwsTf(() => tf.split(tf.ones([5, 2]), [2, 2]), IAE, /SplitV/, /Got: 4/);
      throwsTf(() => tf.split(tf.ones([5, 2]), [-1, -1]), IAE, /only be one -1/);
      throwsTf(() => tf.split(tf.ones([5, 2]), 2, 2), IAE, /split_dim/, /\[5,2\]/);
    });
    it("has gradients", () => {
      checkGradient(
        (x) => tf.concat(tf.split(x, 2, 1).reverse(), 1),
        [
          [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
          ],
        ],
      );
      checkGradient(
        (x) => tf.split(x, [1, 3], 1)[1],
        [
          [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
          ],
        ],
      );
      checkGradient((x) => tf.split(x, 3, 2)[0], [R234.map((m) => m.map((r) => [...r, 1, 2]))]);
    });
  });

  // ---------------------------------------------------------------- Slice

  describe("slice", () => {
    it("takes a block; size -1 takes the rest", () => {
      const x = tf.constant(R234);
      assert.deepEqual(arr(tf.slice(x, [1, 0, 0], [1, 1, 3])), [[[12.5, 13.5, 14.5]]]);
      assert.deepEqual(tf.slice(x, [0, 1, 2], [-1, -1, -1]).shape, [2, 2, 2]);
      assert.deepEqual(arr(tf.slice(tf.constant(["a", "b", "c"]), [1], [2])), ["b", "c"]);
      assert.deepEqual(arr(tf.slice(tf.constant([1n, 2n, 3n]), tf.constant([1n]), tf.constant([-1n]))), [2n, 3n]);
      assert.deepEqual(tf.slice(x, [0, 0, 0], [2, 0, 4]).shape, [2, 0, 4]);
    });
    it("infers shapes with unknown dims", () => {
      assert.deepEqual(
        graphShape(() => tf.slice(tf.placeholder("float32", [null, 4]), [1, 1], [2, -1])),
        [2, 3],
      );
      assert.deepEqual(
        graphShape(() => tf.slice(tf.placeholder("float32", [null, 4]), [1, 1], [-1, 2])),
        [null, 2],
      );
      assert.deepEqual(
        graphShape(() => tf.slice(tf.placeholder("float32", [5, 4]), tf.placeholder("int32", [2]), [3, -1])),
        [3, null],
      );
      assert.deepEqual(
        graphShape(() => tf.slice(tf.placeholder("float32"), [1, 1], [2, 2])),
        [2, 2],
      );
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        const b = tf.placeholder("int32", [2]);
        return {
          fetch: tf.slice(p, b, [1, -1]),
          feed: [
            [p, M23],
            [b, [1, 1]],
          ],
        };
      });
      assert.deepEqual(out, [[5, 6]]);
    });
    it("rejects out-of-range begin and size", () => {
      throwsTf(() => tf.slice(tf.constant(M23), [0, 4], [1, 1]), IAE, /Expected begin\[1\] in \[0, 3\], but got 4/, /\[2,3\]/, /Op:Slice/);
      throwsTf(() => tf.slice(tf.constant(M23), [1, 1], [2, 1]), IAE, /Expected size\[0\] in \[0, 1\], but got 2/);
      throwsTf(() => tf.slice(tf.constant(M23), [0], [1]), IAE, /size 2/);
      throwsTf(
        () =>
          inGraph(() => {
            const p = tf.placeholder("float32", [null, 3]);
            return { fetch: tf.slice(p, [3, 0], [1, 1]), feed: [[p, M23]] };
          }),
        IAE,
        /Expected begin\[0\] in \[0, 2\], but got 3/,
        /node Slice/,
      );
    });
    it("has a gradient (static and dynamic shapes)", () => {
      checkGradient((x) => tf.slice(x, [0, 1, 1], [2, 2, -1]), [R234]);
      checkDynamicGradient((x) => tf.slice(x, [1, 0], [1, 2]), [M23], [[null, 3]]);
      checkDynamicGradient((x) => tf.slice(x, [0, 1], [-1, -1]), [M23], [null]);
    });
  });

  // ---------------------------------------------------------------- StridedSlice

  describe("stridedSlice", () => {
    const x = tf.constant(R234);
    const py = (t: T) => arr(t);
    it("handles strides, negative indices and clamping", () => {
      // x[1, 0:3:2, ::-1]
      assert.deepEqual(py(tf.stridedSlice(x, [1, 0, 0], [2, 3, 0], [1, 2, -1], { beginMask: 4, endMask: 4, shrinkAxisMask: 1 })), [
        [15.5, 14.5, 13.5, 12.5],
        [23.5, 22.5, 21.5, 20.5],
      ]);
      // x[:, -1, -2:]
      assert.deepEqual(py(tf.stridedSlice(x, [0, -1, -2], [0, 0, 0], [1, 1, 1], { beginMask: 1, endMask: 5, shrinkAxisMask: 2 })), [
        [10.5, 11.5],
        [22.5, 23.5],
      ]);
      // x[0, 1, 1:100] clamps
      assert.deepEqual(py(tf.stridedSlice(x, [0, 1, 1], [1, 2, 100], [1, 1, 1], { shrinkAxisMask: 3 })), [5.5, 6.5, 7.5]);
      // x[0, 0, 3:0:-1]
      assert.deepEqual(py(tf.stridedSlice(x, [0, 0, 3], [1, 1, 0], [1, 1, -1], { shrinkAxisMask: 3 })), [3.5, 2.5, 1.5]);
      // empty: x[0, 0, 3:1]
      assert.deepEqual(tf.stridedSlice(x, [0, 0, 3], [1, 1, 1], [1, 1, 1], { shrinkAxisMask: 3 }).shape, [0]);
      // strides default to 1; x[1:2] with nothing else
      assert.deepEqual(tf.stridedSlice(x, [1], [2]).shape, [1, 3, 4]);
    });
    it("handles the ellipsis and new axes", () => {
      // x[..., 1]
      assert.deepEqual(py(tf.stridedSlice(x, [0, 1], [0, 2], [1, 1], { ellipsisMask: 1, shrinkAxisMask: 2 })), [
        [1.5, 5.5, 9.5],
        [13.5, 17.5, 21.5],
      ]);
      // x[tf.newaxis, 0, ..., tf.newaxis]
      const t = tf.stridedSlice(x, [0, 0, 0, 0], [1, 1, 0, 1], [1, 1, 1, 1], { newAxisMask: 9, ellipsisMask: 4, shrinkAxisMask: 2 });
      assert.deepEqual(t.shape, [1, 3, 4, 1]);
      // x[1, ..., 2]
      assert.deepEqual(py(tf.stridedSlice(x, [1, 0, 2], [2, 0, 3], [1, 1, 1], { ellipsisMask: 2, shrinkAxisMask: 5 })), [14.5, 18.5, 22.5]);
      // identity slice aliases: x[:]
      assert.deepEqual(py(tf.stridedSlice(x, [0], [0], [1], { beginMask: 1, endMask: 1 })), R234);
      // a new axis only: x[tf.newaxis]
      assert.deepEqual(tf.stridedSlice(x, [0], [1], [1], { newAxisMask: 1 }).shape, [1, 2, 3, 4]);
    });
    it("moves strings and int64", () => {
      assert.deepEqual(py(tf.stridedSlice(tf.constant(["a", "b", "c", "d"]), [3], [0], [-2])), ["d", "b"]);
      assert.deepEqual(py(tf.stridedSlice(tf.constant([1n, 2n, 3n]), [0], [3], [2])), [1n, 3n]);
    });
    it("infers shapes with unknown dims and values", () => {
      assert.deepEqual(
        graphShape(() => tf.stridedSlice(tf.placeholder("float32", [null, 4]), [0, 1], [0, 3], [1, 1], { beginMask: 1, endMask: 1 })),
        [null, 2],
      );
      assert.deepEqual(
        graphShape(() => tf.stridedSlice(tf.placeholder("float32", [null, 4]), [0, 0], [1, 4], [1, 1], { shrinkAxisMask: 1 })),
        [4],
      );
      assert.deepEqual(
        graphShape(() => tf.stridedSlice(tf.placeholder("float32", [5, 4]), tf.placeholder("int32", [2]), [1, 4], [1, 1], { shrinkAxisMask: 1 })),
        [null],
      );
      assert.deepEqual(
        graphShape(() => tf.stridedSlice(tf.placeholder("float32", [5, 4]), [0], [1], [1], { newAxisMask: 1 })),
        [1, 5, 4],
      );
      assert.equal(
        graphShape(() => tf.stridedSlice(tf.placeholder("float32"), [0], [1])),
        null,
      );
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        return { fetch: tf.stridedSlice(p, [0, -1], [0, 0], [1, -1], { beginMask: 1, endMask: 3 }), feed: [[p, M23]] };
      });
      assert.deepEqual(out, [
        [3, 2, 1],
        [6, 5, 4],
      ]);
    });
    it("rejects bad specs", () => {
      throwsTf(
        () => tf.stridedSlice(x, [5], [6], [1], { shrinkAxisMask: 1 }),
        IAE,
        /slice index 5 of dimension 0 out of bounds/,
        /\[2,3,4\]/,
        /Op:StridedSlice/,
      );
      throwsTf(() => tf.stridedSlice(x, [0], [1], [0]), IAE, /strides\[0\] must be non-zero/);
      throwsTf(() => tf.stridedSlice(x, [0, 0, 0, 0], [1, 1, 1, 1]), IAE, /Index out of range using input dim 3/);
      throwsTf(() => tf.stridedSlice(x, [0, 0], [1, 1], [1, 1], { ellipsisMask: 3 }), IAE, /Multiple ellipses/);
      throwsTf(() => tf.stridedSlice(x, [0, 0], [1], [1, 1]), IAE, /1D equal size/);
      throwsTf(
        () =>
          inGraph(() => {
            const p = tf.placeholder("float32", [null, 3]);
            return { fetch: tf.stridedSlice(p, [-3], [0], [1], { shrinkAxisMask: 1 }), feed: [[p, M23]] };
          }),
        IAE,
        /slice index -3 of dimension 0 out of bounds/,
        /node StridedSlice/,
      );
    });
    it("has a gradient, and StridedSliceGrad has one too", () => {
      checkGradient((t) => tf.stridedSlice(t, [1, 0, 3], [2, 3, 0], [1, 2, -2], { shrinkAxisMask: 1 }), [R234]);
      checkGradient((t) => tf.stridedSlice(t, [0, 1], [0, 2], [1, 1], { ellipsisMask: 1, shrinkAxisMask: 2, newAxisMask: 0 }), [R234]);
      checkGradient((t) => tf.stridedSlice(t, [0, 0], [1, 0], [1, 1], { newAxisMask: 1, endMask: 2 }), [M23]);
      checkDynamicGradient((t) => tf.stridedSlice(t, [0, -1], [0, 0], [1, -1], { beginMask: 1, endMask: 3 }), [M23], [[null, 3]]);
      // Second order: the gradient of StridedSliceGrad is a StridedSlice.
      const tape2 = new tf.GradientTape();
      const t0 = f64(M23) as tf.EagerTensor;
      const w = f64([
        [1, 2],
        [3, 4],
      ]);
      const g = tape2.run(() => {
        tape2.watch(t0);
        const inner = new tf.GradientTape();
        const y = inner.run(() => {
          inner.watch(t0);
          return tf.reduceSum(tf.multiply(tf.square(tf.stridedSlice(t0, [0, 1], [2, 3])), w));
        });
        return tf.reduceSum(inner.gradient(y, t0) as T);
      });
      // d/dx sum(2 * x[:, 1:3] * w) = 2w placed at [:, 1:3].
      assert.deepEqual(arr(tape2.gradient(g, t0) as T), [
        [0, 2, 4],
        [0, 6, 8],
      ]);
    });
  });

  // ---------------------------------------------------------------- GatherV2, UnsortedSegmentSum

  describe("gather", () => {
    it("gathers along an axis", () => {
      const x = tf.constant(M23);
      assert.deepEqual(arr(tf.gather(x, [1, 0, 1])), [
        [4, 5, 6],
        [1, 2, 3],
        [4, 5, 6],
      ]);
      assert.deepEqual(arr(tf.gather(x, [2, 0], { axis: 1 })), [
        [3, 1],
        [6, 4],
      ]);
      assert.deepEqual(arr(tf.gather(x, [[2], [1]], null, -1)), [
        [[3], [2]],
        [[6], [5]],
      ]);
      assert.deepEqual(arr(tf.gather(x, 1)), [4, 5, 6]);
      assert.deepEqual(arr(tf.gather(x, tf.constant([1n, 0n]))), [
        [4, 5, 6],
        [1, 2, 3],
      ]);
      assert.deepEqual(arr(tf.gather(tf.constant(["a", "b", "c"]), [2, 2, 0])), ["c", "c", "a"]);
      assert.deepEqual(arr(tf.gather(tf.constant([7n, 8n]), [1])), [8n]);
    });
    it("supports batch_dims", () => {
      const x = tf.constant(R234);
      // out[b, i, k] = x[b, idx[b, i], k]
      const g = tf.gather(
        x,
        [
          [2, 0],
          [1, 1],
        ],
        { batchDims: 1 },
      );
      assert.deepEqual(g.shape, [2, 2, 4]);
      assert.deepEqual(arr(g), [
        [R234[0][2], R234[0][0]],
        [R234[1][1], R234[1][1]],
      ]);
      // axis 2 with batch_dims 1: out[b, j, i] = x[b, j, idx[b, i]]
      const h = tf.gather(x, [[3], [0]], { axis: 2, batchDims: 1 });
      assert.deepEqual(arr(h), [
        [[3.5], [7.5], [11.5]],
        [[12.5], [16.5], [20.5]],
      ]);
    });
    it("infers shapes with unknown dims", () => {
      assert.deepEqual(
        graphShape(() => tf.gather(tf.placeholder("float32", [null, 5]), tf.placeholder("int32", [2, null]))),
        [2, null, 5],
      );
      assert.deepEqual(
        graphShape(() => tf.gather(tf.placeholder("float32", [4, 5, 6]), [0], { axis: -2 })),
        [4, 1, 6],
      );
      assert.equal(
        graphShape(() => tf.gather(tf.placeholder("float32"), [0])),
        null,
      );
      assert.deepEqual(
        graphShape(() => tf.gather(tf.placeholder("float32", [3, 5]), [0, 1], { axis: tf.placeholder("int32", []) })),
        [null, null],
      );
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        const i = tf.placeholder("int32", [null]);
        return {
          fetch: tf.gather(p, i, { axis: 1 }),
          feed: [
            [p, M23],
            [i, [2]],
          ],
        };
      });
      assert.deepEqual(out, [[3], [6]]);
    });
    it("rejects out-of-range indices and axes", () => {
      throwsTf(() => tf.gather(tf.constant(M23), [[0, 2]]), IAE, /indices\[0,1\] = 2 is not in \[0, 2\)/, /Op:GatherV2/);
      throwsTf(() => tf.gather(tf.constant(M23), [-1]), IAE, /indices\[0\] = -1 is not in \[0, 2\)/);
      throwsTf(() => tf.gather(tf.constant(M23), [0], { axis: 2 }), IAE, /Expected axis in the range \[-2, 2\), but got 2/, /\[2,3\]/);
      throwsTf(() => tf.gather(tf.constant(M23), [0.5]), IAE, /Tindices/);
      throwsTf(() => tf.gather(tf.constant(M23), [[0]], { axis: 0, batchDims: 1 }), IAE, /batch_dims \(1\) must be less than or equal to axis \(0\)/);
      throwsTf(
        () =>
          inGraph(() => {
            const i = tf.placeholder("int32", [null]);
            return { fetch: tf.gather(tf.constant(M23), i), feed: [[i, [5]]] };
          }),
        IAE,
        /indices\[0\] = 5 is not in \[0, 2\)/,
        /node GatherV2/,
      );
    });
    it("has gradients (repeated indices sum)", () => {
      checkGradient((x) => tf.gather(x, [1, 0, 1]), [M23]);
      checkGradient(
        (x) =>
          tf.gather(
            x,
            [
              [2, 0],
              [2, 2],
            ],
            { axis: 1 },
          ),
        [M23],
      );
      checkGradient((x) => tf.gather(x, [3, 3, 1], { axis: 2 }), [R234]);
      checkGradient(
        (x) =>
          tf.gather(
            x,
            [
              [2, 0],
              [1, 1],
            ],
            { batchDims: 1 },
          ),
        [R234],
      );
      checkGradient((x) => tf.gather(x, [[3], [0]], { axis: 2, batchDims: 1 }), [R234]);
      checkGradient((x) => tf.gather(x, 1, { axis: 1 }), [R234]);
      checkDynamicGradient((x) => tf.gather(x, [1, 1]), [M23], [[null, 3]]);
      checkDynamicGradient((x) => tf.gather(x, [2, 0], { axis: 1 }), [M23], [[null, null]]);
      checkDynamicGradient((x) => tf.gather(x, [0, 0]), [M23], [null]);
      checkDynamicGradient((x) => tf.gather(x, [[3], [0]], { axis: 2, batchDims: 1 }), [R234], [[null, null, 4]]);
      checkDynamicGradient(
        (x) =>
          tf.gather(
            x,
            [
              [2, 0],
              [1, 1],
            ],
            { batchDims: 1 },
          ),
        [R234],
        [[2, null, null]],
      );
    });
  });

  describe("compat.v1.where (TensorFlow 1's Select)", () => {
    it("selects elementwise, by scalar, or whole rows by a vector condition", () => {
      const x = tf.constant([
        [1, 2],
        [3, 4],
      ]);
      const y = tf.constant([
        [5, 6],
        [7, 8],
      ]);
      assert.deepEqual(arr(tf.compat.v1.where([true, false], x, y)), [
        [1, 2],
        [7, 8],
      ]);
      assert.deepEqual(
        arr(
          tf.compat.v1.where(
            [
              [true, false],
              [false, true],
            ],
            x,
            y,
          ),
        ),
        [
          [1, 6],
          [7, 4],
        ],
      );
      assert.deepEqual(arr(tf.compat.v1.where(false, x, y)), arr(y));
      assert.throws(
        () => tf.compat.v1.where([true, false], x, [5, 6]),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /Select/.test(e.message),
      );
      assert.throws(() => tf.compat.v1.where([true, false, true], x, y), tf.errors.InvalidArgumentError);
    });
    it("gradients flow to the chosen side only", () => {
      checkGradient(
        (a, b) => tf.square(tf.compat.v1.where([false, true], a, b)),
        [
          [
            [1, 2],
            [3, 4],
          ],
          [
            [5, 6],
            [7, 8],
          ],
        ],
      );
    });
  });

  describe("dynamicStitch", () => {
    it("places each data row at its index, later pairs winning (TensorFlow's example)", () => {
      const r = tf.dynamicStitch(
        [
          tf.constant([6], { dtype: "int32" }),
          tf.constant(
            [
              [4, 1],
              [5, 2],
            ],
            { dtype: "int32" },
          ),
          tf.constant([[0, 3]], { dtype: "int32" }),
        ],
        [
          tf.constant([[61, 62]]),
          tf.constant([
            [
              [41, 42],
              [11, 12],
            ],
            [
              [51, 52],
              [21, 22],
            ],
          ]),
          tf.constant([
            [
              [1, 2],
              [31, 32],
            ],
          ]),
        ],
      );
      assert.deepEqual(arr(r), [
        [1, 2],
        [11, 12],
        [21, 22],
        [31, 32],
        [41, 42],
        [51, 52],
        [61, 62],
      ]);
      assert.deepEqual(arr(tf.dynamicStitch([[0, 1], [1]], [[1, 2], [9]])), [1, 9]);
    });
    it("infers its shape in graphs, and rejects mismatched shapes and negative indices", () => {
      assert.deepEqual(
        graphShape(() =>
          tf.dynamicStitch(
            [tf.placeholder("int32", [null]), tf.placeholder("int32", [3])],
            [tf.placeholder("float32", [null, 4]), tf.placeholder("float32", [3, 4])],
          ),
        ),
        [null, 4],
      );
      assert.deepEqual(
        graphShape(() => tf.dynamicStitch([[0, 2], [1]], [tf.placeholder("float32", [2, 5]), tf.placeholder("float32", [1, 5])])),
        [3, 5],
      );
      assert.throws(
        () => tf.dynamicStitch([[0, 1]], [[1, 2, 3]]),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /DynamicStitch/.test(e.message),
      );
      assert.throws(
        () => tf.dynamicStitch([[0, -1]], [[1, 2]]),
        (e: Error) => e instanceof tf.errors.InvalidArgumentError && /non-negative/.test(e.message),
      );
      assert.throws(() => tf.dynamicStitch([[0]], [[1], [2]]), tf.errors.InvalidArgumentError);
    });
    it("runs fed in a Session as eagerly", () => {
      withGraph(new tf.Graph(), () => {
        const i0 = tf.placeholder("int32", [null]);
        const d0 = tf.placeholder("float32", [null, 2]);
        const r = tf.dynamicStitch([i0, [0]], [d0, [[7, 8]]]);
        const sess = new tf.Session();
        const v = sess.run(
          r,
          new Map<tf.Tensor, unknown>([
            [i0, new Int32Array([2, 1])],
            [
              d0,
              [
                [1, 2],
                [3, 4],
              ],
            ],
          ]) as never,
        ) as tf.Tensor;
        assert.deepEqual(arr(v), [
          [7, 8],
          [3, 4],
          [1, 2],
        ]);
      });
    });
    it("gradients: each data row gets the gradient of the row it was written to", () => {
      checkGradient(
        (a, b) => tf.square(tf.dynamicStitch([[2, 0], [1]], [a, b])),
        [
          [
            [1, 2],
            [3, 4],
          ],
          [[5, 6]],
        ],
      );
    });
  });

  describe("unsortedSegmentSum", () => {
    it("sums rows per segment, dropping negative ids", () => {
      const d = tf.constant([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      assert.deepEqual(arr(tf.math.unsortedSegmentSum(d, [2, 0, 2], 3)), [
        [3, 4],
        [0, 0],
        [6, 8],
      ]);
      assert.deepEqual(arr(tf.unsortedSegmentSum(d, [-1, 1, 1], 2)), [
        [0, 0],
        [8, 10],
      ]);
      assert.deepEqual(
        arr(
          tf.unsortedSegmentSum(
            d,
            [
              [0, 1],
              [1, 1],
              [0, 0],
            ],
            2,
          ),
        ),
        [12, 9],
      );
      assert.deepEqual(arr(tf.unsortedSegmentSum(tf.constant([1n, 2n, 3n]), [0, 0, 1], 2)), [3n, 3n]);
      assert.deepEqual(arr(tf.unsortedSegmentSum(tf.constant([1, 2, 3], { dtype: "int32" }), tf.constant([1n, 1n, 0n]), 2)), [3, 3]);
    });
    it("infers shapes and rejects bad ids", () => {
      assert.deepEqual(
        graphShape(() => tf.unsortedSegmentSum(tf.placeholder("float32", [null, 4]), tf.placeholder("int32", [null]), 7)),
        [7, 4],
      );
      throwsTf(() => tf.unsortedSegmentSum(tf.constant([1, 2]), [0, 3], 3), IAE, /segment_ids\[1\] = 3 is out of range \[0, 3\)/);
      throwsTf(() => tf.unsortedSegmentSum(tf.constant([[1, 2]]), [0, 1], 3), IAE, /does not start with segment_ids\.shape = \[2\]/);
    });
    it("has a gradient", () => {
      checkGradient(
        (x) => tf.unsortedSegmentSum(x, [2, -1, 2], 4),
        [
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
        ],
      );
    });
  });

  // ---------------------------------------------------------------- Tile, Pad

  describe("tile", () => {
    it("repeats the input", () => {
      assert.deepEqual(arr(tf.tile(tf.constant([[1, 2]]), [2, 3])), [
        [1, 2, 1, 2, 1, 2],
        [1, 2, 1, 2, 1, 2],
      ]);
      assert.deepEqual(tf.tile(tf.constant(M23), [0, 2]).shape, [0, 6]);
      assert.deepEqual(arr(tf.tile(tf.constant(["a", "b"]), [2])), ["a", "b", "a", "b"]);
      assert.deepEqual(arr(tf.tile(tf.constant([[1n]]), tf.constant([1n, 2n]))), [[1n, 1n]]);
    });
    it("infers shapes and rejects bad multiples", () => {
      assert.deepEqual(
        graphShape(() => tf.tile(tf.placeholder("float32", [null, 3]), [2, 2])),
        [null, 6],
      );
      assert.deepEqual(
        graphShape(() => tf.tile(tf.placeholder("float32", [4, 3]), tf.placeholder("int32", [2]))),
        [null, null],
      );
      throwsTf(() => tf.tile(tf.constant(M23), [2]), IAE, /vector of length 2 but got length 1/, /\[2,3\]/, /Op:Tile/);
      throwsTf(() => tf.tile(tf.constant(M23), [1, -1]), IAE, /multiples\[1\] >= 0/);
    });
    it("has a gradient", () => {
      checkGradient((x) => tf.tile(x, [2, 1, 3]), [R234]);
      checkDynamicGradient((x) => tf.tile(x, [3, 2]), [M23], [[null, 3]]);
    });
  });

  describe("pad", () => {
    it("pads with zeros or a constant", () => {
      assert.deepEqual(
        arr(
          tf.pad(tf.constant([[1, 2]]), [
            [1, 0],
            [0, 2],
          ]),
        ),
        [
          [0, 0, 0, 0],
          [1, 2, 0, 0],
        ],
      );
      assert.deepEqual(arr(tf.pad(tf.constant([1, 2]), [[1, 1]], "CONSTANT", 9)), [9, 1, 2, 9]);
      assert.deepEqual(arr(tf.pad(tf.constant(["a"]), [[1, 0]])), ["", "a"]);
      assert.deepEqual(arr(tf.pad(tf.constant([5n]), [[0, 1]], { constantValues: 7n })), [5n, 7n]);
    });
    it("mirrors (REFLECT, SYMMETRIC)", () => {
      const x = tf.constant(M23);
      assert.deepEqual(
        arr(
          tf.pad(
            x,
            [
              [1, 1],
              [2, 2],
            ],
            "REFLECT",
          ),
        ),
        [
          [6, 5, 4, 5, 6, 5, 4],
          [3, 2, 1, 2, 3, 2, 1],
          [6, 5, 4, 5, 6, 5, 4],
          [3, 2, 1, 2, 3, 2, 1],
        ],
      );
      assert.deepEqual(
        arr(
          tf.pad(
            x,
            [
              [1, 1],
              [2, 2],
            ],
            "symmetric",
          ),
        ),
        [
          [2, 1, 1, 2, 3, 3, 2],
          [2, 1, 1, 2, 3, 3, 2],
          [5, 4, 4, 5, 6, 6, 5],
          [5, 4, 4, 5, 6, 6, 5],
        ],
      );
    });
    it("names nodes and infers shapes", () => {
      withGraph(new tf.Graph(), () => {
        const p = tf.placeholder("float32", [null, 3]);
        const a = tf.pad(p, [
          [1, 1],
          [0, 2],
        ]) as tf.SymbolicTensor;
        assert.deepEqual(a.shape, [null, 5]);
        assert.equal(a.op.name, "Pad");
        assert.equal(
          (
            tf.pad(
              p,
              [
                [1, 1],
                [0, 2],
              ],
              { constantValues: 1 },
            ) as tf.SymbolicTensor
          ).op.type,
          "PadV2",
        );
        assert.equal(
          (
            tf.pad(
              p,
              [
                [1, 1],
                [0, 2],
              ],
              "REFLECT",
            ) as tf.SymbolicTensor
          ).op.type,
          "MirrorPad",
        );
        assert.deepEqual(tf.pad(p, tf.placeholder("int32", [2, 2])).shape, [null, null]);
      });
    });
    it("rejects bad paddings", () => {
      throwsTf(() => tf.pad(tf.constant(M23), [[1, 1]]), IAE, /first dimension of paddings must be the rank of inputs/, /\[2,3\]/, /Op:Pad/);
      throwsTf(
        () =>
          tf.pad(tf.constant(M23), [
            [1, -1],
            [0, 0],
          ]),
        IAE,
        /Paddings must be non-negative: 1 -1/,
      );
      throwsTf(
        () =>
          tf.pad(
            tf.constant(M23),
            [
              [2, 0],
              [0, 0],
            ],
            "REFLECT",
          ),
        IAE,
        /must be less than the dimension size: 2, 0 not less than 2/,
        /MirrorPad/,
      );
      throwsTf(
        () =>
          tf.pad(
            tf.constant(M23),
            [
              [0, 0],
              [0, 0],
            ],
            "WRAP",
          ),
        IAE,
        /Unknown padding mode/,
      );
    });
    it("has gradients", () => {
      checkGradient(
        (x) =>
          tf.pad(x, [
            [1, 0],
            [2, 1],
          ]),
        [M23],
      );
      checkGradient(
        (x) =>
          tf.pad(
            x,
            [
              [1, 0],
              [2, 1],
            ],
            "CONSTANT",
            3,
          ),
        [M23],
      );
      checkGradient(
        (x) =>
          tf.pad(
            x,
            [
              [1, 1],
              [2, 2],
            ],
            "REFLECT",
          ),
        [M23],
      );
      checkGradient(
        (x) =>
          tf.pad(
            x,
            [
              [0, 2],
              [3, 1],
              [1, 0],
            ],
            "SYMMETRIC",
          ),
        [R234],
      );
      checkDynamicGradient(
        (x) =>
          tf.pad(x, [
            [1, 0],
            [2, 1],
          ]),
        [M23],
        [[null, 3]],
      );
      checkDynamicGradient(
        (x) =>
          tf.pad(x, [
            [1, 0],
            [2, 1],
          ]),
        [M23],
        [null],
      );
    });
  });

  // ---------------------------------------------------------------- OneHot, Range, LinSpace

  describe("oneHot", () => {
    it("encodes indices", () => {
      const t = tf.oneHot([0, 2, -1, 5], 3);
      assert.equal(t.dtype, "float32");
      assert.deepEqual(arr(t), [
        [1, 0, 0],
        [0, 0, 1],
        [0, 0, 0],
        [0, 0, 0],
      ]);
      assert.deepEqual(arr(tf.oneHot([1, 0], 2, { axis: 0 })), [
        [0, 1],
        [1, 0],
      ]);
      assert.deepEqual(arr(tf.oneHot([[1], [0]], 2, 5, -1)), [[[-1, 5]], [[5, -1]]]);
      const i = tf.oneHot(tf.constant([1n]), 2, { dtype: "int32" });
      assert.equal(i.dtype, "int32");
      assert.deepEqual(arr(i), [[0, 1]]);
      assert.deepEqual(arr(tf.oneHot([1], 2, { onValue: tf.constant(true), offValue: tf.constant(false) })), [[false, true]]);
    });
    it("infers shapes, names its node and rejects bad arguments", () => {
      withGraph(new tf.Graph(), () => {
        const t = tf.oneHot(tf.placeholder("int32", [null]), 4) as tf.SymbolicTensor;
        assert.deepEqual(t.shape, [null, 4]);
        assert.equal(t.op.name, "one_hot");
        assert.deepEqual(tf.oneHot(tf.placeholder("int32", [2, 3]), 4, { axis: 1 }).shape, [2, 4, 3]);
      });
      throwsTf(() => tf.oneHot([0], 2, { axis: 3 }), IAE, /Expected axis to be -1 or between \[0, 2\)/);
      throwsTf(() => tf.oneHot([0], -1), IAE, /depth must be non-negative/);
      throwsTf(() => tf.oneHot(tf.constant([0.5]), 2), IAE, /OneHot/);
    });
  });

  describe("eye", () => {
    it("builds identity matrices, rectangular and batched, in any numeric dtype", () => {
      assert.deepEqual(arr(tf.eye(2)), [
        [1, 0],
        [0, 1],
      ]);
      assert.deepEqual(arr(tf.eye(2, 3, { dtype: "int32" })), [
        [1, 0, 0],
        [0, 1, 0],
      ]);
      const b = tf.eye(3, 2, [2], "int64");
      assert.deepEqual(b.shape, [2, 3, 2]);
      assert.deepEqual(arr(b), [
        [
          [1n, 0n],
          [0n, 1n],
          [0n, 0n],
        ],
        [
          [1n, 0n],
          [0n, 1n],
          [0n, 0n],
        ],
      ]);
      assert.deepEqual(tf.eye(0).shape, [0, 0]);
      // A buffer recycled from an earlier tensor must not leak its values into the zeros.
      tf.dispose(tf.fill([64], 7));
      assert.equal(tf.reduceSum(tf.eye(8)).dataSync()[0], 8);
    });
    it("rejects sizes that are not non-negative integers and the string dtype", () => {
      throwsTf(() => tf.eye(-1), IAE, /num_rows must be a non-negative integer, got -1/);
      throwsTf(() => tf.eye(2, 1.5), IAE, /num_columns/);
      throwsTf(() => tf.eye(2, 2, [-3]), IAE, /batch_shape\[0\]/);
      throwsTf(() => tf.eye(2, { dtype: "string" }), IAE, /string/);
    });
  });

  describe("range and linspace", () => {
    it("range follows Python's range and TensorFlow's dtype rule", () => {
      const r = tf.range(5);
      assert.equal(r.dtype, "int32");
      assert.deepEqual(arr(r), [0, 1, 2, 3, 4]);
      assert.deepEqual(arr(tf.range(2, 11, 3)), [2, 5, 8]);
      assert.deepEqual(arr(tf.range(5, 0, -2)), [5, 3, 1]);
      assert.deepEqual(arr(tf.range(3, 3)), []);
      const f = tf.range(0, 1, 0.25);
      assert.equal(f.dtype, "float32");
      assert.deepEqual(arr(f), [0, 0.25, 0.5, 0.75]);
      assert.equal(tf.range(3, { dtype: "float64" }).dtype, "float64");
      assert.equal(tf.range(tf.constant(3n)).dtype, "int64");
      assert.deepEqual(arr(tf.range(tf.constant(3n))), [0n, 1n, 2n]);
      assert.equal(tf.range(tf.constant(2, { dtype: "int32" }), 4.5).dtype, "float32");
      assert.deepEqual(arr(tf.range(1, 2.2, 0.5)), [1, 1.5, 2]);
    });
    it("range infers its length and names its node", () => {
      withGraph(new tf.Graph(), () => {
        const r = tf.range(10, 0, -3) as tf.SymbolicTensor;
        assert.deepEqual(r.shape, [4]);
        assert.equal(r.op.name, "range");
        assert.deepEqual(tf.range(tf.placeholder("int32", [])).shape, [null]);
      });
      const out = inGraph(() => {
        const n = tf.placeholder("int32", []);
        return { fetch: tf.range(n), feed: [[n, 3]] };
      });
      assert.deepEqual(out, [0, 1, 2]);
    });
    it("range rejects bad arguments", () => {
      throwsTf(() => tf.range(0, 5, 0), IAE, /Requires delta != 0/, /Op:Range/);
      throwsTf(() => tf.range(5, 0), IAE, /Requires start <= limit when delta > 0: 5\/0/);
      throwsTf(() => tf.range(0, 5, -1), IAE, /Requires start >= limit when delta < 0/);
    });
    it("linspace", () => {
      assertClose(arr(tf.linspace(0, 1, 5)), [0, 0.25, 0.5, 0.75, 1]);
      assertClose(arr(tf.linspace(10, 12, 1)), [10]);
      assert.equal(tf.linspace(f64(0), f64(1), 3).dtype, "float64");
      assert.deepEqual(
        graphShape(() => tf.linspace(0, 1, 7)),
        [7],
      );
      assert.deepEqual(
        graphShape(() => tf.linspace(0, 1, tf.placeholder("int32", []))),
        [null],
      );
      throwsTf(() => tf.linspace(0, 1, 0), IAE, /Requires num > 0: 0/, /LinSpace/);
      checkGradient((a, b) => tf.linspace(a, b, 4), [1.5, -2]);
      checkGradient((a, b) => tf.linspace(a, b, 1), [1.5, -2]);
    });
  });

  // ---------------------------------------------------------------- Size, Rank, ReverseV2

  describe("size, rank and reverse", () => {
    it("size and rank", () => {
      const x = tf.constant(R234);
      assert.equal(arr(tf.size(x)), 24);
      assert.equal(tf.size(x, "int64").dtype, "int64");
      assert.equal(arr(tf.rank(x)), 3);
      withGraph(new tf.Graph(), () => {
        const s = tf.size(tf.placeholder("float32", [2, 3])) as tf.SymbolicTensor;
        assert.equal(s.op.type, "Const"); // TensorFlow folds a known size
        assert.equal(s.op.name, "Size");
        const d = tf.size(tf.placeholder("float32", [null, 3])) as tf.SymbolicTensor;
        assert.equal(d.op.type, "Size");
        assert.deepEqual(d.shape, []);
        assert.equal((tf.rank(tf.placeholder("float32")) as tf.SymbolicTensor).op.type, "Rank");
      });
      const out = inGraph(() => {
        const p = tf.placeholder("float32");
        return { fetch: [tf.size(p), tf.rank(p)], feed: [[p, M23]] };
      });
      assert.deepEqual(out, [6, 2]);
    });
    it("reverse", () => {
      const x = tf.constant(M23);
      assert.deepEqual(arr(tf.reverse(x, [1])), [
        [3, 2, 1],
        [6, 5, 4],
      ]);
      assert.deepEqual(arr(tf.reverse(x, [0, -1])), [
        [6, 5, 4],
        [3, 2, 1],
      ]);
      assert.deepEqual(arr(tf.reverse(x, 0)), [
        [4, 5, 6],
        [1, 2, 3],
      ]);
      assert.deepEqual(arr(tf.reverse(tf.constant(["a", "b"]), [0])), ["b", "a"]);
      assert.deepEqual(
        graphShape(() => tf.reverse(tf.placeholder("float32", [null, 3]), [1])),
        [null, 3],
      );
      throwsTf(() => tf.reverse(x, [2]), IAE, /'axis'\[0\] = 2 is out of valid range/, /ReverseV2/);
      throwsTf(() => tf.reverse(x, [1, -1]), IAE, /axis 1 specified more than once/);
      checkGradient((t) => tf.reverse(t, [0, 2]), [R234]);
    });
  });

  // ---------------------------------------------------------------- composition

  describe("array ops together", () => {
    it("a graph mixing them trains through tf.gradients", () => {
      checkGradient(
        (x, y) =>
          tf.gather(
            tf.transpose(
              tf.concat(
                [
                  tf.tile(x, [1, 2]),
                  tf.pad(y, [
                    [0, 0],
                    [1, 0],
                  ]),
                ],
                1,
              ),
            ),
            [0, 3, 3, 5],
          ),
        [
          M23,
          [
            [1, 2],
            [3, 4],
          ],
        ],
      );
    });
    it("leaves no eager buffers behind in tidy", () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const x = tf.constant(R234);
        tf.split(tf.transpose(x), 2, 2);
        tf.unstack(x);
        tf.stridedSlice(x, [0], [1]);
      });
      assert.equal(tf.memory().numTensors, before);
    });
  });
});
