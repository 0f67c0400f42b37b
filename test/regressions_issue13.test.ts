/**
 * Issue 13, "What was seen": each case a hostile or careless caller hit, now a clean tf.errors.* error or a
 * correct result. Also issue 12 part 3 (option keys checked at run time, with "did you mean").
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";

type T = tf.Tensor;
const data = (t: T) => Array.from((t as tf.EagerTensor).dataSync() as ArrayLike<number>);

/** Asserts `fn` raises the tf.errors class `cls` whose message matches `re`. */
function raises(fn: () => unknown, cls: new (...a: never[]) => Error, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}
const INVALID = tf.errors.InvalidArgumentError;

/** Builds `build(p)` in a new graph with a placeholder of unknown shape (or `shape`), runs it with `feed` for p. */
function runInGraph(dtype: tf.DType, build: (p: T) => T | T[], feed: unknown, shape: tf.Shape = null): tf.EagerTensor[] {
  const g = new tf.Graph();
  return g.asDefault(() => {
    const p = tf.placeholder(dtype, shape);
    const out = build(p);
    const sess = new tf.Session({ graph: g });
    try {
      const r = sess.run(Array.isArray(out) ? out : [out], new Map([[p, feed]]) as never);
      return r as tf.EagerTensor[];
    } finally {
      sess.close();
    }
  });
}

describe("issue 13: sizes are validated before allocating", () => {
  it("shapes out of int32 range are errors, never wrapped", () => {
    raises(() => tf.zeros(1e10 as never), INVALID, /Fill: dims must hold int32 integers, got 10000000000/);
    raises(() => tf.randomUniform([1e10]), INVALID, /RandomUniform/);
    raises(() => tf.fill([1e10], 1), INVALID, /Fill/);
    raises(() => tf.fill(-2147483649 as never, "true"), INVALID, /Fill/);
    raises(() => tf.linspace(0, 1, 1e10), INVALID, /out of range/);
    raises(() => tf.linspace(Number.NaN, -5.25, 1e10), INVALID, /out of range/);
    raises(() => tf.tile(tf.ones([2]), [2 ** 34]), INVALID, /Tile: multiples must hold int32 integers/);
    raises(() => tf.pad(tf.ones([2]), [[2 ** 34, 0]]), INVALID, /Pad: paddings/);
    raises(() => tf.truncatedNormal([0, 21e9]), INVALID, /TruncatedNormal/);
  });
  it("a tile too large to allocate is refused at once, not built", () => {
    raises(() => tf.tile(tf.ones([2, 2]), [2 ** 20, 2 ** 20]), tf.errors.ResourceExhaustedError, /OOM when allocating tensor with shape\[2097152,2097152\]/);
  });
  it("a dimension is a non-negative integer", () => {
    raises(() => tf.zeros([1.5, 2]), INVALID, /dimension 0 of shape \[1.5,2\] is 1.5/);
    raises(() => tf.fill([0, -1], false), INVALID, /dimension 1 of shape \[0,-1\] is -1/);
    raises(() => tf.zeros([-1]), INVALID, /is -1/);
    raises(() => tf.zeros([Number.POSITIVE_INFINITY]), INVALID, /Infinity/);
    raises(() => tf.constant([1, 2], { shape: "2" as never }), INVALID, /tf.constant: argument "shape".*must be number\[\], got the string "2"/);
  });
  it("a tensor too large for the host is a ResourceExhaustedError before allocation", () => {
    raises(
      () => tf.image.resizeNearestNeighbor(tf.ones([1, 2, 2, 1]), [1e6, 1e6]),
      tf.errors.ResourceExhaustedError,
      /OOM when allocating tensor with shape\[1,1000000,1000000,1\]/,
    );
    raises(() => tf.zeros([2 ** 20, 2 ** 14]), tf.errors.ResourceExhaustedError, /OOM when allocating tensor/);
  });
});

describe("issue 13: state is never corrupted", () => {
  it("an int64 reduction leaves the buffer recycler handing out int64 arrays", () => {
    try {
      tf.tidy(() => tf.nn.moments(tf.zeros([4, 1, 4], "int64"), [1, 0, 2]));
    } catch (e) {
      assert.ok(e instanceof tf.errors.OpError, String(e));
    }
    const z = tf.zeros([16], "int64");
    assert.ok((z as tf.EagerTensor).dataSync() instanceof BigInt64Array);
    assert.deepEqual(tf.add(z, z).arraySync(), new Array(16).fill(0n));
  });
});

describe("issue 13: graphs check at run time what eager mode checks", () => {
  it("MatMul of fed shapes that do not multiply", () => {
    raises(
      () => runInGraph("int32", (p) => tf.matmul(p, tf.constant([[]], { dtype: "int32" })), tf.zeros([1, 0], "int32")),
      INVALID,
      /Matrix size-incompatible/,
    );
    raises(() => runInGraph("float32", (p) => tf.matmul(p, [[[[[[1]]]]]]), tf.ones([1, 2])), INVALID, /Matrix size-incompatible/);
  });
  it("convolutions, pools, fusedBatchNorm, LRN, concat, split, reshape and unstack of fed shapes they cannot take", () => {
    const rank4 = [null, null, null, null];
    const cases: [string, (p: T) => T | T[], T, tf.Shape, RegExp][] = [
      [
        "conv2d",
        (p) => tf.nn.conv2d(p, tf.ones([1, 1, 2, 1]), 1, "VALID"),
        tf.ones([1, 2, 2, 3]),
        null,
        /Conv2D: input depth must equal filter in_channels: 3 vs 2/,
      ],
      ["conv2d", (p) => tf.nn.conv2d(p, tf.ones([3, 3, 1, 1]), 1, "VALID"), tf.ones([1, 2, 2, 1]), null, /Conv2D: Negative dimension size/],
      ["maxPool", (p) => tf.nn.maxPool(p, 3, 1, "VALID"), tf.ones([1, 2, 2, 1]), rank4, /MaxPool: Negative dimension size/],
      ["avgPool", (p) => tf.nn.avgPool(p, 2, 1, "VALID"), tf.ones([1, 1, 1, 1]), rank4, /AvgPool: Negative dimension size/],
      [
        "fusedBatchNorm",
        (p) => tf.nn.fusedBatchNorm(p, tf.ones([2]), tf.zeros([2]))[0],
        tf.ones([1, 2, 2, 3]),
        null,
        /FusedBatchNormV3: scale must be a vector of size 3/,
      ],
      ["lrn", (p) => tf.nn.lrn(p), tf.ones([2, 2, 1]), null, /LRN: input must be 4-dimensional/],
      ["concat", (p) => tf.concat([p, tf.ones([2, 3])], 0), tf.ones([2, 2]), null, /ConcatOp : Dimension 1 in both shapes must be equal/],
      ["split", (p) => tf.split(p, 2, 0), tf.ones([3]), null, /Split: Number of ways to split should evenly divide the split dimension/],
      ["reshape", (p) => tf.reshape(p, [2, 2]), tf.ones([3]), null, /Input to reshape is a tensor with 3 values, but the requested shape has 4/],
      ["unstack", (p) => tf.unstack(p, { num: 2 }), tf.ones([3]), null, /Unpack: Dimension must be 2 but is 3/],
    ];
    for (const [what, build, feed, shape, re] of cases) {
      raises(() => build(feed), INVALID, re);
      assert.throws(
        () => runInGraph("float32", build, feed, shape),
        (e: unknown) => e instanceof INVALID && re.test(e.message),
        `${what} in a graph fed ${JSON.stringify(feed.shape)}`,
      );
    }
  });
  it("AddN of fed shapes that differ", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const p = tf.placeholder("float32", [null, null, null]);
      const q = tf.placeholder("float32", [2]);
      const sess = new tf.Session({ graph: g });
      raises(
        () =>
          sess.run(
            tf.addN([p, q]),
            new Map<T, unknown>([
              [
                p,
                [
                  [[1], [1]],
                  [[1], [1]],
                ],
              ],
              [q, [1, 1]],
            ]) as never,
          ),
        INVALID,
        /AddN/,
      );
      sess.close();
    });
  });
  it("moments of an empty fed input give NaN of the reduced shape, as eagerly", () => {
    const eager = tf.nn.moments(tf.zeros([0, 1, 1]), [0]);
    assert.deepEqual(eager[0].shape, [1, 1]);
    assert.ok(Number.isNaN(data(eager[0])[0]));
    const [mean, variance] = runInGraph("float32", (p) => tf.nn.moments(p, [0]), tf.zeros([0, 1, 1]));
    assert.deepEqual(mean.shape, [1, 1]);
    assert.ok(Number.isNaN(data(mean)[0]) && Number.isNaN(data(variance)[0]));
  });
  it("maxPool1d of an empty input has one shape in both modes", () => {
    const eager = tf.nn.maxPool1d(tf.zeros([1, 1, 0]), 1, 3, "SAME");
    const [graph] = runInGraph("float32", (p) => tf.nn.maxPool1d(p, 1, 3, "SAME"), tf.zeros([1, 1, 0]));
    assert.deepEqual(graph.shape, eager.shape);
  });
  it("resizeBilinear of a rank-3 input has a known static shape", () => {
    const g = new tf.Graph();
    const shape = g.asDefault(() => tf.image.resizeBilinear(tf.placeholder("float32", [2, 2, 1]), [1, 2]).shape);
    assert.deepEqual(shape, [1, 2, 1]);
  });
});

describe("issue 13: results are right", () => {
  it("reducing a scalar over an axis is an error, as in TensorFlow", () => {
    raises(() => tf.reduceSum(tf.constant(1), 0), INVALID, /Invalid reduction dimension 0 for input with 0 dimensions/);
    raises(() => tf.reduceMean(tf.constant(1), [0, 0]), INVALID, /Invalid reduction dimension/);
    assert.equal(tf.reduceSum(tf.constant(3)).arraySync(), 3);
  });
  it("reductions of empty inputs give the fold's identity", () => {
    assert.deepEqual(data(tf.reduceSum(tf.zeros([0, 1, 1]), [0])), [0]);
    assert.ok(Number.isNaN(data(tf.reduceMean(tf.zeros([0, 2]), [0]))[1]));
  });
  it("onesLike of strings is an error; logSoftmax keeps float64; size checks the graph", () => {
    raises(() => tf.onesLike(tf.constant(["a", "b"])), INVALID, /OnesLike/);
    assert.equal(tf.nn.logSoftmax(new Float64Array([1, 2]) as never).dtype, "float64");
    const t = new tf.Graph().asDefault(() => tf.placeholder("float32", [2]));
    raises(() => new tf.Graph().asDefault(() => tf.size(t)), INVALID, /same graph/);
  });
  it("int64 powers wrap as TensorFlow's do", () => {
    const r = tf.pow(tf.constant([2 ** 53, 3], { dtype: "int64" }), tf.constant([2 ** 32, 3], { dtype: "int64" }));
    assert.deepEqual(r.arraySync(), [0n, 27n]);
  });
});

describe("issue 13: dtypes and arguments are checked", () => {
  it("dtypes outside an op's type constraints", () => {
    raises(() => tf.truncatedNormal([1], { dtype: "int64" }), INVALID, /TruncatedNormal/);
    raises(() => tf.nn.fusedBatchNorm(tf.zeros([1, 1, 1, 1], "int64"), tf.zeros([1], "int64"), tf.zeros([1], "int64")), INVALID, /FusedBatchNorm/);
    raises(() => tf.nn.fusedBatchNorm(tf.constant([[[["a"]]]]), tf.constant(["a"]), tf.constant(["b"])), INVALID, /FusedBatchNorm/);
    raises(() => tf.cast(tf.constant(["a"]), "float32"), tf.errors.UnimplementedError, /Cast string to float is not supported/);
  });
  it("arguments of the wrong kind name the function and the argument", () => {
    raises(() => tf.concat(null as never, 0), INVALID, /tf.concat: argument "values".*must not be null/);
    raises(() => tf.stack(undefined as never), INVALID, /tf.stack: missing required argument "values"/);
    raises(() => tf.addN("SAME" as never), INVALID, /add_n: argument "inputs".*got the string "SAME"/);
    raises(() => tf.nn.maxPool(tf.ones([1, 4, 4, 1]), 3, null as never, "SAME"), INVALID, /max_pool: argument "strides".*must not be null/);
    raises(() => tf.nn.moments(tf.ones([2, 2]), { axes: null as never }), INVALID, /moments: argument "axes"/);
    raises(
      () => tf.nn.biasAdd(tf.ones([2, 2]), tf.ones([2]), 5 as never),
      INVALID,
      /bias_add: argument "dataFormat" \(data_format, position 2\) must be string, got 5/,
    );
    raises(() => tf.pad(tf.ones([2]), [[1, 1]], -1 as never), INVALID, /tf.pad: argument "mode"/);
    raises(() => tf.shape(tf.ones([2]), 1.5 as never), INVALID, /tf.shape: argument "outType"/);
    raises(() => tf.split(tf.ones([2]), { numOrSizeSplits: 1.5 }), INVALID, /num_split|numOrSizeSplits/);
    assert.deepEqual(tf.fill([], { value: 1 }).arraySync(), 1);
  });
});

describe("issue 12 part 3: option keys are checked, with did you mean", () => {
  const a = tf.ones([2, 3]);
  it("a snake_case key names its camelCase parameter", () => {
    raises(
      () => tf.matmul(a, a, { transpose_a: true } as never),
      INVALID,
      /tf.linalg.matmul: got an unexpected argument "transpose_a" \(did you mean "transposeA"\?/,
    );
    raises(() => tf.reduceSum(a, { keep_dims: true } as never), INVALID, /did you mean "keepDims"/);
  });
  it("a misspelled key names the nearest parameter", () => {
    raises(() => tf.reduceSum(a, { axes: 1 } as never), INVALID, /unexpected argument "axes" \(did you mean "axis"\?\)/);
    raises(() => tf.nn.conv2d(tf.ones([1, 3, 3, 1]), tf.ones([1, 1, 1, 1]), 1, "SAME", { dataformat: "NHWC" } as never), INVALID, /did you mean "dataFormat"/);
    raises(() => tf.constant(1, { nmae: "x" } as never), INVALID, /did you mean "name"/);
  });
  it("a key far from every name lists the valid names", () => {
    raises(() => tf.add(1, 2, { zzzzzz: 1 } as never), INVALID, /unexpected argument "zzzzzz"; valid names: x, y, name/);
  });
});
