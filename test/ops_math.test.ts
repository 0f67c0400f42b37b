import assert from "node:assert/strict";
import { describe, forEachDevice, it, withGraph } from "./util/devices.js";
import * as tf from "../src/index.js";
import { assertClose, checkGradient } from "./util/gradcheck.js";

type T = tf.Tensor;
const e = (t: tf.Tensor) => t as tf.EagerTensor;
const arr = (t: tf.Tensor) => e(t).arraySync();
const flat = (t: tf.Tensor) => Array.from(e(t).dataSync() as ArrayLike<number | bigint>);

/** Runs fn in a fresh graph; `feeds` maps placeholder specs to values. Returns the fetched values. */
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

// ---------------------------------------------------------------- elementwise: values

type Num = number;
type BinSpec = {
  fn: (a: tf.TensorLike, b: tf.TensorLike) => T;
  ref: (a: Num, b: Num) => Num | boolean;
  refBig?: (a: bigint, b: bigint) => bigint | boolean;
  dtypes: tf.DType[];
  /** Input overrides (e.g. non-negative exponents). */
  a?: Partial<Record<"float" | "int" | "uint8", number[]>>;
  b?: Partial<Record<"float" | "int" | "uint8", number[]>>;
};

const F: tf.DType[] = ["float32", "float64"];
const FI: tf.DType[] = ["float32", "float64", "int32", "int64", "uint8"];

const A = { float: [-2.5, -1, 0, 0.5, 3, 7.25], int: [-7, -1, 0, 2, 5, 7], uint8: [0, 1, 2, 5, 7, 200] };
const B = { float: [1.5, -4, 2, 0.25, -2, 3], int: [2, -4, 3, 1, -2, 3], uint8: [1, 4, 3, 1, 2, 3] };

const floorDivBig = (a: bigint, b: bigint) => {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};
const floorModBig = (a: bigint, b: bigint) => ((a % b) + b) % b;
const jsFloorMod = (a: number, b: number) => {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
};

const BINARY: Record<string, BinSpec> = {
  add: { fn: tf.add, ref: (a, b) => a + b, refBig: (a, b) => a + b, dtypes: FI },
  subtract: { fn: tf.subtract, ref: (a, b) => a - b, refBig: (a, b) => a - b, dtypes: FI },
  multiply: { fn: tf.multiply, ref: (a, b) => a * b, refBig: (a, b) => a * b, dtypes: FI },
  realdiv: { fn: tf.realdiv, ref: (a, b) => a / b, dtypes: F },
  floordiv: { fn: tf.floordiv, ref: (a, b) => Math.floor(a / b), refBig: floorDivBig, dtypes: FI },
  floormod: { fn: tf.floormod, ref: jsFloorMod, refBig: floorModBig, dtypes: FI },
  pow: {
    fn: tf.pow,
    ref: (a, b) => a ** b,
    refBig: (a, b) => a ** b,
    dtypes: FI,
    a: { float: [0.5, 1, 2, 3, 1.5, 4] },
    b: { int: [0, 1, 2, 3, 1, 2], uint8: [0, 1, 2, 3, 1, 2] },
  },
  // biome-ignore lint/complexity/useMathMinMax: Math.max takes no bigints
  maximum: { fn: tf.maximum, ref: Math.max, refBig: (a, b) => (a > b ? a : b), dtypes: FI },
  // biome-ignore lint/complexity/useMathMinMax: Math.min takes no bigints
  minimum: { fn: tf.minimum, ref: Math.min, refBig: (a, b) => (a < b ? a : b), dtypes: FI },
  squaredDifference: { fn: tf.squaredDifference, ref: (a, b) => (a - b) ** 2, refBig: (a, b) => (a - b) * (a - b), dtypes: FI },
  equal: {
    fn: tf.equal,
    ref: (a, b) => a === b,
    refBig: (a, b) => a === b,
    dtypes: FI,
    b: { float: [-2.5, 0, 0, 0.25, 3, 1], int: [-7, 0, 0, 1, 5, 1], uint8: [0, 0, 2, 1, 7, 1] },
  },
  notEqual: {
    fn: tf.notEqual,
    ref: (a, b) => a !== b,
    refBig: (a, b) => a !== b,
    dtypes: FI,
    b: { float: [-2.5, 0, 0, 0.25, 3, 1], int: [-7, 0, 0, 1, 5, 1], uint8: [0, 0, 2, 1, 7, 1] },
  },
  less: { fn: tf.less, ref: (a, b) => a < b, refBig: (a, b) => a < b, dtypes: FI },
  lessEqual: { fn: tf.lessEqual, ref: (a, b) => a <= b, refBig: (a, b) => a <= b, dtypes: FI, b: { int: [-7, 0, 0, 1, 5, 1] } },
  greater: { fn: tf.greater, ref: (a, b) => a > b, refBig: (a, b) => a > b, dtypes: FI },
  greaterEqual: { fn: tf.greaterEqual, ref: (a, b) => a >= b, refBig: (a, b) => a >= b, dtypes: FI, b: { int: [-7, 0, 0, 1, 5, 1] } },
};

/** The value a dtype stores for a JS number result (float32 rounding, int32/uint8 wrap-around). */
function stored(v: number | boolean, dtype: tf.DType): number | boolean {
  if (typeof v === "boolean") return v;
  switch (dtype) {
    case "float32":
      return Math.fround(v);
    case "int32":
      return v | 0;
    case "uint8":
      return v & 255;
    default:
      return v;
  }
}
const kind = (d: tf.DType) => (d === "float32" || d === "float64" ? "float" : d === "uint8" ? "uint8" : "int");

forEachDevice(() => {
  describe("elementwise binary ops: values per dtype", () => {
    for (const [name, spec] of Object.entries(BINARY)) {
      it(`${name}: ${spec.dtypes.join(", ")}`, () => {
        for (const dtype of spec.dtypes) {
          const k = kind(dtype);
          const av = spec.a?.[k] ?? A[k];
          const bv = spec.b?.[k] ?? B[k];
          const got = e(spec.fn(tf.constant(av, { dtype }), tf.constant(bv, { dtype })));
          const isCmp = typeof spec.ref(1, 2) === "boolean";
          assert.equal(got.dtype, isCmp ? "bool" : dtype, `${name} ${dtype}: output dtype`);
          assert.deepEqual(got.shape, [av.length]);
          const values = got.arraySync() as unknown[];
          if (dtype === "int64") {
            const want = av.map((a, i) => spec.refBig!(BigInt(a), BigInt(bv[i])));
            assert.deepEqual(values, want, `${name} int64`);
            continue;
          }
          const want = av.map((a, i) => {
            const fa = stored(a, dtype) as number;
            const fb = stored(bv[i], dtype) as number;
            return stored(spec.ref(fa, fb), dtype);
          });
          if (dtype === "float32") assertClose(values, want, 1e-6, `${name} float32`);
          else assert.deepEqual(values, want, `${name} ${dtype}`);
        }
      });
    }

    it("floordiv and floormod round toward -inf (Python semantics) for every sign combination", () => {
      for (const dtype of ["int32", "int64", "float32"] as const) {
        const a = tf.constant([7, -7, 7, -7], { dtype });
        const b = tf.constant([2, 2, -2, -2], { dtype });
        assert.deepEqual(flat(tf.floordiv(a, b)).map(Number), [3, -4, -4, 3], dtype);
        assert.deepEqual(flat(tf.floormod(a, b)).map(Number), [1, 1, -1, -1], dtype);
      }
      assertClose(arr(tf.floormod(tf.constant([5.5, -5.5]), 2)), [1.5, 0.5]);
    });

    it("integer division by zero is an InvalidArgumentError, float division gives inf", () => {
      for (const dtype of ["int32", "int64"] as const) {
        assert.throws(
          () => tf.floordiv(tf.constant([1, 2], { dtype }), tf.constant([1, 0], { dtype })),
          (err: Error) => err instanceof tf.errors.InvalidArgumentError && /Integer division by zero/.test(err.message),
        );
        assert.throws(() => tf.floormod(tf.constant([1], { dtype }), 0), tf.errors.InvalidArgumentError);
      }
      assert.deepEqual(arr(tf.realdiv(tf.constant([1, -1, 0]), 0)), [Infinity, -Infinity, NaN]);
    });

    it("integer pow to a negative power is an InvalidArgumentError", () => {
      assert.throws(() => tf.pow(tf.constant([2], "int32"), -1), /Integers to negative integer powers are not allowed/);
      assert.throws(() => tf.pow(tf.constant([2n], "int64"), tf.constant([-1n], "int64")), tf.errors.InvalidArgumentError);
      assertClose(arr(tf.pow(tf.constant([2, 4]), -1)), [0.5, 0.25]);
    });

    it("int32 arithmetic wraps around and int64 stays exact", () => {
      assert.deepEqual(arr(tf.add(tf.constant([2147483647], "int32"), 1)), [-2147483648]);
      assert.deepEqual(arr(tf.multiply(tf.constant([65536], "int32"), 65536)), [0]);
      assert.deepEqual(arr(tf.multiply(tf.constant([3037000499n], "int64"), 3037000499n)), [9223372030926249001n]);
      assert.deepEqual(arr(tf.subtract(tf.constant([0], "uint8"), 1)), [255]);
    });

    it("maximum and minimum propagate NaN", () => {
      const x = tf.constant([NaN, 1, 2]);
      const y = tf.constant([1, NaN, 3]);
      assertClose(arr(tf.maximum(x, y)), [NaN, NaN, 3]);
      assertClose(arr(tf.minimum(x, y)), [NaN, NaN, 2]);
    });

    it("divide: floats divide, integers become float64 (uint8 -> float32), mismatched dtypes throw", () => {
      assertClose(arr(tf.divide(tf.constant([1, 3]), tf.constant([2, 4]))), [0.5, 0.75]);
      const q = e(tf.divide(tf.constant([7, -7], "int32"), 2));
      assert.equal(q.dtype, "float64");
      assert.deepEqual(q.arraySync(), [3.5, -3.5]);
      assert.equal(e(tf.divide(tf.constant([7n], "int64"), tf.constant([2n], "int64"))).dtype, "float64");
      assert.equal(e(tf.divide(tf.constant([7], "uint8"), 2)).dtype, "float32");
      assert.throws(() => tf.divide(tf.constant([1], "int32"), tf.constant([1.5])), tf.errors.InvalidArgumentError);
      assert.equal(e(tf.truediv(tf.constant([1], "float64"), 3)).dtype, "float64");
    });

    it("comparisons and logical ops give bool tensors; equal works on strings and bools", () => {
      const c = e(tf.less(tf.constant([1, 5, 3], "int32"), 3));
      assert.equal(c.dtype, "bool");
      assert.deepEqual(c.arraySync(), [true, false, false]);
      assert.deepEqual(arr(tf.equal(tf.constant(["a", "b"]), tf.constant(["a", "c"]))), [true, false]);
      assert.deepEqual(arr(tf.notEqual(tf.constant([true, false]), tf.constant([true, true]))), [false, true]);
      const p = tf.constant([true, true, false, false]);
      const q = tf.constant([true, false, true, false]);
      assert.deepEqual(arr(tf.logicalAnd(p, q)), [true, false, false, false]);
      assert.deepEqual(arr(tf.logicalOr(p, q)), [true, true, true, false]);
      assert.deepEqual(arr(tf.logicalXor(p, q)), [false, true, true, false]);
      assert.deepEqual(arr(tf.logicalNot(p)), [false, false, true, true]);
      assert.equal(e(tf.logicalAnd(p, q)).dtype, "bool");
      assert.throws(() => tf.less(tf.constant([true]), tf.constant([false])), /not in the list of allowed values/);
      assert.throws(() => tf.logicalAnd(tf.constant([1]), tf.constant([0])), /not in the list of allowed values/);
    });
  });

  type UnSpec = {
    fn: (x: tf.TensorLike) => T;
    ref: (x: number) => number | boolean;
    refBig?: (x: bigint) => bigint;
    dtypes: tf.DType[];
    x?: number[];
    xi?: number[];
  };
  const XF = [-2.5, -1.5, -0.3, 0, 0.5, 2.5, 7];
  const XI = [-7, -1, 0, 2, 5, 9];
  const POS = [0.1, 0.5, 1, 2.5, 9];
  const round = (x: number) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  const UNARY: Record<string, UnSpec> = {
    negative: { fn: tf.negative, ref: (x) => -x, refBig: (x) => -x, dtypes: ["float32", "float64", "int32", "int64"] },
    abs: { fn: tf.abs, ref: Math.abs, refBig: (x) => (x < 0n ? -x : x), dtypes: ["float32", "float64", "int32", "int64"] },
    square: { fn: tf.square, ref: (x) => x * x, refBig: (x) => x * x, dtypes: FI, xi: [-7, -1, 0, 2, 5, 9] },
    sqrt: { fn: tf.sqrt, ref: Math.sqrt, dtypes: F, x: POS },
    rsqrt: { fn: tf.rsqrt, ref: (x) => 1 / Math.sqrt(x), dtypes: F, x: POS },
    exp: { fn: tf.exp, ref: Math.exp, dtypes: F },
    log: { fn: tf.log, ref: Math.log, dtypes: F, x: POS },
    log1p: { fn: tf.log1p, ref: Math.log1p, dtypes: F, x: [-0.5, 0, 1e-10, 2] },
    expm1: { fn: tf.expm1, ref: Math.expm1, dtypes: F, x: [-0.5, 0, 1e-10, 2] },
    sin: { fn: tf.sin, ref: Math.sin, dtypes: F },
    cos: { fn: tf.cos, ref: Math.cos, dtypes: F },
    tanh: { fn: tf.tanh, ref: Math.tanh, dtypes: F },
    sigmoid: { fn: tf.sigmoid, ref: (x) => 1 / (1 + Math.exp(-x)), dtypes: F },
    relu: { fn: tf.nn.relu, ref: (x) => Math.max(x, 0), refBig: (x) => (x > 0n ? x : 0n), dtypes: FI },
    relu6: { fn: tf.nn.relu6, ref: (x) => Math.min(Math.max(x, 0), 6), refBig: (x) => (x < 0n ? 0n : x > 6n ? 6n : x), dtypes: FI },
    elu: { fn: tf.nn.elu, ref: (x) => (x > 0 ? x : Math.exp(x) - 1), dtypes: F },
    softplus: { fn: tf.nn.softplus, ref: (x) => Math.log(1 + Math.exp(x)), dtypes: F },
    sign: {
      fn: tf.sign,
      ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
      refBig: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n),
      dtypes: ["float32", "float64", "int32", "int64"],
    },
    reciprocal: { fn: tf.reciprocal, ref: (x) => 1 / x, dtypes: F, x: [-2, -0.5, 0.25, 3] },
    floor: { fn: tf.floor, ref: Math.floor, dtypes: F },
    ceil: { fn: tf.ceil, ref: Math.ceil, dtypes: F },
    round: {
      fn: tf.round,
      ref: round,
      refBig: (x) => x,
      dtypes: ["float32", "float64", "int32", "int64"],
      x: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6, 3.7],
    },
    isNan: { fn: tf.math.isNan, ref: Number.isNaN, dtypes: F, x: [NaN, 0, Infinity, -1] },
    isInf: { fn: tf.math.isInf, ref: (x) => x === Infinity || x === -Infinity, dtypes: F, x: [NaN, 0, Infinity, -Infinity] },
    isFinite: { fn: tf.math.isFinite, ref: Number.isFinite, dtypes: F, x: [NaN, 0, Infinity, -Infinity, 3] },
  };

  describe("elementwise unary ops: values per dtype", () => {
    for (const [name, spec] of Object.entries(UNARY)) {
      it(`${name}: ${spec.dtypes.join(", ")}`, () => {
        for (const dtype of spec.dtypes) {
          const isFloat = dtype === "float32" || dtype === "float64";
          const xs = isFloat ? (spec.x ?? XF) : (spec.xi ?? XI).map((v) => (dtype === "uint8" ? Math.abs(v) : v));
          const got = e(spec.fn(tf.constant(xs, { dtype })));
          const isPred = typeof spec.ref(1) === "boolean";
          assert.equal(got.dtype, isPred ? "bool" : dtype, `${name} ${dtype}`);
          const values = got.arraySync() as unknown[];
          if (dtype === "int64") {
            assert.deepEqual(
              values,
              xs.map((v) => spec.refBig!(BigInt(v))),
              `${name} int64`,
            );
            continue;
          }
          const want = xs.map((v) => stored(spec.ref(stored(v, dtype) as number), dtype));
          assertClose(values, want, dtype === "float32" ? 1e-6 : 1e-15, `${name} ${dtype}`);
        }
      });
    }

    it("ops reject dtypes TensorFlow rejects", () => {
      assert.throws(() => tf.sqrt(tf.constant([4], "int32")), /Value for attr 'T' of int32 is not in the list of allowed values/);
      assert.throws(() => tf.exp(tf.constant(["a"])), tf.errors.InvalidArgumentError);
      assert.throws(() => tf.add(tf.constant([true]), tf.constant([true])), tf.errors.InvalidArgumentError);
    });

    it("stable activations stay finite at extreme inputs", () => {
      assertClose(arr(tf.sigmoid(tf.constant([-1000, 1000, 0], "float64"))), [0, 1, 0.5]);
      assertClose(arr(tf.nn.softplus(tf.constant([-1000, 1000, 0], "float64"))), [0, 1000, Math.LN2]);
      assertClose(arr(tf.nn.elu(tf.constant([-1000, 1000], "float64"))), [-1, 1000]);
      assertClose(arr(tf.tanh(tf.constant([-1000, 1000]))), [-1, 1]);
    });
  });

  // ---------------------------------------------------------------- elementwise: broadcasting and dtypes

  describe("elementwise broadcasting and dtype rules", () => {
    it("broadcasts general shapes: [2,1,3] with [4,1], [3] with [2,3], [2,1] with [1,3]", () => {
      const a = tf.constant([[[1, 2, 3]], [[4, 5, 6]]]);
      const b = tf.constant([[10], [20], [30], [40]]);
      const s = e(tf.add(a, b));
      assert.deepEqual(s.shape, [2, 4, 3]);
      assert.deepEqual(s.arraySync(), [
        [
          [11, 12, 13],
          [21, 22, 23],
          [31, 32, 33],
          [41, 42, 43],
        ],
        [
          [14, 15, 16],
          [24, 25, 26],
          [34, 35, 36],
          [44, 45, 46],
        ],
      ]);
      // The other operand order and a non-commutative op.
      const d = e(tf.subtract(b, a));
      assert.deepEqual(d.shape, [2, 4, 3]);
      assert.deepEqual((d.arraySync() as number[][][])[1][3], [36, 35, 34]);
      assert.deepEqual(
        arr(
          tf.multiply(
            tf.constant([
              [1, 2, 3],
              [4, 5, 6],
            ]),
            tf.constant([1, 10, 100]),
          ),
        ),
        [
          [1, 20, 300],
          [4, 50, 600],
        ],
      );
      assert.deepEqual(arr(tf.subtract(tf.constant([[1], [2]]), tf.constant([[10, 20, 30]]))), [
        [-9, -19, -29],
        [-8, -18, -28],
      ]);
      // Broadcasting in the middle axis only: [2,1,2] with [2,3,2].
      assert.deepEqual(arr(tf.add(tf.constant([[[1, 2]], [[3, 4]]]), tf.zeros([2, 3, 2]))), [
        [
          [1, 2],
          [1, 2],
          [1, 2],
        ],
        [
          [3, 4],
          [3, 4],
          [3, 4],
        ],
      ]);
      // Comparisons broadcast too.
      assert.deepEqual(arr(tf.greater(tf.constant([[1], [5]]), tf.constant([2, 4, 6]))), [
        [false, false, false],
        [true, true, false],
      ]);
    });

    it("broadcasts scalars and size-0 dims", () => {
      assert.deepEqual(
        arr(
          tf.add(
            tf.constant(1),
            tf.constant([
              [1, 2],
              [3, 4],
            ]),
          ),
        ),
        [
          [2, 3],
          [4, 5],
        ],
      );
      assert.equal(arr(tf.multiply(tf.constant(3), tf.constant(4))), 12);
      assert.deepEqual(e(tf.add(tf.zeros([0, 3]), tf.ones([3]))).shape, [0, 3]);
    });

    it("rejects incompatible shapes with TensorFlow's message", () => {
      assert.throws(
        () => tf.add(tf.ones([2, 3]), tf.ones([3, 2])),
        (err: Error) =>
          err instanceof tf.errors.InvalidArgumentError && /Incompatible shapes: \[2,3\] vs. \[3,2\]/.test(err.message) && /AddV2/.test(err.message),
      );
      const g = new tf.Graph();
      withGraph(g, () => {
        assert.throws(() => tf.multiply(tf.placeholder("float32", [null, 3]), tf.placeholder("float32", [4])), /Incompatible shapes: \[\?,3\] vs. \[4\]/);
      });
    });

    it("JS numbers and arrays adopt the tensor's dtype", () => {
      for (const dtype of ["float32", "float64", "int32", "int64", "uint8"] as const) {
        const x = tf.constant([1, 2], { dtype });
        const y = e(tf.add(x, 3));
        assert.equal(y.dtype, dtype);
        assert.deepEqual(flat(y).map(Number), [4, 5]);
        const z = e(tf.multiply([2, 3], x));
        assert.equal(z.dtype, dtype);
        assert.deepEqual(flat(z).map(Number), [2, 6]);
      }
      // A float64 tensor keeps a JS number's full precision.
      assert.deepEqual(arr(tf.add(tf.constant([0], "float64"), 0.1)), [0.1]);
      // int64 with a BigInt beyond 2^53 stays exact.
      assert.deepEqual(arr(tf.add(tf.constant([1n], "int64"), 9007199254740993n)), [9007199254740994n]);
      // Two JS values: float32, as tf.constant would make them.
      assert.equal(e(tf.add(1, 2)).dtype, "float32");
    });

    it("never converts between tensor dtypes silently", () => {
      const pairs: [tf.DType, tf.DType][] = [
        ["int32", "float32"],
        ["float32", "float64"],
        ["int32", "int64"],
      ];
      for (const [da, db] of pairs) {
        assert.throws(
          () => tf.add(tf.constant([1], da), tf.constant([1], db)),
          (err: Error) =>
            err instanceof tf.errors.InvalidArgumentError &&
            /expected to be a .* tensor but is a .* tensor/.test(err.message) &&
            /\[Op:AddV2\]/.test(err.message),
          `${da} + ${db}`,
        );
      }
      assert.throws(() => tf.less(tf.constant([1], "int32"), tf.constant([1.5])), /expected to be a int32 tensor but is a float tensor/);
      const g = new tf.Graph();
      withGraph(g, () => {
        assert.throws(() => tf.multiply(tf.placeholder("float32", [2]), tf.placeholder("int32", [2])), /expected to be a float tensor but is a int32 tensor/);
      });
    });

    it("work in graphs with placeholders of unknown dims", () => {
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        const b = tf.placeholder("float32", [3]);
        const y = tf.add(tf.multiply(p, b), 1);
        assert.deepEqual(y.shape, [null, 3]);
        const c = tf.greater(y, 5);
        assert.equal(c.dtype, "bool");
        return {
          fetch: [y, c],
          feed: new Map<T, unknown>([
            [
              p,
              [
                [1, 2, 3],
                [4, 5, 6],
              ],
            ],
            [b, [1, 0, 2]],
          ]),
        };
      });
      assert.deepEqual(out, [
        [
          [2, 1, 7],
          [5, 1, 13],
        ],
        [
          [false, false, true],
          [false, false, true],
        ],
      ]);
    });
  });

  // ---------------------------------------------------------------- elementwise: gradients

  describe("elementwise gradients (checkGradient: tape and tf.gradients vs finite differences)", () => {
    const M = [
      [0.7, -1.3, 2.1],
      [-0.4, 1.6, 0.9],
    ];
    const P = [
      [0.7, 1.3, 2.1],
      [0.4, 1.6, 0.9],
    ];
    const cases: Record<string, [(...xs: T[]) => T, unknown[], { tol?: number }?]> = {
      add: [
        (a, b) => tf.add(a, b),
        [
          M,
          [
            [1.5, -2, 0.25],
            [3, 0.5, -1],
          ],
        ],
      ],
      subtract: [(a, b) => tf.subtract(a, b), [M, P]],
      multiply: [(a, b) => tf.multiply(a, b), [M, P]],
      realdiv: [(a, b) => tf.realdiv(a, b), [M, P]],
      divide: [(a, b) => tf.divide(a, b), [M, P]],
      floormod: [(a, b) => tf.floormod(a, b), [[[2.7, -1.3, 5.1]], [[1.1, 0.8, 1.9]]]],
      pow: [
        (a, b) => tf.pow(a, b),
        [
          P,
          [
            [1.5, -2, 0.5],
            [3, 0.25, -1],
          ],
        ],
      ],
      maximum: [
        (a, b) => tf.maximum(a, b),
        [
          M,
          [
            [0.5, -1, 2.5],
            [-1, 2, 0.1],
          ],
        ],
      ],
      minimum: [
        (a, b) => tf.minimum(a, b),
        [
          M,
          [
            [0.5, -1, 2.5],
            [-1, 2, 0.1],
          ],
        ],
      ],
      squaredDifference: [(a, b) => tf.squaredDifference(a, b), [M, P]],
      negative: [(x) => tf.negative(x), [M]],
      abs: [(x) => tf.abs(x), [M]],
      square: [(x) => tf.square(x), [M]],
      sqrt: [(x) => tf.sqrt(x), [P]],
      rsqrt: [(x) => tf.rsqrt(x), [P]],
      exp: [(x) => tf.exp(x), [M]],
      log: [(x) => tf.log(x), [P]],
      log1p: [(x) => tf.log1p(x), [P]],
      expm1: [(x) => tf.expm1(x), [M]],
      sin: [(x) => tf.sin(x), [M]],
      cos: [(x) => tf.cos(x), [M]],
      tanh: [(x) => tf.tanh(x), [M]],
      sigmoid: [(x) => tf.sigmoid(x), [M]],
      relu: [(x) => tf.nn.relu(x), [M]],
      relu6: [
        (x) => tf.nn.relu6(x),
        [
          [
            [0.7, -1.3, 6.5],
            [-0.4, 5.6, 0.9],
          ],
        ],
      ],
      elu: [(x) => tf.nn.elu(x), [M]],
      softplus: [(x) => tf.nn.softplus(x), [M]],
      sign: [(x) => tf.sign(x), [M]],
      reciprocal: [(x) => tf.reciprocal(x), [M]],
    };
    for (const [name, [f, inputs, opts]] of Object.entries(cases)) {
      it(name, () => checkGradient(f, inputs, opts));
    }

    it("binary gradients sum over broadcast dims: [2,1,3] with [4,1], [2,3] with [3], with a scalar", () => {
      const a = [[[0.5, -1, 2]], [[1.5, 0.3, -0.7]]];
      const b = [[0.2], [1.1], [-0.6], [2.3]];
      checkGradient((x, y) => tf.multiply(x, y), [a, b]);
      checkGradient((x, y) => tf.realdiv(x, y), [b, a]);
      checkGradient((x, y) => tf.subtract(x, y), [a, b]);
      checkGradient((x, y) => tf.squaredDifference(x, y), [M, [0.5, -0.5, 1]]);
      checkGradient((x, y) => tf.maximum(x, y), [M, 0.8]);
      checkGradient((x, y) => tf.pow(x, y), [P, 2.5]);
      checkGradient((x, y) => tf.add(x, y), [[1.5], M]);
    });

    it("non-differentiable ops give no gradient; comparisons stop it", () => {
      const x = tf.constant([1.5, -2.5], "float64");
      const tape = new tf.GradientTape();
      const y = tape.run(() => {
        tape.watch(x);
        return tf.add(tf.floor(x), tf.multiply(tf.cast(tf.greater(x, 0), "float64"), x));
      });
      assert.deepEqual(arr(tape.gradient(y as tf.EagerTensor, x) as T), [1, 0]);
    });
  });

  // ---------------------------------------------------------------- reductions

  describe("reductions", () => {
    const x = [
      [1, 5, 3],
      [4, 2, 6],
    ];

    it("reduce over no axis argument (all), a number, an array, negative axes, keepdims", () => {
      const t = tf.constant(x);
      assert.equal(arr(tf.reduceSum(t)), 21);
      assert.deepEqual(arr(tf.reduceSum(t, 0)), [5, 7, 9]);
      assert.deepEqual(arr(tf.reduceSum(t, 1)), [9, 12]);
      assert.deepEqual(arr(tf.reduceSum(t, -1)), [9, 12]);
      assert.deepEqual(arr(tf.reduceSum(t, -2, true)), [[5, 7, 9]]);
      assert.deepEqual(arr(tf.reduceSum(t, [0, 1])), 21);
      assert.deepEqual(arr(tf.reduceSum(t, [-1, 0], true)), [[21]]);
      assert.deepEqual(arr(tf.reduceSum(t, { axis: 1, keepdims: true })), [[9], [12]]);
      assert.deepEqual(arr(tf.reduceSum(t, null, true)), [[21]]);
      assert.deepEqual(arr(tf.reduceSum(t, [])), x);
      assert.deepEqual(arr(tf.reduceMean(t, 0)), [2.5, 3.5, 4.5]);
      assert.deepEqual(arr(tf.reduceMax(t, 1)), [5, 6]);
      assert.deepEqual(arr(tf.reduceMin(t, 0)), [1, 2, 3]);
      assert.deepEqual(arr(tf.reduceProd(t, 1)), [15, 48]);
      assert.equal(arr(tf.reduceProd(t)), 720);
      // JS arrays and TF 1's keyword names.
      assert.equal(arr(tf.reduceSum(x)), 21);
      assert.deepEqual(arr(tf.reduceSum(t, { reductionIndices: [1], keepDims: true })), [[9], [12]]);
      // A rank-3 reduction over non-adjacent axes.
      const r3 = tf.reshape(tf.constant(Array.from({ length: 24 }, (_, i) => i)), [2, 3, 4]);
      assert.deepEqual(arr(tf.reduceSum(r3, [0, 2])), [60, 92, 124]);
      assert.deepEqual(arr(tf.reduceMax(r3, [0, 2], true)), [[[15], [19], [23]]]);
      assert.deepEqual(arr(tf.reduceMin(r3, 1)), [
        [0, 1, 2, 3],
        [12, 13, 14, 15],
      ]);
    });

    it("reduce int32, int64, uint8 and bool tensors", () => {
      assert.deepEqual(arr(tf.reduceSum(tf.constant(x, "int32"), 1)), [9, 12]);
      assert.equal(e(tf.reduceSum(tf.constant(x, "int32"))).dtype, "int32");
      assert.deepEqual(
        arr(
          tf.reduceMean(
            tf.constant(
              [
                [1, 2],
                [4, 7],
              ],
              "int32",
            ),
            1,
          ),
        ),
        [1, 5],
      );
      assert.deepEqual(arr(tf.reduceSum(tf.constant([[9007199254740993n, 1n]], "int64"), 1)), [9007199254740994n]);
      assert.deepEqual(
        arr(
          tf.reduceMax(
            tf.constant(
              [
                [3n, -5n],
                [-1n, -2n],
              ],
              "int64",
            ),
            1,
          ),
        ),
        [3n, -1n],
      );
      assert.deepEqual(
        arr(
          tf.reduceProd(
            tf.constant(
              [
                [3n, -5n],
                [-1n, -2n],
              ],
              "int64",
            ),
            0,
          ),
        ),
        [-3n, 10n],
      );
      assert.deepEqual(arr(tf.reduceMean(tf.constant([7n, 8n], "int64"))), 7n);
      assert.deepEqual(arr(tf.reduceSum(tf.constant([200, 100], "uint8"))), 44);
      const b = tf.constant([
        [true, false],
        [true, true],
      ]);
      assert.deepEqual(arr(tf.reduceAll(b, 1)), [false, true]);
      assert.deepEqual(arr(tf.reduceAny(b, 0)), [true, true]);
      assert.equal(arr(tf.reduceAny(tf.constant([false, false]))), false);
      assert.throws(() => tf.reduceSum(b), /not in the list of allowed values/);
      assert.throws(() => tf.reduceAll(tf.constant([1])), /not in the list of allowed values/);
    });

    it("handle empty reductions and NaN as TensorFlow does", () => {
      assert.equal(arr(tf.reduceSum(tf.zeros([0]))), 0);
      assert.equal(arr(tf.reduceProd(tf.zeros([0]))), 1);
      assert.equal(arr(tf.reduceMax(tf.zeros([0]))), -Infinity);
      assert.equal(arr(tf.reduceMin(tf.zeros([0]))), Infinity);
      assert.ok(Number.isNaN(arr(tf.reduceMean(tf.zeros([0]))) as number));
      assert.deepEqual(arr(tf.reduceMax(tf.zeros([2, 0], "int32"), 1)), [-2147483648, -2147483648]);
      assert.ok(Number.isNaN(arr(tf.reduceMax(tf.constant([1, NaN, 3]))) as number));
      assert.ok(Number.isNaN(arr(tf.reduceMin(tf.constant([NaN, 1]))) as number));
    });

    it("float32 sums accumulate precisely", () => {
      const n = 100000;
      const s = arr(tf.reduceSum(tf.fill([n], tf.constant(0.1)))) as number;
      assert.ok(Math.abs(s - 10000) < 1e-2, `sum ${s}`);
    });

    it("reject out-of-range axes", () => {
      assert.throws(
        () => tf.reduceSum(tf.constant(x), 2),
        (err: Error) => err instanceof tf.errors.InvalidArgumentError && /out of range/.test(err.message),
      );
      assert.throws(() => tf.reduceSum(tf.constant(x), -3), /out of range/);
    });

    it("work in graphs with placeholders of unknown dims ([null, 3])", () => {
      const feedX = tf.constant(x);
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        const s1 = tf.reduceSum(p, 1);
        const s0 = tf.reduceMean(p, 0, true);
        const all = tf.reduceMax(p);
        const kd = tf.reduceSum(p, 0, true);
        assert.deepEqual(s1.shape, [null]);
        assert.deepEqual(s0.shape, [1, 3]);
        assert.deepEqual(all.shape, []);
        assert.deepEqual(kd.shape, [1, 3]);
        assert.deepEqual(tf.reduceSum(p, -1, true).shape, [null, 1]);
        return { fetch: [s1, s0, all, tf.reduceProd(p, 1)], feed: new Map<T, unknown>([[p, feedX]]) };
      });
      assert.deepEqual(out, [[9, 12], [[2.5, 3.5, 4.5]], 6, [15, 48]]);
      // Axes fed at run time: the output shape is unknown until then.
      const out2 = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        const ax = tf.placeholder("int32", [1]);
        const s = tf.reduceSum(p, ax);
        assert.equal(s.shape, null);
        assert.deepEqual(tf.reduceSum(p, ax, true).shape, [null, null]);
        return {
          fetch: s,
          feed: new Map<T, unknown>([
            [p, feedX],
            [ax, [1]],
          ]),
        };
      });
      assert.deepEqual(out2, [9, 12]);
      // A placeholder of unknown rank reduced over all axes.
      const out3 = inGraph(() => {
        const p = tf.placeholder("float32");
        return { fetch: tf.reduceSum(p), feed: new Map<T, unknown>([[p, feedX]]) };
      });
      assert.equal(out3, 21);
    });

    const R = [
      [0.5, -1.2, 2.1],
      [1.4, 0.3, -0.8],
    ];
    // biome-ignore lint/suspicious/noExplicitAny: the reducers' option arguments differ; each call below passes its own
    const reducers: Record<string, (x: T, ...a: any[]) => T> = {
      reduceSum: tf.reduceSum,
      reduceMean: tf.reduceMean,
      reduceMax: tf.reduceMax,
      reduceMin: tf.reduceMin,
      reduceProd: tf.reduceProd,
    };
    for (const [name, f] of Object.entries(reducers)) {
      it(`${name} gradient over each axis setting, with and without keepdims`, () => {
        checkGradient((t) => f(t), [R]);
        checkGradient((t) => f(t, 0), [R]);
        checkGradient((t) => f(t, -1, true), [R]);
        checkGradient((t) => f(t, [0, 1], true), [R]);
        const R3 = [
          [
            [0.5, -1.2],
            [2.1, 1.3],
          ],
          [
            [1.4, 0.3],
            [-0.8, 0.9],
          ],
          [
            [0.6, -0.2],
            [1.7, -1.1],
          ],
        ];
        checkGradient((t) => f(t, [0, 2]), [R3]);
        checkGradient((t) => f(t, [1, 2], true), [R3]);
      });
    }

    it("reduceProd gradient with zeros in the input is exact (no division by x)", () => {
      checkGradient(
        (t) => tf.reduceProd(t, 1),
        [
          [
            [0, 2, 3],
            [4, 0, 0],
            [1.5, -2, 0.5],
          ],
        ],
      );
      checkGradient(
        (t) => tf.reduceProd(t),
        [
          [
            [0, 2],
            [3, 4],
          ],
        ],
      );
      const g = new tf.GradientTape();
      const v = tf.constant([0, 2, 3], "float64");
      const y = g.run(() => {
        g.watch(v);
        return tf.reduceProd(v);
      });
      assert.deepEqual(arr(g.gradient(y as tf.EagerTensor, v) as T), [6, 0, 0]);
    });

    it("reduceMax/reduceMin gradients split evenly between ties, as TensorFlow's do", () => {
      const v = tf.constant(
        [
          [1, 3, 3],
          [2, 2, 0],
        ],
        "float64",
      );
      const g = new tf.GradientTape();
      const y = g.run(() => {
        g.watch(v);
        return tf.reduceMax(v, 1);
      });
      assert.deepEqual(arr(g.gradient(y as tf.EagerTensor, v) as T), [
        [0, 0.5, 0.5],
        [0.5, 0.5, 0],
      ]);
    });

    it("gradients in graphs with unknown batch dims ([null, 3])", () => {
      const feed = tf.constant(
        [
          [1, 5, 3],
          [4, 2, 6],
        ],
        "float64",
      );
      const out = inGraph(() => {
        const p = tf.placeholder("float64", [null, 3]);
        const fetch = [
          tf.gradients(tf.reduceSum(p, 1), p)[0]!,
          tf.gradients(tf.reduceMean(p, 0), p)[0]!,
          tf.gradients(tf.reduceMean(p), p)[0]!,
          tf.gradients(tf.reduceMax(p, 1), p)[0]!,
          tf.gradients(tf.reduceProd(p), p)[0]!,
          tf.gradients(tf.reduceProd(p, 1), p)[0]!,
        ];
        return { fetch, feed: new Map<T, unknown>([[p, feed]]) };
      }) as number[][][];
      assert.deepEqual(out[0], [
        [1, 1, 1],
        [1, 1, 1],
      ]);
      assert.deepEqual(out[1], [
        [0.5, 0.5, 0.5],
        [0.5, 0.5, 0.5],
      ]);
      assertClose(out[2], [
        [1 / 6, 1 / 6, 1 / 6],
        [1 / 6, 1 / 6, 1 / 6],
      ]);
      assert.deepEqual(out[3], [
        [0, 1, 0],
        [0, 0, 1],
      ]);
      assert.deepEqual(out[4], [
        [720, 144, 240],
        [180, 360, 120],
      ]);
      assert.deepEqual(out[5], [
        [15, 3, 5],
        [12, 24, 8],
      ]);
    });

    it("addN sums a list of tensors", () => {
      assert.deepEqual(arr(tf.addN([tf.constant([1, 2]), tf.constant([3, 4]), [5, 6]])), [9, 12]);
      assert.deepEqual(arr(tf.addN([tf.constant([1n], "int64"), tf.constant([2n], "int64")])), [3n]);
      checkGradient(
        (a, b) => tf.addN([a, b, a]),
        [
          [1, 2],
          [3, 4],
        ],
      );
      assert.throws(() => tf.addN([tf.constant([1]), tf.constant([1], "int32")]), tf.errors.InvalidArgumentError);
    });
  });

  // ---------------------------------------------------------------- argmax / argmin

  describe("argmax and argmin", () => {
    const x = [
      [1, 5, 3, 5],
      [4, 2, 6, -1],
    ];

    it("return int64 indices by default along axis 0, first index on ties", () => {
      const a0 = e(tf.argmax(tf.constant(x)));
      assert.equal(a0.dtype, "int64");
      assert.deepEqual(a0.arraySync(), [1n, 0n, 1n, 0n]);
      assert.deepEqual(arr(tf.argmax(tf.constant(x), 1)), [1n, 2n]);
      assert.deepEqual(arr(tf.argmin(tf.constant(x), -1)), [0n, 3n]);
      assert.deepEqual(arr(tf.math.argmin(tf.constant(x), { axis: 0 })), [0n, 1n, 0n, 1n]);
      const i32 = e(tf.argmax(tf.constant(x), 1, "int32"));
      assert.equal(i32.dtype, "int32");
      assert.deepEqual(i32.arraySync(), [1, 2]);
      assert.deepEqual(arr(tf.argmax(tf.constant(x), { axis: 1, outputType: "int32" })), [1, 2]);
      assert.deepEqual(
        arr(
          tf.argmax(
            tf.constant([
              [2, 2],
              [2, 2],
            ]),
            1,
          ),
        ),
        [0n, 0n],
      );
    });

    it("work for int32, int64, uint8, bool and rank-3 tensors", () => {
      assert.deepEqual(arr(tf.argmax(tf.constant([3, 9, -2], "int32"))), 1n);
      assert.deepEqual(arr(tf.argmin(tf.constant([3n, 9n, -2n], "int64"))), 2n);
      assert.deepEqual(arr(tf.argmax(tf.constant([3, 9, 200], "uint8"))), 2n);
      assert.deepEqual(arr(tf.argmax(tf.constant([false, true, true]))), 1n);
      const r3 = tf.reshape(tf.constant([0, 9, 2, 3, 8, 5, 6, 7, 1, 10, 4, 11]), [2, 3, 2]);
      assert.deepEqual(arr(tf.argmax(r3, 1)), [
        [2n, 0n],
        [0n, 2n],
      ]);
      assert.deepEqual(arr(tf.argmin(r3, 2)), [
        [0n, 0n, 1n],
        [0n, 0n, 0n],
      ]);
    });

    it("reject bad axes and empty axes; have no gradient", () => {
      assert.throws(() => tf.argmax(tf.constant(x), 2), /Expected dimension in the range \[-2, 2\), but got 2/);
      assert.throws(() => tf.argmax(tf.constant(3)), tf.errors.InvalidArgumentError);
      assert.throws(() => tf.argmax(tf.zeros([0, 2])), tf.errors.InvalidArgumentError);
      const v = tf.constant([1, 3, 2], "float64");
      const g = new tf.GradientTape();
      const y = g.run(() => {
        g.watch(v);
        return tf.add(tf.reduceSum(v), tf.cast(tf.argmax(v), "float64"));
      });
      assert.deepEqual(arr(g.gradient(y as tf.EagerTensor, v) as T), [1, 1, 1]);
    });

    it("work in graphs with unknown dims", () => {
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 4]);
        const a = tf.argmax(p, 1);
        assert.deepEqual(a.shape, [null]);
        assert.equal(a.dtype, "int64");
        assert.deepEqual(tf.argmin(p, 0).shape, [4]);
        return { fetch: a, feed: new Map<T, unknown>([[p, x]]) };
      });
      assert.deepEqual(out, [1n, 2n]);
    });
  });

  // ---------------------------------------------------------------- cumsum / cumprod

  describe("cumsum and cumprod", () => {
    const x = [
      [1, 2, 3],
      [4, 5, 6],
    ];

    it("scan along an axis, exclusive and/or reverse", () => {
      const t = tf.constant(x);
      assert.deepEqual(arr(tf.cumsum(t)), [
        [1, 2, 3],
        [5, 7, 9],
      ]);
      assert.deepEqual(arr(tf.math.cumsum(t, 1)), [
        [1, 3, 6],
        [4, 9, 15],
      ]);
      assert.deepEqual(arr(tf.cumsum(t, 1, true)), [
        [0, 1, 3],
        [0, 4, 9],
      ]);
      assert.deepEqual(arr(tf.cumsum(t, 1, false, true)), [
        [6, 5, 3],
        [15, 11, 6],
      ]);
      assert.deepEqual(arr(tf.cumsum(t, -1, { exclusive: true, reverse: true })), [
        [5, 3, 0],
        [11, 6, 0],
      ]);
      assert.deepEqual(arr(tf.cumsum(t, { axis: 0, reverse: true })), [
        [5, 7, 9],
        [4, 5, 6],
      ]);
      assert.deepEqual(arr(tf.math.cumprod(t, 1)), [
        [1, 2, 6],
        [4, 20, 120],
      ]);
      assert.deepEqual(arr(tf.cumprod(t, 1, true)), [
        [1, 1, 2],
        [1, 4, 20],
      ]);
      assert.deepEqual(arr(tf.cumprod(t, 1, false, true)), [
        [6, 6, 3],
        [120, 30, 6],
      ]);
      assert.deepEqual(arr(tf.cumprod(t, 1, true, true)), [
        [6, 3, 1],
        [30, 6, 1],
      ]);
      assert.deepEqual(arr(tf.cumprod(t, 0)), [
        [1, 2, 3],
        [4, 10, 18],
      ]);
      // Middle axis of a rank-3 tensor.
      const r3 = tf.reshape(tf.constant(Array.from({ length: 12 }, (_, i) => i)), [2, 3, 2]);
      assert.deepEqual(arr(tf.cumsum(r3, 1)), [
        [
          [0, 1],
          [2, 4],
          [6, 9],
        ],
        [
          [6, 7],
          [14, 16],
          [24, 27],
        ],
      ]);
    });

    it("support int32 and int64 exactly", () => {
      const c = e(tf.cumsum(tf.constant([1, 2, 3], "int32")));
      assert.equal(c.dtype, "int32");
      assert.deepEqual(c.arraySync(), [1, 3, 6]);
      assert.deepEqual(arr(tf.cumprod(tf.constant([4294967296n, 4294967296n, 2n], "int64"))), [4294967296n, 18446744073709551616n - 18446744073709551616n, 0n]);
      assert.deepEqual(arr(tf.cumsum(tf.constant([9007199254740993n, 1n], "int64"))), [9007199254740993n, 9007199254740994n]);
      assert.deepEqual(arr(tf.cumprod(tf.constant([3n, -2n, 5n], "int64"), 0, true)), [1n, 3n, -6n]);
    });

    it("reject bad axes", () => {
      assert.throws(() => tf.cumsum(tf.constant(x), 2), /Expected axis in the range \[-2, 2\), but got 2/);
      assert.throws(() => tf.cumsum(tf.constant(x), [0, 1] as never), /axis must be a scalar/);
    });

    it("gradients for every exclusive/reverse combination", () => {
      const v = [
        [0.5, -1.2, 2.1, 0.7],
        [1.4, 0.3, -0.8, 1.9],
      ];
      for (const exclusive of [false, true]) {
        for (const reverse of [false, true]) {
          for (const axis of [0, 1]) {
            checkGradient((t) => tf.cumsum(t, axis, exclusive, reverse), [v]);
            checkGradient((t) => tf.cumprod(t, axis, exclusive, reverse), [v]);
          }
        }
      }
    });

    it("work in graphs with unknown dims", () => {
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        const c = tf.cumsum(p, 1, { reverse: true });
        assert.deepEqual(c.shape, [null, 3]);
        return { fetch: [c, tf.gradients(tf.reduceSum(tf.cumprod(p, 1)), p)[0]!], feed: new Map<T, unknown>([[p, x]]) };
      });
      assert.deepEqual(out, [
        [
          [6, 5, 3],
          [15, 11, 6],
        ],
        [
          [9, 4, 2],
          [36, 28, 20],
        ],
      ]);
    });
  });

  // ---------------------------------------------------------------- matmul

  describe("matmul", () => {
    const a = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const b = [
      [7, 8],
      [9, 10],
      [11, 12],
    ];
    const ab = [
      [58, 64],
      [139, 154],
    ];
    const T2 = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));

    it("multiplies matrices, with every transpose combination", () => {
      assert.deepEqual(arr(tf.matmul(tf.constant(a), tf.constant(b))), ab);
      assert.deepEqual(arr(tf.matmul(tf.constant(T2(a)), tf.constant(b), true)), ab);
      assert.deepEqual(arr(tf.matmul(tf.constant(a), tf.constant(T2(b)), false, true)), ab);
      assert.deepEqual(arr(tf.matmul(tf.constant(T2(a)), tf.constant(T2(b)), { transposeA: true, transposeB: true })), ab);
      assert.deepEqual(arr(tf.matmul(tf.constant(T2(a)), tf.constant(T2(b)), { adjointA: true, adjointB: true })), ab);
      assert.deepEqual(arr(tf.linalg.matmul(tf.constant(a, "float64"), tf.constant(b, "float64"))), ab);
      assert.deepEqual(arr(tf.matmul(a, b)), ab);
      assert.deepEqual(arr(tf.matmul([[[1, 2]]], [[[3], [4]]])), [[[11]]]);
      assert.deepEqual(e(tf.matmul(tf.zeros([0, 3]), tf.zeros([3, 2]))).shape, [0, 2]);
      assert.deepEqual(arr(tf.matmul(tf.ones([2, 0]), tf.ones([0, 3]))), [
        [0, 0, 0],
        [0, 0, 0],
      ]);
      assert.throws(() => tf.matmul(a, b, { transposeA: true, adjointA: true }), /Only one of transpose_a and adjoint_a/);
      assert.deepEqual(arr(tf.constant(a).matmul(tf.constant(b))), ab);
    });

    it("multiplies int32 and int64 matrices", () => {
      const r = e(tf.matmul(tf.constant(a, "int32"), tf.constant(b, "int32")));
      assert.equal(r.dtype, "int32");
      assert.deepEqual(r.arraySync(), ab);
      assert.deepEqual(arr(tf.matmul(tf.constant(a, "int32"), tf.constant(T2(b), "int32"), false, true)), ab);
      assert.deepEqual(arr(tf.matmul(tf.constant([[3037000499n]], "int64"), tf.constant([[3037000499n]], "int64"))), [[9223372030926249001n]]);
    });

    it("batches rank-3 and rank-4 inputs and broadcasts batch dims", () => {
      const x = tf.reshape(tf.constant(Array.from({ length: 12 }, (_, i) => i)), [2, 2, 3]);
      const y = tf.reshape(tf.constant(Array.from({ length: 12 }, (_, i) => i - 5)), [2, 3, 2]);
      const want = [
        [
          [-5, -2],
          [-32, -20],
        ],
        [
          [67, 88],
          [94, 124],
        ],
      ];
      assert.deepEqual(arr(tf.matmul(x, y)), want);
      // Transposes apply to the last two dims only: x^T y^T = (y x)^T per batch.
      const xt = e(tf.matmul(x, y, { transposeA: true, transposeB: true }));
      assert.deepEqual(xt.shape, [2, 3, 3]);
      assert.deepEqual(xt.arraySync(), (arr(tf.matmul(y, x)) as number[][][]).map(T2));
      // A rank-2 operand broadcasts against every batch.
      const m = tf.constant([
        [1, 0],
        [0, 2],
        [1, 1],
      ]);
      assert.deepEqual(arr(tf.matmul(x, m)), [
        [
          [2, 4],
          [8, 13],
        ],
        [
          [14, 22],
          [20, 31],
        ],
      ]);
      // [2,1,2,3] x [3,3,2] -> [2,3,2,2].
      const x4 = tf.reshape(tf.constant(Array.from({ length: 12 }, (_, i) => i % 5)), [2, 1, 2, 3]);
      const y3 = tf.reshape(tf.constant(Array.from({ length: 18 }, (_, i) => (i % 7) - 3)), [3, 3, 2]);
      const r = e(tf.matmul(x4, y3));
      assert.deepEqual(r.shape, [2, 3, 2, 2]);
      // Check one block against a hand product: batch (1, 2) = x4[1,0] @ y3[2].
      const x4v = arr(x4) as number[][][][];
      const y3v = arr(y3) as number[][][];
      const blk = (arr(r) as number[][][][])[1][2];
      const hand = x4v[1][0].map((row) => [0, 1].map((j) => row.reduce((s, v, k) => s + v * y3v[2][k][j], 0)));
      assert.deepEqual(blk, hand);
      const x4t = tf.reshape(
        tf.constant(
          Array.from({ length: 12 }, (_, i) => i % 5),
          "int32",
        ),
        [2, 1, 2, 3],
      );
      assert.deepEqual(e(tf.matmul(x4t, tf.cast(y3, "int32"))).arraySync(), arr(r));
    });

    it("rejects mismatched inner dims, bad ranks, incompatible batches and mixed dtypes", () => {
      assert.throws(
        () => tf.matmul(tf.ones([2, 3]), tf.ones([2, 3])),
        (err: Error) => err instanceof tf.errors.InvalidArgumentError && /Matrix size-incompatible: In\[0\]: \[2,3\], In\[1\]: \[2,3\]/.test(err.message),
      );
      assert.throws(() => tf.matmul(tf.ones([2, 2, 3]), tf.ones([2, 4, 2])), /size-incompatible/);
      assert.throws(() => tf.matmul(tf.ones([2, 2, 3]), tf.ones([3, 3, 2])), /compatible batch dimensions/);
      assert.throws(() => tf.matmul(tf.ones([3]), tf.ones([3, 2])), tf.errors.InvalidArgumentError);
      assert.throws(() => tf.matmul(tf.ones([2, 3]), tf.ones([3, 2], "int32")), /expected to be a float tensor but is a int32 tensor/);
      assert.throws(() => tf.matmul(tf.ones([2, 3], "bool"), tf.ones([3, 2], "bool")), /not in the list of allowed values/);
    });

    it("infers shapes in graphs with unknown dims", () => {
      const out = inGraph(() => {
        const p = tf.placeholder("float32", [null, 3]);
        const q = tf.placeholder("float32", [null, 2, 3]);
        const y = tf.matmul(p, tf.constant(b));
        assert.deepEqual(y.shape, [null, 2]);
        assert.deepEqual(tf.matmul(q, tf.constant(b)).shape, [null, 2, 2]);
        assert.deepEqual(tf.matmul(p, p, false, true).shape, [null, null]);
        assert.throws(() => tf.matmul(p, tf.ones([2, 2])), /size-incompatible/);
        const u = tf.matmul(tf.placeholder("float32"), tf.constant(b));
        assert.equal((u as tf.SymbolicTensor).op.type, "BatchMatMulV2");
        assert.equal((y as tf.SymbolicTensor).op.type, "MatMul");
        return { fetch: y, feed: new Map<T, unknown>([[p, a]]) };
      });
      assert.deepEqual(out, ab);
    });

    const A2 = [
      [0.5, -1.2, 2.1],
      [1.4, 0.3, -0.8],
    ];
    const B2 = [
      [0.7, -0.1],
      [1.3, 0.6],
      [-0.4, 2.2],
    ];
    it("gradients for every transpose combination", () => {
      checkGradient((x, y) => tf.matmul(x, y), [A2, B2]);
      checkGradient((x, y) => tf.matmul(x, y, true, false), [T2(A2), B2]);
      checkGradient((x, y) => tf.matmul(x, y, false, true), [A2, T2(B2)]);
      checkGradient((x, y) => tf.matmul(x, y, true, true), [T2(A2), T2(B2)]);
    });

    it("gradients of batched products, with broadcast batch dims", () => {
      const X = [
        A2,
        [
          [0.2, 0.1, -0.3],
          [0.9, -1.1, 0.4],
        ],
      ];
      const Y = [
        B2,
        [
          [0.3, 0.8],
          [-0.5, 0.2],
          [1.1, -0.7],
        ],
      ];
      checkGradient((x, y) => tf.matmul(x, y), [X, Y]);
      checkGradient((x, y) => tf.matmul(x, y, true, true), [X.map(T2), Y.map(T2)]);
      checkGradient((x, y) => tf.matmul(x, y, false, true), [X, Y.map(T2)]);
      checkGradient((x, y) => tf.matmul(x, y, true, false), [X.map(T2), Y]);
      checkGradient((x, y) => tf.matmul(x, y), [X, B2]);
      checkGradient((x, y) => tf.matmul(x, y), [A2, Y]);
      checkGradient((x, y) => tf.matmul(x, y), [[X], [Y, Y]]);
    });
  });
});
