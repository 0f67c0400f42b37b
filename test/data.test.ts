/**
 * tf.data through the public API: TensorFlow's documented outputs for each transformation, shuffle
 * determinism, element specs and cardinality, sync and async iteration, and graph-mode iterators.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as tf from "../src/index.js";

/** The elements as JS values, int64 bigints as numbers. */
function vals(ds: tf.data.Dataset): unknown[] {
  const plain = (x: unknown): unknown =>
    typeof x === "bigint"
      ? Number(x)
      : Array.isArray(x)
        ? x.map(plain)
        : x !== null && typeof x === "object"
          ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]))
          : x;
  return [...ds.asNumpyIterator()].map(plain);
}
const card = (ds: tf.data.Dataset) => Number(ds.cardinality().dataSync()[0]);
const D = tf.data.Dataset;
type Spec = { shape: (number | null)[] | null; dtype: string };

describe("tf.data sources", () => {
  it("fromTensorSlices: a tensor, a tuple of tensors, a dict, nested JS arrays and typed arrays", () => {
    assert.deepEqual(
      vals(
        D.fromTensorSlices(
          tf.constant([
            [1, 2],
            [3, 4],
          ]),
        ),
      ),
      [
        [1, 2],
        [3, 4],
      ],
    );
    assert.deepEqual(vals(D.fromTensorSlices([tf.constant([1, 2]), tf.constant(["a", "b"])])), [
      [1, "a"],
      [2, "b"],
    ]);
    assert.deepEqual(vals(D.fromTensorSlices({ a: [1, 2], b: [[3], [4]] })), [
      { a: 1, b: [3] },
      { a: 2, b: [4] },
    ]);
    assert.deepEqual(vals(D.fromTensorSlices([Float32Array.of(1, 2), Int32Array.of(5, 6)])), [
      [1, 5],
      [2, 6],
    ]);
    const [first] = D.fromTensorSlices([Float32Array.of(1), Int32Array.of(5)]);
    assert.deepEqual(
      (first as tf.EagerTensor[]).map((t) => t.dtype),
      ["float32", "int32"],
    );
    assert.throws(() => D.fromTensorSlices([tf.constant([1, 2]), tf.constant([1, 2, 3])]), /Dimensions 2 and 3 are not compatible/);
  });

  it("fromTensors, range (int64 by default, TensorFlow's forms)", () => {
    assert.deepEqual(vals(D.fromTensors([tf.constant([1, 2]), tf.constant(3)])), [[[1, 2], 3]]);
    assert.deepEqual(vals(D.range(5)), [0, 1, 2, 3, 4]);
    assert.deepEqual(vals(D.range(2, 5)), [2, 3, 4]);
    assert.deepEqual(vals(D.range(1, 5, 2)), [1, 3]);
    assert.deepEqual(vals(D.range(5, 1, -2)), [5, 3]);
    assert.deepEqual(vals(D.range(1, 5, { outputType: "float32" })), [1, 2, 3, 4]);
    assert.equal(D.range(3).elementSpec.toString(), "TensorSpec(shape=(), dtype=tf.int64, name=None)");
  });

  it("fromGenerator: sync and async generators, outputSignature or outputTypes + outputShapes, shape checks", async () => {
    function* gen() {
      yield [1, [2, 3]];
      yield [4, [5, 6]];
    }
    const ds = D.fromGenerator(gen, {
      outputSignature: [{ shape: [], dtype: "int32" }, new tf.TensorSpec([2], "float32")],
    });
    assert.deepEqual(vals(ds), [
      [1, [2, 3]],
      [4, [5, 6]],
    ]);
    assert.deepEqual(vals(ds), vals(ds), "each iteration calls the generator again");
    assert.equal(card(ds), tf.data.UNKNOWN_CARDINALITY);
    const typed = D.fromGenerator(
      function* (n: number) {
        for (let i = 0; i < n; i++) yield Array(i).fill(i);
      },
      "int32",
      [null],
      { args: [3] },
    );
    assert.deepEqual(vals(typed), [[], [1], [2, 2]]);
    const bad = D.fromGenerator(
      function* () {
        yield [1, 2, 3];
      },
      { outputSignature: { shape: [2], dtype: "float32" } },
    );
    assert.throws(() => vals(bad), /yielded an element of shape \[3\] where an element of shape \[2\] was expected/);
    const asyncDs = D.fromGenerator(
      async function* () {
        yield 1;
        yield 2;
      },
      { outputSignature: { shape: [], dtype: "float32" } },
    );
    const got: number[] = [];
    for await (const x of asyncDs.map((x: tf.Tensor) => tf.mul(x, 10)).prefetch(tf.data.AUTOTUNE)) got.push((x as tf.EagerTensor).item());
    assert.deepEqual(got, [10, 20]);
    assert.equal(typeof (asyncDs as unknown as Record<symbol, unknown>)[Symbol.iterator], "undefined", "for await only");
    assert.throws(() => [...asyncDs.map((x: tf.Tensor) => x)], TypeError);
    assert.equal(typeof D.range(1)[Symbol.iterator], "function");
  });
});

describe("tf.data transformations (TensorFlow's documented outputs)", () => {
  it("map spreads tuples into arguments; filter; take, skip, repeat", () => {
    const ds = D.fromTensorSlices([tf.constant([1, 2, 3]), tf.constant([10, 20, 30])]).map((x: tf.Tensor, y: tf.Tensor) => tf.add(x, y), {
      numParallelCalls: tf.data.AUTOTUNE,
    });
    assert.deepEqual(vals(ds), [11, 22, 33]);
    assert.deepEqual(vals(D.fromTensorSlices([1, 2, 3]).filter((x: tf.Tensor) => tf.less(x, 3))), [1, 2]);
    assert.deepEqual(vals(D.range(10).take(3)), [0, 1, 2]);
    assert.deepEqual(vals(D.range(10).skip(7)), [7, 8, 9]);
    assert.deepEqual(vals(D.fromTensorSlices([1, 2, 3]).repeat(3)), [1, 2, 3, 1, 2, 3, 1, 2, 3]);
    assert.deepEqual(
      vals(
        D.range(3)
          .map((x: tf.Tensor) => tf.cast(x, "float32"))
          .repeat(2),
      ),
      [0, 1, 2, 0, 1, 2],
    );
    assert.deepEqual(vals(D.range(2).repeat().take(5)), [0, 1, 0, 1, 0]);
    assert.deepEqual(
      vals(D.range(3).map((x: tf.Tensor) => ({ a: x, b: [x, x] }))),
      [0, 1, 2].map((i) => ({ a: i, b: [i, i] })),
    );
  });

  it("batch (dropRemainder), paddedBatch, unbatch", () => {
    assert.deepEqual(vals(D.range(8).batch(3)), [
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    assert.deepEqual(vals(D.range(8).batch(3, true)), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const A = D.range(1, 5, { outputType: "int32" }).map((x: tf.EagerTensor) => tf.fill([x.item()], x));
    assert.deepEqual(vals(A.paddedBatch(2)), [
      [
        [1, 0],
        [2, 2],
      ],
      [
        [3, 3, 3, 0],
        [4, 4, 4, 4],
      ],
    ]);
    assert.deepEqual(vals(A.paddedBatch(2, { paddedShapes: [5], paddingValues: -1 })), [
      [
        [1, -1, -1, -1, -1],
        [2, 2, -1, -1, -1],
      ],
      [
        [3, 3, 3, -1, -1],
        [4, 4, 4, 4, -1],
      ],
    ]);
    assert.deepEqual(
      vals(
        D.fromTensorSlices([
          tf.constant([
            [1, 2, 3],
            [4, 5, 6],
          ]),
          tf.constant([
            [7, 8, 9],
            [0, 1, 2],
          ]),
        ]).unbatch(),
      ),
      [
        [1, 7],
        [2, 8],
        [3, 9],
        [4, 0],
        [5, 1],
        [6, 2],
      ],
    );
    const ragged = D.fromGenerator(
      function* () {
        yield [1];
        yield [2, 3];
      },
      { outputSignature: { shape: [null], dtype: "int32" } },
    );
    assert.throws(() => vals(ragged.batch(2)), /Cannot batch tensors with different shapes in component 0/);
  });

  it("zip, concatenate, enumerate, interleave, flatMap, apply", () => {
    const a = D.range(1, 4);
    const b = D.range(4, 7);
    assert.deepEqual(vals(D.zip([a, b])), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    assert.deepEqual(vals(D.zip(a, b)), vals(D.zip([a, b])));
    assert.deepEqual(vals(D.zip({ a, b: D.range(2) })), [
      { a: 1, b: 0 },
      { a: 2, b: 1 },
    ]);
    assert.deepEqual(vals(a.concatenate(D.range(4, 8))), [1, 2, 3, 4, 5, 6, 7]);
    assert.throws(() => a.concatenate(D.fromTensorSlices([1.5])), /different element dtypes: int64 and float32/);
    assert.deepEqual(vals(D.fromTensorSlices([1, 2, 3]).enumerate({ start: 5 })), [
      [5, 1],
      [6, 2],
      [7, 3],
    ]);
    const inter = D.range(1, 6).interleave((x: tf.Tensor) => D.fromTensors(x).repeat(6), { cycleLength: 2, blockLength: 4 });
    assert.deepEqual(vals(inter), [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5]);
    assert.deepEqual(vals(D.range(1, 4).flatMap((x: tf.Tensor) => D.fromTensors(x).repeat(2))), [1, 1, 2, 2, 3, 3]);
    assert.deepEqual(vals(D.range(5).apply((ds) => ds.skip(3))), [3, 4]);
  });

  it("shuffle: a permutation, deterministic with a seed, reshuffled per iteration unless asked not to", () => {
    const order = (ds: tf.data.Dataset) => vals(ds) as number[];
    const s1 = order(D.range(20).shuffle(20, { seed: 3 }));
    assert.deepEqual(
      [...s1].sort((x, y) => x - y),
      [...Array(20).keys()],
    );
    assert.notDeepEqual(s1, [...Array(20).keys()]);
    assert.deepEqual(order(D.range(20).shuffle(20, { seed: 3 })), s1, "same seed, same order");
    const ds = D.range(20).shuffle(20, { seed: 3 });
    assert.notDeepEqual(order(ds), order(ds), "reshuffleEachIteration (default): a new order per iteration");
    const fixed = D.range(20).shuffle(20, { seed: 3, reshuffleEachIteration: false });
    assert.deepEqual(order(fixed), order(fixed));
    const epochs = order(D.range(5).shuffle(5, 1).repeat(2));
    assert.deepEqual(epochs.slice(0, 5).sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual(epochs.slice(5).sort(), [0, 1, 2, 3, 4]);
    // Buffer semantics: with a buffer of 1 nothing moves; with a buffer of 2 an element moves at most one place ahead.
    assert.deepEqual(order(D.range(10).shuffle(1)), [...Array(10).keys()]);
    const two = order(D.range(50).shuffle(2, 9));
    two.forEach((v, i) => assert.ok(v <= i + 1, `element ${v} came out at ${i}`));
    tf.random.setSeed(42);
    const g1 = order(D.range(10).shuffle(10));
    tf.random.setSeed(42);
    assert.deepEqual(order(D.range(10).shuffle(10)), g1, "the global seed decides without an op seed");
    // The general path (after a map) and the in-memory path agree on the rows they give.
    const viaMap = order(
      D.range(30)
        .map((x: tf.Tensor) => x)
        .shuffle(8, 5),
    );
    assert.deepEqual(
      [...viaMap].sort((x, y) => x - y),
      [...Array(30).keys()],
    );
  });

  it("batches of shuffled in-memory rows are gathered whole rows at a time", () => {
    const x = tf.cast(tf.reshape(tf.range(0, 60), [20, 3]), "float32");
    const y = tf.range(0, 20, 1, "int32");
    let seen = 0;
    for (const [bx, by] of D.fromTensorSlices([x, y]).shuffle(20, 4).batch(6).repeat(2) as Iterable<tf.EagerTensor[]>) {
      const xs = bx.arraySync() as number[][];
      const ys = by.arraySync() as number[];
      assert.equal(bx.dtype, "float32");
      xs.forEach((row, i) => assert.deepEqual(row, [3 * ys[i], 3 * ys[i] + 1, 3 * ys[i] + 2]));
      seen += ys.length;
    }
    assert.equal(seen, 40);
  });

  it("cache in memory and in a file; prefetch", async () => {
    let calls = 0;
    const ds = D.range(4)
      .map((x: tf.Tensor) => {
        calls++;
        return tf.mul(x, 2);
      })
      .cache();
    const before = calls;
    assert.deepEqual(vals(ds), [0, 2, 4, 6]);
    assert.deepEqual(vals(ds), [0, 2, 4, 6]);
    assert.equal(calls - before, 4, "the second pass reads the cache");
    const dir = mkdtempSync(join(tmpdir(), "tsflow-data-"));
    try {
      const file = join(dir, "cache");
      const make = () =>
        D.fromTensorSlices({
          s: ["a", "b"],
          v: [
            [1, 2],
            [3, 4],
          ],
        })
          .map((e: Record<string, tf.Tensor>) => e)
          .cache(file);
      assert.deepEqual(vals(make()), [
        { s: "a", v: [1, 2] },
        { s: "b", v: [3, 4] },
      ]);
      assert.deepEqual(vals(make()), vals(make()), "a new pipeline reads the file");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const got: number[][] = [];
    for await (const b of D.range(10).batch(4).prefetch(2)) got.push(((b as tf.EagerTensor).arraySync() as bigint[]).map(Number));
    assert.deepEqual(got, [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });
});

describe("tf.data element specs and cardinality", () => {
  it("elementSpec: TensorSpecs with null where a dimension varies", () => {
    const ds = D.fromTensorSlices([tf.zeros([10, 28, 28]), tf.zeros([10], "int32")]);
    assert.equal(
      String(ds),
      "<Dataset element_spec=(TensorSpec(shape=(28, 28), dtype=tf.float32, name=None), TensorSpec(shape=(), dtype=tf.int32, name=None))>",
    );
    const [xs, ys] = ds.batch(4).elementSpec as unknown as Spec[];
    assert.ok(xs instanceof tf.TensorSpec, "element specs are tf.TensorSpec");
    assert.deepEqual(xs.shape, [null, 28, 28]);
    assert.deepEqual(ys.shape, [null]);
    assert.deepEqual((ds.batch(4, true).elementSpec as unknown as Spec[])[0].shape, [4, 28, 28]);
    const mapped = ds.map((x: tf.Tensor, y: tf.Tensor) => ({ image: tf.reshape(x, [-1]), label: y }));
    const spec = mapped.elementSpec as unknown as Record<string, Spec>;
    assert.deepEqual(spec.image.shape, [784]);
    assert.equal(spec.label.dtype, "int32");
  });

  it("cardinality, with INFINITE_CARDINALITY and UNKNOWN_CARDINALITY", () => {
    assert.equal(card(D.range(10)), 10);
    assert.equal(card(D.range(10).batch(3)), 4);
    assert.equal(card(D.range(10).batch(3, true)), 3);
    assert.equal(card(D.range(10).repeat()), tf.data.INFINITE_CARDINALITY);
    assert.equal(card(D.range(10).repeat().take(5)), 5);
    assert.equal(card(D.range(10).filter((x: tf.Tensor) => tf.less(x, 3))), tf.data.UNKNOWN_CARDINALITY);
    assert.equal(card(D.range(10).skip(4).repeat(2)), 12);
    assert.equal(card(D.zip(D.range(3), D.range(5).repeat())), 3);
    assert.equal(card(D.range(3).concatenate(D.range(2))), 5);
    assert.equal(tf.data.INFINITE_CARDINALITY, -1);
    assert.equal(tf.data.UNKNOWN_CARDINALITY, -2);
  });
});

describe("tf.data in graph mode (TensorFlow 1 iterators)", () => {
  it("makeOneShotIterator(ds).getNext() gives a new batch per Session.run, then OutOfRangeError", () => {
    const g = new tf.Graph();
    g.asDefault(() => {
      const ds = D.fromTensorSlices([
        tf.constant([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
        tf.constant([7, 8, 9]),
      ])
        .map((x: tf.Tensor, y: tf.Tensor) => [tf.mul(x, 2), y])
        .batch(2);
      const [x, y] = tf.compat.v1.data.makeOneShotIterator(ds).getNext() as tf.SymbolicTensor[];
      assert.equal(x.toString(), 'Tensor("IteratorGetNext:0", shape=[?, 2], dtype=float32)');
      const total = tf.reduceSum(x);
      using sess = new tf.Session();
      const got: unknown[] = [];
      for (;;) {
        try {
          const [t, l] = sess.run([total, y]) as tf.EagerTensor[];
          got.push([t.arraySync(), l.arraySync()]);
        } catch (e) {
          if (e instanceof tf.errors.OutOfRangeError) break;
          throw e;
        }
      }
      assert.deepEqual(got, [
        [20, [7, 8]],
        [22, [9]],
      ]);
      assert.throws(() => sess.run(total), isOutOfRange);
      // Each session has its own iterator.
      using sess2 = new tf.Session();
      assert.equal((sess2.run(total) as tf.EagerTensor).arraySync(), 20);
    });
  });

  it("makeInitializableIterator: FailedPreconditionError before its initializer, restart by running it again", () => {
    new tf.Graph().asDefault(() => {
      const it = tf.compat.v1.data.makeInitializableIterator(D.range(3));
      const next = it.getNext() as tf.SymbolicTensor;
      using sess = new tf.Session();
      assert.throws(
        () => sess.run(next),
        (e: unknown) => e instanceof tf.errors.FailedPreconditionError && /iterator has not been initialized/.test(String(e)),
      );
      for (let epoch = 0; epoch < 2; epoch++) {
        sess.run(it.initializer);
        const got: number[] = [];
        for (;;) {
          try {
            got.push(Number((sess.run(next) as tf.EagerTensor).arraySync()));
          } catch (e) {
            if (e instanceof tf.errors.OutOfRangeError) break;
            throw e;
          }
        }
        assert.deepEqual(got, [0, 1, 2]);
      }
    });
  });

  it("TensorFlow 1's dataset methods: ds.makeOneShotIterator(), ds.makeInitializableIterator()", () => {
    new tf.Graph().asDefault(() => {
      const it = D.range(2).makeInitializableIterator();
      const next = it.getNext() as tf.SymbolicTensor;
      const once = D.range(5, 6).makeOneShotIterator().getNext() as tf.SymbolicTensor;
      using sess = new tf.Session();
      sess.run(it.initializer);
      assert.deepEqual(
        [sess.run(next), sess.run(next), sess.run(once)].map((t) => Number((t as tf.EagerTensor).arraySync())),
        [0, 1, 5],
      );
    });
  });

  it("Iterator.fromStructure + makeInitializer switch one iterator between datasets (TensorFlow 1's train/validation pattern)", () => {
    new tf.Graph().asDefault(() => {
      const train = D.range(0, 3, { outputType: "int32" }).map((x: tf.Tensor) => [tf.cast(x, "float32"), x]);
      const valid = D.range(10, 12, { outputType: "int32" }).map((x: tf.Tensor) => [tf.cast(x, "float32"), x]);
      assert.deepEqual(train.outputTypes, ["float32", "int32"]);
      assert.deepEqual(train.outputShapes, [[], []]);
      const it = tf.compat.v1.data.Iterator.fromStructure(train.outputTypes, train.outputShapes);
      const [x] = it.getNext() as tf.SymbolicTensor[];
      const trainInit = it.makeInitializer(train);
      const validInit = it.makeInitializer(valid);
      assert.throws(() => it.makeInitializer(D.range(3)), /Expected output types/);
      using sess = new tf.Session();
      const drain = () => {
        const got: number[] = [];
        for (;;) {
          try {
            got.push((sess.run(x) as tf.EagerTensor).item());
          } catch (e) {
            if (e instanceof tf.errors.OutOfRangeError) return got;
            throw e;
          }
        }
      };
      sess.run(trainInit);
      assert.deepEqual(drain(), [0, 1, 2]);
      sess.run(validInit);
      assert.deepEqual(drain(), [10, 11]);
      sess.run(trainInit);
      assert.deepEqual(drain(), [0, 1, 2]);
    });
  });

  it("a dataset of placeholders is fed when its initializer runs (TensorFlow 1's feedDict pattern)", () => {
    new tf.Graph().asDefault(() => {
      const xs = tf.placeholder("float32", [null, 2], { name: "xs" });
      const ys = tf.placeholder("int32", [null], { name: "ys" });
      const ds = D.fromTensorSlices([xs, ys]).shuffle(10, 1).batch(2);
      assert.deepEqual(
        (ds.elementSpec as unknown as Spec[]).map((s) => s.shape),
        [[null, 2], [null]],
      );
      const it = tf.compat.v1.data.makeInitializableIterator(ds);
      const [bx, by] = it.getNext() as tf.SymbolicTensor[];
      const rowSum = tf.reduceSum(bx, 1);
      using sess = new tf.Session();
      const run = (x: number[][], y: number[]) => {
        sess.run(it.initializer, { "xs:0": x, "ys:0": y });
        const got: [number[], number[]][] = [];
        for (;;) {
          try {
            const [s, l] = sess.run([rowSum, by]) as tf.EagerTensor[];
            got.push([s.arraySync() as number[], l.arraySync() as number[]]);
          } catch (e) {
            if (e instanceof tf.errors.OutOfRangeError) return got;
            throw e;
          }
        }
      };
      const a = run(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        [0, 1, 2],
      );
      assert.deepEqual(a.flatMap(([, l]) => l).sort(), [0, 1, 2]);
      for (const [s, l] of a) s.forEach((v, i) => assert.equal(v, [3, 7, 11][l[i]]));
      const b = run([[10, 10]], [0]);
      assert.deepEqual(b, [[[20], [0]]]);
      assert.throws(() => sess.run(it.initializer), /xs/);
      assert.throws(() => tf.compat.v1.data.makeOneShotIterator(ds), /use makeInitializableIterator/);
    });
  });

  it("eagerly, makeOneShotIterator(ds).getNext() returns elements and raises OutOfRangeError at the end", () => {
    const it = tf.compat.v1.data.makeOneShotIterator(D.fromTensorSlices([1, 2]));
    assert.equal((it.getNext() as tf.EagerTensor).item(), 1);
    assert.equal((it.getNext() as tf.EagerTensor).item(), 2);
    assert.throws(() => it.getNext(), isOutOfRange);
  });
});

function isOutOfRange(e: unknown): boolean {
  return e instanceof tf.errors.OutOfRangeError && /End of sequence/.test(String(e));
}
